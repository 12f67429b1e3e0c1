"""Book legs on Anvil: relayer orders with no off-chain counterparty take resting on-chain
orders (alone, and beside the pool in one batch), and a book that moves between planning and
settlement fails the batch without counting against its orders, which are routed again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3.logs import DISCARD

from crossbook.artifacts import load_artifact
from crossbook.book import BookClient, Side
from crossbook.devnet import Devnet
from crossbook.relayer.service import build
from crossbook.relayer.submitter import BatchWorker
from tests.relayer.chain_helpers import (
    approved_devnet,
    bid_body,
    relayer_settings,
    trades_on_chain,
    wait_for,
)
from tests.relayer.helpers import serve

pytestmark = pytest.mark.devnet
MAKER = 0  # the deployer account: holds tokens, unlocked on the node


def maker_book(dn: Devnet) -> tuple[BookClient, str]:
    book = BookClient.from_manifest(dn.w3, dn.manifest, "WETH/USDC")
    maker = dn.accounts[MAKER].address
    book.approve(maker)
    return book, maker


def leg_events(dn: Devnet, tx_hash: str) -> dict[str, list[dict[str, Any]]]:
    settlement = dn.w3.eth.contract(
        address=dn.manifest.address("Settlement"), abi=load_artifact("Settlement").abi
    )
    receipt = dn.w3.eth.get_transaction_receipt(tx_hash)
    return {
        name: [
            dict(e["args"])
            for e in getattr(settlement.events, name)().process_receipt(receipt, errors=DISCARD)
        ]
        for name in ("BookLegExecuted", "PoolLegExecuted")
    }


def post(client: httpx.Client, body: dict[str, Any]) -> str:
    reply = client.post("/v1/orders", json=body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["uid"])


def final_batch_with(client: httpx.Client, uid: str) -> dict[str, Any]:
    """The final batch that filled `uid` (batch ids count up from 1)."""
    for i in range(1, 30):
        batch = client.get(f"/v1/batches/{i}").json()
        if batch.get("status") == "final" and uid in {f["orderUid"] for f in batch["fills"]}:
            return dict(batch)
    raise AssertionError(f"no final batch filled {uid}")


def test_a_resting_ask_is_taken_by_a_relayer_bid_with_no_counterparty(tmp_path: Path) -> None:
    with approved_devnet(tmp_path / "manifests") as dn:
        book, maker = maker_book(dn)
        resting = book.place(maker, Side.ASK, 19_900, 150)  # 0.15 WETH at 1,990 USDC
        assert resting.order_id is not None
        settings = relayer_settings(dn, f"sqlite:///{tmp_path}/r.db", route_pools=False)
        relayer = build(settings)
        with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=30) as client:
            uid = post(client, bid_body(dn, 1))  # 200 USDC for >= 0.099 WETH, fill-or-kill

            def filled() -> bool:
                return bool(client.get(f"/v1/orders/{uid}/status").json()["status"] == "filled")

            wait_for(filled, "the bid to fill against the book", timeout=60)
            batch = final_batch_with(client, uid)
        (leg,) = batch["bookLegs"]
        assert batch["poolLegs"] == []
        executed = leg_events(dn, batch["minedTx"])["BookLegExecuted"]
        order = book.order(resting.order_id)
        traded = trades_on_chain(dn)
    assert traded == {uid: [200 * 10**6]}
    # what the contract charged and delivered is what the router planned, to the unit
    assert [(e["side"], e["lots"], e["paid"], e["received"]) for e in executed] == [
        (0, int(leg["lots"]), int(leg["amountIn"]), int(leg["minAmountOut"]))
    ]
    assert int(leg["lots"]) == 100 and order.claimable_lots == 100 and order.open_lots == 50


def test_book_and_pool_legs_settle_in_one_batch(tmp_path: Path) -> None:
    with approved_devnet(tmp_path / "manifests") as dn:
        book, maker = maker_book(dn)
        book.place(maker, Side.ASK, 19_950, 30)  # 0.03 WETH at 1,995: less than the bids want
        relayer = build(relayer_settings(dn, f"sqlite:///{tmp_path}/r.db"))
        with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=30) as client:
            # 0.3 WETH in all, posted together so that one cut sees them all
            reply = client.post("/v1/orders", json=[bid_body(dn, w) for w in (1, 2, 3)])
            assert reply.status_code == 200, reply.text
            uids = [r["uid"] for r in reply.json()]

            def filled() -> bool:
                return all(
                    client.get(f"/v1/orders/{u}/status").json()["status"] == "filled" for u in uids
                )

            wait_for(filled, "the bids to fill through the book and the pool", timeout=60)
            batch = final_batch_with(client, uids[0])
        events = leg_events(dn, batch["minedTx"])
        depth = book.contract.functions.depth(int(Side.ASK), 4).call()
        traded = trades_on_chain(dn)
    assert {f["orderUid"] for f in batch["fills"]} == set(uids)
    (leg,) = batch["bookLegs"]
    (pool_leg,) = batch["poolLegs"]
    assert [(e["lots"], e["paid"], e["received"]) for e in events["BookLegExecuted"]] == [
        (30, int(leg["amountIn"]), int(leg["minAmountOut"]))
    ]
    assert [e["amountIn"] for e in events["PoolLegExecuted"]] == [int(pool_leg["amountIn"])]
    assert depth == []  # the book's level was taken whole
    assert set(traded) == set(uids) and all(len(v) == 1 for v in traded.values())


def test_a_book_order_cancelled_before_settlement_fails_the_leg_not_the_orders(
    tmp_path: Path,
) -> None:
    with approved_devnet(tmp_path / "manifests") as dn:
        book, maker = maker_book(dn)
        first = book.place(maker, Side.ASK, 19_900, 150)
        assert first.order_id is not None
        db = f"sqlite:///{tmp_path}/r.db"
        api = build(relayer_settings(dn, db, run_worker=False, route_pools=False))
        driven = build(relayer_settings(dn, db, route_pools=False))  # its worker, by hand
        worker = driven.ctx.worker
        assert isinstance(worker, BatchWorker)
        store = driven.ctx.store
        with serve(api.app) as url, httpx.Client(base_url=url, timeout=30) as client:
            uid = post(client, bid_body(dn, 1))
            (planned,) = worker.cut()
            row = store.batches.batch(planned)
            assert row is not None and '"kind": "book"' in row["legs"]
            book.cancel(maker, first.order_id)  # the book moves before the batch goes out
            worker.advance(row, dn.w3.eth.block_number)
            failed = client.get(f"/v1/batches/{planned}").json()
            status = client.get(f"/v1/orders/{uid}/status").json()
            order_row = store.orders.get_order(uid)
            assert worker.cut() == []  # nothing rests on the book now: nothing to route
            book.place(maker, Side.ASK, 19_920, 120)  # liquidity comes back
            deadline = time.monotonic() + 60
            while client.get(f"/v1/orders/{uid}/status").json()["status"] != "filled":
                assert time.monotonic() < deadline, "the bid was not routed again"
                worker.step()
                time.sleep(0.1)
            settled = final_batch_with(client, uid)
        traded = trades_on_chain(dn)
    assert failed["status"] == "failed" and "leg no longer holds" in failed["reason"]
    assert status["status"] == "open"  # back in the book, not invalid
    assert order_row is not None and int(order_row["failures"]) == 0  # and not penalised
    assert settled["id"] != planned and int(settled["bookLegs"][0]["limitTick"]) == 19_920
    assert traded == {uid: [200 * 10**6]}
