"""What the submitter does when the chain refuses a batch or the node misbehaves, on the shared
Anvil devnet (`shared_devnet`: each test starts from its snapshot) with the worker stepped by
the test, so every fault lands at a known point: a paused settlement contract, blocks too
small for any batch, an order whose internal balance was withdrawn, a token that reverts
every call, our nonce taken by a transaction we did not record, a gas bump over the price
cap, a lost transaction that would now revert, and a node that lacks `eth_createAccessList`
or refuses a call (`RpcFaults`). Each test checks that no order is lost or blamed for a fault
that is not its own, and that each settles once when the fault clears."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossbook.bench.gas import token_contract
from crossbook.chain import contract_abi, wait_for_receipt, web3_for
from crossbook.devnet import Devnet, MiningMode
from crossbook.devnet.accounts import dev_accounts
from crossbook.order import Order, OrderFlags
from crossbook.relayer.db.models import BatchStatus, OrderStatus
from crossbook.relayer.lock import SubmitterLock
from crossbook.relayer.rows import BatchRecord, OrderRecord
from crossbook.relayer.service import Relayer, build
from crossbook.relayer.submitter import BatchWorker
from crossbook.signing import sign_order
from tests.relayer.chain_helpers import (
    RpcFaults,
    ask_body,
    bid_body,
    domain_of,
    relayer_settings,
    trades_on_chain,
)
from tests.relayer.helpers import VALID_TO, order_body, serve

pytestmark = pytest.mark.devnet

RELAYER_KEY = dev_accounts()[-1].private_key  # the devnet's allow-listed relayer


@pytest.fixture
def dn(shared_devnet: Devnet) -> Devnet:
    return shared_devnet


@dataclass
class Harness:
    dn: Devnet
    relayer: Relayer
    worker: BatchWorker
    client: httpx.Client
    start: int  # the first block the test can settle in

    def post(self, body: dict[str, Any]) -> str:
        reply = self.client.post("/v1/orders", json=body)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["uid"])

    def order(self, uid: str) -> OrderRecord:
        row = self.relayer.ctx.store.orders.get_order(uid)
        assert row is not None
        return row

    def batch(self, batch_id: int) -> BatchRecord:
        row = self.relayer.ctx.store.batches.batch(batch_id)
        assert row is not None
        return row

    def steps(self, count: int) -> None:
        for _ in range(count):
            self.worker.step()

    def settle(self, uids: list[str], max_steps: int = 20) -> None:
        """Step the worker until every order is filled, then check each traded once on the
        chain and the store says what the chain says."""
        for _ in range(max_steps):
            if all(self.order(u)["status"] == OrderStatus.FILLED for u in uids):
                break
            self.worker.step()
        assert {u: self.order(u)["status"] for u in uids} == dict.fromkeys(uids, "filled")
        on_chain = trades_on_chain(self.dn, self.start)
        assert sorted(on_chain) == sorted(uids)
        for uid in uids:
            assert len(on_chain[uid]) == 1, f"{uid} settled {len(on_chain[uid])} times"
            assert int(self.order(uid)["executed_sell"]) == on_chain[uid][0]


@contextmanager
def harness(
    dn: Devnet, db: Path, worker_rpc: str | None = None, **settings: Any
) -> Iterator[Harness]:
    """The relayer's API served over HTTP on the devnet, and its batch worker (on
    `worker_rpc`, by default the node itself) stepped by the test alone."""
    values: dict[str, Any] = {
        "run_worker": False,
        "batch_interval_s": 0,
        "route_pools": False,
        "route_books": False,
        **settings,
    }
    relayer = build(relayer_settings(dn, f"sqlite:///{db}", **values))
    ctx = relayer.ctx
    w3 = web3_for(worker_rpc or dn.node.rpc_url, timeout=30)
    settlement = w3.eth.contract(
        address=dn.manifest.address("Settlement"), abi=contract_abi("Settlement")
    )
    worker = BatchWorker(ctx, w3, settlement, RELAYER_KEY, SubmitterLock(ctx.store.engine))
    start = dn.w3.eth.block_number + 1
    with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield Harness(dn, relayer, worker, client, start)


def settlement_of(dn: Devnet) -> Any:
    return dn.w3.eth.contract(
        address=dn.manifest.address("Settlement"), abi=contract_abi("Settlement")
    )


def transact(dn: Devnet, call: Any, sender: str, what: str) -> None:
    wait_for_receipt(dn.w3, call.transact({"from": sender}), what)


# ---------------------------------------------------------------- the chain refuses batches


def test_a_paused_settlement_blames_no_order_and_they_settle_once_it_resumes(
    dn: Devnet, tmp_path: Path
) -> None:
    """The guardian pauses the settlement contract (an incident): every batch's simulation
    reverts `SettlementPaused`, which no order caused. However long the pause, the orders
    stay open with no failure counted against them; once the owner unpauses, they settle."""
    settlement = settlement_of(dn)
    guardian, owner = dn.accounts[-2].address, dn.accounts[0].address
    with harness(dn, tmp_path / "r.db") as h:
        uids = [h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))]
        transact(dn, settlement.functions.pause(), guardian, "pause")
        h.steps(5)  # more batches than an order may fail before it is given up
        assert {u: h.order(u)["status"] for u in uids} == dict.fromkeys(uids, "open")
        assert [h.order(u)["failures"] for u in uids] == [0, 0]
        refused = h.batch(1)
        assert refused["status"] == BatchStatus.FAILED
        assert "SettlementPaused" in str(refused["reason"])
        transact(dn, settlement.functions.unpause(), owner, "unpause")
        h.settle(uids)


def test_blocks_too_small_for_any_batch_fail_it_without_blaming_its_orders(
    dn: Devnet, tmp_path: Path
) -> None:
    """The chain's blocks hold less gas than a batch of two fills needs: the simulation runs
    out of gas, the batch fails, and its orders stay open, not blamed; a relayer started
    once blocks are big again settles them."""
    limit = int(dn.w3.eth.get_block("latest")["gasLimit"])
    db = tmp_path / "r.db"
    try:
        dn.node.rpc("anvil_setBlockGasLimit", [hex(100_000)])
        dn.node.mine(1)
        with harness(dn, db) as h:
            uids = [h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))]
            h.steps(4)
            assert {u: h.order(u)["status"] for u in uids} == dict.fromkeys(uids, "open")
            assert [h.order(u)["failures"] for u in uids] == [0, 0]
            batch = h.batch(1)
            assert batch["status"] == BatchStatus.FAILED
            assert str(batch["reason"]).startswith("simulation ran out of gas")
    finally:
        dn.node.rpc("anvil_setBlockGasLimit", [hex(limit)])
        dn.node.mine(1)
    with harness(dn, db) as h:
        h.settle(uids)


def test_an_order_whose_internal_balance_was_withdrawn_is_dropped_and_the_rest_settle(
    dn: Devnet, tmp_path: Path
) -> None:
    """An ask sells WETH from its owner's internal balance in the settlement contract; the
    owner withdraws it before the batch settles. The simulation reverts
    `InsufficientInternalBalance(owner, WETH, ...)`, which names no order: the relayer blames
    that owner's WETH-from-internal orders only, and the others settle."""
    settlement, weth = settlement_of(dn), token_contract(dn, "WETH")
    seller = dn.accounts[1]
    amount = 10**17
    transact(dn, settlement.functions.deposit(weth.address, amount), seller.address, "deposit")
    order = Order(
        owner=seller.address,
        sell_token=weth.address,
        buy_token=dn.manifest.tokens["USDC"].address,
        sell_amount=amount,
        buy_amount=199 * 10**6,
        fee_amount=0,
        valid_to=VALID_TO,
        nonce=424_242,
        flags=OrderFlags.SELL_FROM_INTERNAL,
    )
    internal = order.to_json_dict()
    internal["signature"] = "0x" + sign_order(order, domain_of(dn), seller.private_key).hex()
    internal["signingScheme"] = "eip712"
    with harness(dn, tmp_path / "r.db") as h:
        doomed = h.post(internal)  # the earliest ask: first in line for the bid
        spare, buyer = h.post(ask_body(dn, 3)), h.post(bid_body(dn, 2))
        transact(
            dn,
            settlement.functions.withdraw(weth.address, amount, seller.address),
            seller.address,
            "withdraw",
        )
        h.settle([spare, buyer])
        dropped = h.order(doomed)
    assert dropped["status"] == OrderStatus.INVALID
    assert str(dropped["reason"]).startswith("InsufficientInternalBalance")


def test_a_token_that_reverts_every_call_drops_its_sellers_and_the_worker_carries_on(
    dn: Devnet, tmp_path: Path
) -> None:
    """WETH's code is replaced by code that reverts every call (a token bricked by an
    upgrade) after a WETH and a USDC/DAI pair were taken: the WETH batch's simulation
    reverts with no data, and even the balance reads that look for the culprit revert. The
    WETH seller is dropped with that reason, the USDC buyer stays open, not blamed, and the
    USDC/DAI pair settles: one broken token does not stop the worker."""
    usdc, dai = dn.manifest.tokens["USDC"].address, dn.manifest.tokens["DAI"].address
    settlement = dn.manifest.address("Settlement")
    dai_seller, usdc_seller = dn.accounts[4], dn.accounts[5]
    transact(
        dn,
        token_contract(dn, "DAI").functions.approve(settlement, 2**256 - 1),
        dai_seller.address,
        "approve DAI",
    )
    domain = domain_of(dn)
    with harness(dn, tmp_path / "r.db") as h:
        weth_ask, weth_bid = h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))
        dai_ask = h.post(
            order_body(
                domain, dai_seller.private_key, dai_seller.address, dai, usdc, 10**20, 99 * 10**6
            )
        )
        dai_bid = h.post(
            order_body(
                domain, usdc_seller.private_key, usdc_seller.address, usdc, dai, 10**8, 99 * 10**18
            )
        )
        dn.node.rpc("anvil_setCode", [dn.manifest.tokens["WETH"].address, "0x60006000fd"])
        h.settle([dai_ask, dai_bid])
        dropped, kept = h.order(weth_ask), h.order(weth_bid)
    assert dropped["status"] == OrderStatus.INVALID
    assert "reverts" in str(dropped["reason"])
    assert kept["status"] == OrderStatus.OPEN and kept["failures"] == 0


# ---------------------------------------------------------------- our transaction's fate


def test_our_nonce_used_by_a_transaction_we_did_not_record_fails_the_batch_and_reopens(
    dn: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else uses the relayer's key (an operator's manual transaction) at the nonce of
    a batch still in the mempool, and theirs is mined instead: after the grace period the
    relayer fails that batch, its orders are open again, and they settle in a new batch at
    the next nonce, once."""
    monkeypatch.setattr("crossbook.relayer.settle_transactions.UNRECORDED_TX_GRACE_S", 0.0)
    relayer_account = dn.accounts[-1].address
    with harness(dn, tmp_path / "r.db") as h:
        uids = [h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))]
        dn.node.set_mining(MiningMode.MANUAL)
        h.steps(1)
        sent = h.batch(1)
        assert sent["status"] == BatchStatus.SUBMITTED
        nonce = int(sent["tx_nonce"])
        dn.node.rpc("anvil_dropTransaction", [json.loads(sent["tx_hashes"])[0]])
        dn.w3.eth.send_transaction(
            {"from": relayer_account, "to": relayer_account, "value": 0, "nonce": nonce}
        )
        dn.node.mine(1)
        assert dn.w3.eth.get_transaction_count(relayer_account) == nonce + 1
        h.steps(1)
        failed = h.batch(1)
        assert failed["status"] == BatchStatus.FAILED
        assert failed["reason"] == f"nonce {nonce} used by an unrecorded tx"
        # open again, and at once in the next batch, sent at the next nonce
        assert {u: h.order(u)["status"] for u in uids} == dict.fromkeys(uids, "pending")
        dn.node.set_mining(MiningMode.AUTO)
        dn.node.mine(1)
        h.settle(uids)
        assert int(h.batch(2)["tx_nonce"]) == nonce + 1


def test_a_gas_bump_over_the_price_cap_is_not_sent_and_the_batch_lands_as_it_was(
    dn: Devnet, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch sent at the operator's gas price cap is stuck: its replacement would pay more
    than the cap, so none is sent (the first transaction stays the only one), and it lands
    once blocks are mined."""
    base_fee = int(dn.w3.eth.get_block("latest")["baseFeePerGas"])
    cap = base_fee + 10**8  # less than the 2 x base fee + tip the relayer would offer
    caplog.set_level(logging.WARNING, logger="crossbook.relayer.submitter")
    with harness(dn, tmp_path / "r.db", stuck_after_s=0.0, max_gas_price_wei=cap) as h:
        uids = [h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))]
        dn.node.set_mining(MiningMode.MANUAL)
        h.steps(3)  # sent, then found stuck twice
        batch = h.batch(1)
        assert batch["status"] == BatchStatus.SUBMITTED
        assert len(json.loads(batch["tx_hashes"])) == 1 and int(batch["max_fee"]) == cap
        assert any("bump would exceed max_gas_price_wei" in r.getMessage() for r in caplog.records)
        dn.node.set_mining(MiningMode.AUTO)
        dn.node.mine(1)
        h.settle(uids)
        assert h.batch(1)["mined_tx"] == json.loads(batch["tx_hashes"])[0]


def test_a_lost_transaction_that_would_now_revert_fails_the_batch_and_the_rest_settle(
    dn: Devnet, tmp_path: Path
) -> None:
    """The node loses the batch's transaction (a restart emptied its mempool), and before it
    is sent again one seller revokes the allowance. The replacement's simulation now
    reverts, and no transaction of ours is left at that nonce: the batch fails without
    blaming its orders, the next simulation drops the seller's, and the others settle
    (they used to wait in a batch that could never land)."""
    weth, settlement = token_contract(dn, "WETH"), dn.manifest.address("Settlement")
    seller = dn.accounts[1].address
    with harness(dn, tmp_path / "r.db", stuck_after_s=0.0, check_balances=False) as h:
        doomed = h.post(ask_body(dn, 1))  # the earliest ask: first in line for the bid
        spare, buyer = h.post(ask_body(dn, 3)), h.post(bid_body(dn, 2))
        dn.node.set_mining(MiningMode.MANUAL)
        h.steps(1)
        lost = h.batch(1)
        assert lost["status"] == BatchStatus.SUBMITTED
        dn.node.rpc("anvil_dropTransaction", [json.loads(lost["tx_hashes"])[0]])
        weth.functions.approve(settlement, 0).transact({"from": seller})
        dn.node.mine(1)  # the revoke alone: our transaction is gone
        h.steps(5)
        failed = h.batch(1)
        assert failed["status"] == BatchStatus.FAILED
        assert [h.order(u)["failures"] for u in (doomed, spare, buyer)] == [0, 0, 0]
        dn.node.set_mining(MiningMode.AUTO)
        h.settle([spare, buyer])
        dropped = h.order(doomed)
    assert dropped["status"] == OrderStatus.INVALID and "allowance 0" in str(dropped["reason"])


# ---------------------------------------------------------------- a node that misbehaves


def test_a_node_without_eth_create_access_list_settles_with_estimate_gas(
    dn: Devnet, tmp_path: Path
) -> None:
    """The node answers "method not found" for `eth_createAccessList` (not every node or
    provider serves it): the relayer estimates with `eth_estimateGas` instead, from then on
    without asking again, and the transaction carries no access list."""
    with (
        RpcFaults(dn.node.rpc_url) as node,
        harness(dn, tmp_path / "r.db", worker_rpc=node.url) as h,
    ):
        node.fail("eth_createAccessList", code=-32601, message="the method does not exist")
        uids = [h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))]
        h.settle(uids)
        more = [h.post(ask_body(dn, 3)), h.post(bid_body(dn, 4))]
        h.settle(uids + more)
        assert node.calls.count("eth_createAccessList") == 1
        assert node.calls.count("eth_estimateGas") >= 2
        tx = dn.w3.eth.get_transaction(h.batch(1)["mined_tx"])
        assert list(tx["accessList"]) == []


def test_a_node_error_in_simulation_leaves_the_batch_planned_until_the_node_answers(
    dn: Devnet, tmp_path: Path
) -> None:
    """`eth_createAccessList` fails with a node error (not a revert, not out of gas): the
    worker's step fails with `ChainReadError`, nothing is sent or blamed, and the next step
    simulates the same batch again and settles it."""
    from crossbook.relayer.chain import ChainReadError

    with (
        RpcFaults(dn.node.rpc_url) as node,
        harness(dn, tmp_path / "r.db", worker_rpc=node.url) as h,
    ):
        uids = [h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))]
        node.fail("eth_createAccessList", code=-32000, message="header not found")
        with pytest.raises(ChainReadError, match="header not found"):
            h.steps(1)
        planned = h.batch(1)
        assert planned["status"] == BatchStatus.PLANNED
        assert json.loads(planned["tx_hashes"] or "[]") == []  # nothing signed or sent
        assert [h.order(u)["failures"] for u in uids] == [0, 0]
        h.settle(uids)
        assert h.relayer.ctx.store.batches.batch(2) is None  # the same batch settled


def test_a_broadcast_the_node_refuses_is_kept_and_sent_again(dn: Devnet, tmp_path: Path) -> None:
    """The node refuses the signed settle transaction ("txpool is full"): it was stored
    before the broadcast, so the next step finds the node does not know it and sends the
    same bytes again; it settles once."""
    with (
        RpcFaults(dn.node.rpc_url) as node,
        harness(dn, tmp_path / "r.db", worker_rpc=node.url) as h,
    ):
        uids = [h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))]
        node.fail("eth_sendRawTransaction", code=-32000, message="txpool is full")
        h.steps(1)
        stored = h.batch(1)
        assert stored["status"] == BatchStatus.SUBMITTED and stored["raw_tx"]
        tx_hash = json.loads(stored["tx_hashes"])[0]
        assert dn.node.rpc("eth_getTransactionByHash", [tx_hash]) is None  # never broadcast
        h.settle(uids)
        assert node.calls.count("eth_sendRawTransaction") == 2
        assert h.batch(1)["mined_tx"] == tx_hash


def test_a_receipt_the_node_fails_to_read_is_read_again(dn: Devnet, tmp_path: Path) -> None:
    """`eth_getTransactionReceipt` answers an error: the step fails with `ChainReadError`
    and the batch stays submitted (the transaction is not sent twice); the next step reads
    the receipt again at once, though no block came since (an automine devnet with no other
    traffic has none to come)."""
    from crossbook.relayer.chain import ChainReadError

    with (
        RpcFaults(dn.node.rpc_url) as node,
        harness(dn, tmp_path / "r.db", worker_rpc=node.url) as h,
    ):
        uids = [h.post(ask_body(dn, 1)), h.post(bid_body(dn, 2))]
        h.steps(1)
        node.fail("eth_getTransactionReceipt", code=-32603, message="internal error")
        with pytest.raises(ChainReadError, match="eth_getTransactionReceipt failed"):
            h.steps(1)
        assert h.batch(1)["status"] == BatchStatus.SUBMITTED
        h.settle(uids)
        assert node.calls.count("eth_sendRawTransaction") == 1
