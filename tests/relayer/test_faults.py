"""Chain faults on Anvil, each on its own devnet: a stuck transaction while mining is paused
(replaced with a >= 12.5% fee bump), a transaction the node loses (rebroadcast), reorgs of
depth 1 to 5 (`anvil_reorg`), the RPC node going away and coming back, and a batch whose
simulation reverts (the culprit dropped, the rest settled)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossbook.artifacts import load_artifact
from crossbook.bench.gas import token_contract
from crossbook.chain import wait_for_receipt
from crossbook.devnet import Devnet, MiningMode
from crossbook.order import Order
from crossbook.relayer.db.models import BatchStatus
from crossbook.relayer.service import Relayer, build
from tests.relayer.chain_helpers import (
    TcpProxy,
    approved_devnet,
    ask_body,
    bid_body,
    relayer_settings,
    trades_on_chain,
    wait_for,
)
from tests.relayer.helpers import serve

pytestmark = pytest.mark.devnet


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    with approved_devnet(tmp_path / "manifests") as dn:
        yield dn


@contextmanager
def running(relayer: Relayer) -> Iterator[httpx.Client]:
    with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def post(client: httpx.Client, body: dict[str, Any]) -> str:
    reply = client.post("/v1/orders", json=body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["uid"])


def status(client: httpx.Client, uid: str) -> str:
    return str(client.get(f"/v1/orders/{uid}/status").json()["status"])


def all_filled(client: httpx.Client, uids: list[str]) -> bool:
    return all(status(client, u) == "filled" for u in uids)


def assert_settled_once(dn: Devnet, relayer: Relayer, uids: list[str], start: int) -> None:
    """Each order traded exactly once on the canonical chain, and the store says what the
    chain says."""
    on_chain = trades_on_chain(dn, start)
    assert sorted(on_chain) == sorted(uids)
    for uid in uids:
        assert len(on_chain[uid]) == 1, f"{uid} settled {len(on_chain[uid])} times"
        row = relayer.ctx.store.orders.get_order(uid)
        assert row is not None and int(row["executed_sell"]) == on_chain[uid][0]


def only_batch(relayer: Relayer) -> dict[str, Any]:
    batches = relayer.ctx.store.batches.active_batches()
    return batches[0] if len(batches) == 1 else {}


# ---------------------------------------------------------------- stuck / lost transactions


def test_stuck_transaction_is_replaced_with_a_fee_bump_and_lands_when_mining_resumes(
    devnet: Devnet, tmp_path: Path
) -> None:
    dn = devnet
    start = dn.w3.eth.block_number + 1
    relayer = build(relayer_settings(dn, f"sqlite:///{tmp_path}/r.db", stuck_after_s=1.0))
    dn.node.set_mining(MiningMode.MANUAL)  # the node takes transactions and mines nothing
    with running(relayer) as client:
        uids = [post(client, ask_body(dn, 1)), post(client, bid_body(dn, 2))]
        first = wait_for(
            lambda: (b := only_batch(relayer)) and b["status"] == BatchStatus.SUBMITTED and b,
            "the batch to be broadcast",
        )
        first_hash = json.loads(first["tx_hashes"])[0]
        first_tx = dn.w3.eth.get_transaction(first_hash)
        bumped = wait_for(
            lambda: (b := only_batch(relayer)) and len(json.loads(b["tx_hashes"])) >= 2 and b,
            "the stuck transaction to be replaced",
        )
        assert dn.w3.eth.block_number == start - 1  # nothing was mined meanwhile
        second_hash = json.loads(bumped["tx_hashes"])[1]
        second_tx = dn.w3.eth.get_transaction(second_hash)
        assert second_tx["nonce"] == first_tx["nonce"]  # a replacement, not a second tx
        for fee in ("maxFeePerGas", "maxPriorityFeePerGas"):
            assert second_tx[fee] >= math.ceil(first_tx[fee] * 1.125), fee
        dn.node.set_mining(MiningMode.AUTO)
        dn.node.mine(1)
        wait_for(lambda: all_filled(client, uids), "the orders to fill")
        batch = client.get(f"/v1/batches/{bumped['id']}").json()
    assert batch["status"] == "final"
    assert batch["minedTx"] in json.loads(bumped["tx_hashes"])
    assert_settled_once(dn, relayer, uids, start)


def test_a_transaction_the_node_lost_is_broadcast_again(devnet: Devnet, tmp_path: Path) -> None:
    dn = devnet
    start = dn.w3.eth.block_number + 1
    relayer = build(relayer_settings(dn, f"sqlite:///{tmp_path}/r.db", stuck_after_s=600))
    dn.node.set_mining(MiningMode.MANUAL)
    with running(relayer) as client:
        uids = [post(client, ask_body(dn, 1)), post(client, bid_body(dn, 2))]
        batch = wait_for(
            lambda: (b := only_batch(relayer)) and b["status"] == BatchStatus.SUBMITTED and b,
            "the batch to be broadcast",
        )
        tx_hash = json.loads(batch["tx_hashes"])[0]
        dn.node.rpc("anvil_dropTransaction", [tx_hash])
        pool = dn.node.rpc("txpool_content")["pending"]
        assert not any(tx_hash in json.dumps(by_nonce) for by_nonce in pool.values())
        wait_for(
            lambda: dn.node.rpc("eth_getTransactionByHash", [tx_hash]) is not None,
            "the relayer to broadcast the lost transaction again",
        )
        dn.node.set_mining(MiningMode.AUTO)
        dn.node.mine(1)
        wait_for(lambda: all_filled(client, uids), "the orders to fill")
        assert client.get(f"/v1/batches/{batch['id']}").json()["minedTx"] == tx_hash
    assert_settled_once(dn, relayer, uids, start)


# ---------------------------------------------------------------- reorgs


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_reorg_that_drops_the_settlement_is_reconciled(
    devnet: Devnet, tmp_path: Path, depth: int
) -> None:
    """The block holding the settlement is reorged away `depth` blocks deep, before the
    batch is final: the relayer notices, broadcasts the same signed transaction again, and
    the fills it records are the ones on the new canonical chain, once each."""
    dn = devnet
    start = dn.w3.eth.block_number + 1
    # one batch, so no pool routing of the order left over (the third, which stays open)
    relayer = build(
        relayer_settings(dn, f"sqlite:///{tmp_path}/r.db", confirmations=6, route_pools=False)
    )
    with running(relayer) as client:
        uids = [
            post(client, ask_body(dn, 1)),
            post(client, bid_body(dn, 2)),
            post(client, ask_body(dn, 3)),
        ]
        mined = wait_for(
            lambda: (b := only_batch(relayer)) and b["status"] == BatchStatus.MINED and b,
            "the settlement to be mined",
        )
        mined_block = int(mined["block_number"])
        old_hash = dn.w3.eth.get_block(mined_block)["hash"]
        if depth > 1:
            dn.node.mine(depth - 1)  # the settlement is now `depth` blocks deep
        assert dn.w3.eth.block_number - mined_block + 1 == depth
        dn.node.rpc("anvil_reorg", [depth, []])
        assert dn.w3.eth.get_block(mined_block)["hash"] != old_hash
        receipt = dn.node.rpc("eth_getTransactionReceipt", [mined["mined_tx"]])
        assert receipt is None  # the settlement left the chain with its block

        def remined() -> bool:
            b = relayer.ctx.store.batches.batch(int(mined["id"]))
            assert b is not None
            return b["status"] == BatchStatus.MINED and int(b["block_number"]) != mined_block

        wait_for(remined, "the relayer to re-settle the batch in a new block")
        dn.node.mine(6)  # reach the confirmation depth
        batches = relayer.ctx.store.batches
        wait_for(
            lambda: (b := batches.batch(int(mined["id"]))) and b["status"] == "final",
            "the batch to become final",
        )
        statuses = {u: status(client, u) for u in uids}
    on_chain = trades_on_chain(dn, start)
    settled = [u for u in uids if u in on_chain]
    assert len(settled) >= 2 and all(statuses[u] == "filled" for u in settled)
    assert all(statuses[u] == "open" for u in uids if u not in settled)  # not lost
    assert_settled_once(dn, relayer, settled, start)


@pytest.mark.parametrize("depth", [2, 4])
def test_reorg_deeper_than_the_confirmations_takes_back_a_final_batch(
    devnet: Devnet, tmp_path: Path, depth: int
) -> None:
    """The batch is already final (1 confirmation) when a reorg `depth` blocks deep removes
    its block: the relayer takes the recorded fills back, the orders are pending again, the
    same signed transaction is broadcast again, and the fills recorded in the end are those
    of the new chain, once each."""
    dn = devnet
    start = dn.w3.eth.block_number + 1
    relayer = build(
        relayer_settings(dn, f"sqlite:///{tmp_path}/r.db", confirmations=1, route_pools=False)
    )
    with running(relayer) as client:
        uids = [post(client, ask_body(dn, 1)), post(client, bid_body(dn, 2))]
        wait_for(lambda: all_filled(client, uids), "the batch to be final")
        final = relayer.ctx.store.batches.batch(1)
        assert final is not None and final["status"] == BatchStatus.FINAL
        dn.node.mine(depth - 1)  # the final batch is now `depth` blocks deep
        dn.node.rpc("anvil_reorg", [depth, []])
        assert dn.node.rpc("eth_getTransactionReceipt", [final["mined_tx"]]) is None

        def remined() -> bool:
            b = relayer.ctx.store.batches.batch(1)
            assert b is not None
            return b["status"] == BatchStatus.FINAL and b["block_hash"] != final["block_hash"]

        wait_for(remined, "the batch to be settled again on the new chain")
        again = relayer.ctx.store.batches.batch(1)
        statuses = {u: status(client, u) for u in uids}
        trades = relayer.ctx.store.orders.trades(limit=10)
    assert again is not None
    assert statuses == {u: "filled" for u in uids}
    assert sorted(t["order_uid"] for t in trades) == sorted(uids)  # the old fills are gone
    assert len(trades) == 2 and {t["block_number"] for t in trades} == {again["block_number"]}
    assert_settled_once(dn, relayer, uids, start)


# ---------------------------------------------------------------- the node goes away


def test_rpc_node_down_and_back(devnet: Devnet, tmp_path: Path) -> None:
    dn = devnet
    start = dn.w3.eth.block_number + 1
    proxy = TcpProxy(int(dn.node.port or 0))
    proxy.restore()
    settings = relayer_settings(dn, f"sqlite:///{tmp_path}/r.db", rpc_url=proxy.url)
    relayer = build(settings)
    try:
        with running(relayer) as client:
            first = [post(client, ask_body(dn, 1)), post(client, bid_body(dn, 2))]
            wait_for(lambda: all_filled(client, first), "the first pair to fill")
            # accepted on cached balances, then the node goes away before it settles
            second = [post(client, ask_body(dn, 3)), post(client, bid_body(dn, 4))]
            proxy.cut()
            time.sleep(settings.balance_cache_s + 1.0)  # outlive the balance cache
            reply = client.post("/v1/orders", json=ask_body(dn, 5))
            assert reply.status_code == 503, reply.text
            assert reply.json()["errorType"] == "ChainUnavailable"
            assert reply.headers["Retry-After"] == "1"
            assert relayer.ctx.worker is not None and relayer.ctx.worker.healthy()
            assert client.get(f"/v1/orders/{second[0]}").status_code == 200  # still served
            assert not any(status(client, u) == "filled" for u in second)
            proxy.restore()
            third = [post(client, ask_body(dn, 5)), post(client, bid_body(dn, 6))]
            wait_for(lambda: all_filled(client, second + third), "the rest to fill", 60)
    finally:
        proxy.cut()
    assert_settled_once(dn, relayer, first + second + third, start)


# ---------------------------------------------------------------- simulation drops the culprit


def _order_tuple(body: dict[str, Any]) -> tuple[Any, ...]:
    fields = {k: v for k, v in body.items() if k not in ("signature", "signingScheme")}
    return Order.from_json_dict(fields).as_abi_tuple()


@pytest.mark.parametrize("fault", ["cancelled-on-chain", "allowance-revoked"])
def test_order_that_makes_simulation_revert_is_dropped_and_the_rest_settle(
    devnet: Devnet, tmp_path: Path, fault: str
) -> None:
    dn = devnet
    start = dn.w3.eth.block_number + 1
    doomed, spare, buyer = ask_body(dn, 1), ask_body(dn, 3), bid_body(dn, 2)
    owner = dn.accounts[1].address
    if fault == "cancelled-on-chain":
        settlement = dn.w3.eth.contract(
            address=dn.manifest.address("Settlement"),
            abi=load_artifact("Settlement").abi,
        )
        wait_for_receipt(
            dn.w3,
            settlement.functions.cancelOrder(_order_tuple(doomed)).transact({"from": owner}),
            "cancelOrder",
        )
        expected_reason = "NonceAlreadySpent"  # a fill-or-kill cancel spends its nonce
    else:
        weth = token_contract(dn, "WETH")
        wait_for_receipt(
            dn.w3,
            weth.functions.approve(dn.manifest.address("Settlement"), 0).transact({"from": owner}),
            "revoke",
        )
        expected_reason = "allowance 0"
    # balance checks off: the relayer takes the orders and only the chain can refuse them
    relayer = build(relayer_settings(dn, f"sqlite:///{tmp_path}/r.db", check_balances=False))
    with running(relayer) as client:
        doomed_uid = post(client, doomed)  # the earliest ask: first in line for the bid
        spare_uid, buyer_uid = post(client, spare), post(client, buyer)
        wait_for(lambda: all_filled(client, [spare_uid, buyer_uid]), "the others to fill")
        dropped = client.get(f"/v1/orders/{doomed_uid}/status").json()
    if dropped["status"] == "cancelled":
        # the event follower's first pass read the cancel after the order was stored: also
        # right (the order was cancelled on chain before it was posted)
        assert fault == "cancelled-on-chain" and "cancelOrder" in dropped["reason"]
    else:
        assert dropped["status"] == "invalid"
        assert expected_reason in dropped["reason"]
    assert_settled_once(dn, relayer, [spare_uid, buyer_uid], start)
