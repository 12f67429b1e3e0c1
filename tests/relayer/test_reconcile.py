"""The event follower on Anvil (SQLite and PostgreSQL): fills by another allow-listed relayer,
on-chain cancellations (cancelOrder, invalidateNonces, setNonceFloor, a revoked
pre-signature), the same range applied twice, our own batches' fills counted once, a reorg
under the cursor, a node error, bounded log ranges, and where the cursor starts."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web3 import Web3
from web3.contract import Contract

from crossbook.artifacts import load_artifact
from crossbook.chain import wait_for_receipt, web3_for
from crossbook.devnet import Devnet
from crossbook.order import Order
from crossbook.relayer.db.models import OrderStatus
from crossbook.relayer.reconcile import MAX_RANGES_PER_STEP, EventFollower
from crossbook.relayer.reconcile_store import Cursor, CursorMoved, ReconcileStore
from crossbook.relayer.rows import OrderRecord, order_row
from crossbook.relayer.service import Relayer, build
from crossbook.relayer.submitter import BatchWorker
from crossbook.settlement import Fill, build_batch
from crossbook.signing import SigningScheme
from tests.relayer.chain_helpers import (
    RpcFaults,
    approved_devnet,
    ask_body,
    bid_body,
    domain_of,
    relayer_settings,
    wait_for,
)
from tests.relayer.helpers import free_port, order_body

pytestmark = pytest.mark.devnet
#: WETH and USDC clearing prices at which `ask_body` and `bid_body` cross (200 USDC / 0.1 WETH)
PRICE_WETH, PRICE_USDC = 200 * 10**6, 10**17
_seq = itertools.count(1)


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    with approved_devnet(tmp_path_factory.mktemp("manifests")) as dn:
        owner = dn.accounts[0].address  # the deployer: allow-listed as a second relayer
        wait_for_receipt(
            dn.w3,
            settlement_of(dn).functions.setRelayer(owner, True).transact({"from": owner}),
            "allow-list a second relayer",
        )
        yield dn


@pytest.fixture
def chain(devnet: Devnet) -> Iterator[Devnet]:
    """The module's devnet, put back as it was after the test."""
    snapshot = devnet.node.snapshot()
    yield devnet
    devnet.node.revert(snapshot)


def settlement_of(dn: Devnet) -> Contract:
    return dn.w3.eth.contract(
        address=dn.manifest.address("Settlement"), abi=load_artifact("Settlement").abi
    )


@dataclass
class Harness:
    """A relayer whose worker is driven by hand (no threads) against the devnet."""

    dn: Devnet
    relayer: Relayer
    start: int

    @property
    def worker(self) -> BatchWorker:
        worker = self.relayer.ctx.worker
        assert isinstance(worker, BatchWorker)
        return worker

    @property
    def follower(self) -> EventFollower:
        assert self.worker.follower is not None
        return self.worker.follower

    def store(self, body: dict[str, Any]) -> str:
        valid = self.relayer.ctx.validator.parse(body)
        row = order_row(
            valid.order,
            valid.uid_hex,
            valid.signature,
            int(valid.scheme),
            valid.market.name,
            next(_seq),
        )
        assert self.relayer.ctx.store.orders.insert_orders([row]) == {valid.uid_hex}
        return valid.uid_hex

    def order(self, uid: str) -> OrderRecord:
        row = self.relayer.ctx.store.orders.get_order(uid)
        assert row is not None
        return row

    def follow(self) -> None:
        self.follower.follow(self.dn.w3.eth.block_number)

    def cursor(self) -> Cursor:
        cursor = ReconcileStore(self.relayer.ctx.store.engine).cursor()
        assert cursor is not None
        return cursor


@pytest.fixture
def harness(chain: Devnet, db_url: str, tmp_path: Path) -> Iterator[Harness]:
    start = chain.w3.eth.block_number + 1
    relayer = build(
        relayer_settings(
            chain,
            db_url,
            reconcile_from_block=start,
            route_pools=False,
            lock_file=tmp_path / "submitter.lock",
        )
    )
    yield Harness(chain, relayer, start)
    relayer.ctx.store.engine.dispose()


def order_of(body: dict[str, Any]) -> Order:
    return Order.from_json_dict(
        {k: v for k, v in body.items() if k not in ("signature", "signingScheme")}
    )


def settle_elsewhere(dn: Devnet, bodies: list[dict[str, Any]], executed: list[int]) -> str:
    """Settle the orders from the second allow-listed relayer; returns the tx hash."""
    fills = [
        Fill(order_of(b), bytes.fromhex(b["signature"][2:]), x)
        for b, x in zip(bodies, executed, strict=True)
    ]
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    batch = build_batch(fills, {weth: PRICE_WETH, usdc: PRICE_USDC})
    tx = (
        settlement_of(dn)
        .functions.settle(*batch.args())
        .transact({"from": dn.accounts[0].address, "gas": 2_000_000})
    )
    wait_for_receipt(dn.w3, tx, "settle by the second relayer")
    return "0x" + bytes(tx).hex()


def send(dn: Devnet, wallet: int, call: Any, what: str) -> str:
    tx = call.transact({"from": dn.accounts[wallet].address})
    wait_for_receipt(dn.w3, tx, what)
    return "0x" + bytes(tx).hex()


def order_tuple(body: dict[str, Any]) -> tuple[Any, ...]:
    return order_of(body).as_abi_tuple()


# ---------------------------------------------------------------- fills by another relayer


def test_order_settled_by_another_relayer_becomes_filled_and_is_not_batched_again(
    harness: Harness,
) -> None:
    h, dn = harness, harness.dn
    ask, bid = ask_body(dn, 1), bid_body(dn, 2)
    filled = [h.store(ask), h.store(bid)]
    spare_ask, spare_bid = h.store(ask_body(dn, 3)), h.store(bid_body(dn, 4))
    loop = asyncio.new_event_loop()
    h.relayer.ctx.events.bind(loop)
    stream = h.relayer.ctx.events.subscribe()
    tx_hash = settle_elsewhere(dn, [ask, bid], [10**17, 200 * 10**6])

    h.follow()

    for uid, sold in zip(filled, (10**17, 200 * 10**6), strict=True):
        row = h.order(uid)
        assert (row["status"], int(row["executed_sell"])) == (OrderStatus.FILLED, sold)
    trades = TestClient(h.relayer.app).get("/v1/trades", params={"orderUid": filled[0]}).json()
    assert [(t["txHash"], t["batchId"], t["soldAmount"]) for t in trades] == [
        (tx_hash, None, str(10**17))
    ]
    loop.run_until_complete(asyncio.sleep(0))  # deliver what the follower published
    published = [stream.get_nowait() for _ in range(stream.qsize())]
    loop.close()
    assert {(e["type"], e.get("uid") or e.get("orderUid")) for e in published} >= {
        ("order", filled[0]),
        ("order", filled[1]),
        ("trade", filled[0]),
        ("trade", filled[1]),
    }
    # the next cut pairs the two orders still open, not the filled ones
    (batch_id,) = h.worker.cut()
    in_batch = {row["uid"] for row, _ in h.relayer.ctx.store.batches.batch_fills(batch_id)}
    assert in_batch == {spare_ask, spare_bid}


def test_partial_fill_by_another_relayer_keeps_the_order_open_for_the_rest(
    harness: Harness,
) -> None:
    h, dn = harness, harness.dn
    ask = ask_body(dn, 1, partial=True)
    half_bid = order_body(
        domain_of(dn),
        dn.accounts[2].private_key,
        dn.accounts[2].address,
        dn.manifest.tokens["USDC"].address,
        dn.manifest.tokens["WETH"].address,
        100 * 10**6,
        49 * 10**15,
    )
    uid = h.store(ask)
    settle_elsewhere(dn, [ask, half_bid], [5 * 10**16, 100 * 10**6])
    h.follow()
    row = h.order(uid)
    assert (row["status"], row["executed_sell"], row["executed_buy"]) == (
        OrderStatus.OPEN,
        str(5 * 10**16),
        str(100 * 10**6),
    )
    (open_ask,) = h.relayer.ctx.store.orders.open_book_orders({})
    assert (open_ask.uid, open_ask.remaining) == (uid, 5 * 10**16)


# ---------------------------------------------------------------- cancellations on chain


def test_cancel_order_on_chain_cancels_the_stored_order(harness: Harness) -> None:
    h, dn = harness, harness.dn
    fok, partial, other = ask_body(dn, 1), ask_body(dn, 3, partial=True), bid_body(dn, 2)
    uids = [h.store(fok), h.store(partial), h.store(other)]
    settlement = settlement_of(dn)
    tx = send(dn, 1, settlement.functions.cancelOrder(order_tuple(fok)), "cancelOrder")
    send(dn, 3, settlement.functions.cancelOrder(order_tuple(partial)), "cancelOrder")
    h.follow()
    rows = [h.order(u) for u in uids]
    assert [r["status"] for r in rows] == ["cancelled", "cancelled", "open"]
    assert "cancelOrder" in rows[0]["reason"] and tx in rows[0]["reason"]


def test_nonce_floor_and_nonce_bits_cancel_the_owners_matching_orders(harness: Harness) -> None:
    h, dn = harness, harness.dn
    below = [h.store(ask_body(dn, 1, nonce=5)), h.store(ask_body(dn, 1, nonce=6, partial=True))]
    above = h.store(ask_body(dn, 1, nonce=50))
    someone_else = h.store(ask_body(dn, 2, nonce=5))
    word1_fok = h.store(ask_body(dn, 1, nonce=256 + 44))
    word1_partial = h.store(ask_body(dn, 1, nonce=256 + 44, partial=True))  # nonce: a salt
    settlement = settlement_of(dn)
    send(dn, 1, settlement.functions.setNonceFloor(10), "setNonceFloor")
    send(dn, 1, settlement.functions.invalidateNonces(1, 1 << 44), "invalidateNonces")
    h.follow()
    status = {
        u: h.order(u)["status"] for u in [*below, above, someone_else, word1_fok, word1_partial]
    }
    assert status == {
        below[0]: "cancelled",
        below[1]: "cancelled",
        above: "open",
        someone_else: "open",
        word1_fok: "cancelled",
        word1_partial: "open",
    }
    assert "floor 10" in h.order(below[0])["reason"]


def test_revoked_pre_signature_cancels_and_signing_again_reopens(harness: Harness) -> None:
    h, dn = harness, harness.dn
    body = ask_body(dn, 1)
    body.update(signature="0x", signingScheme="presign")
    uid = h.store(body)
    settlement = settlement_of(dn)
    send(dn, 1, settlement.functions.setPreSignature(bytes.fromhex(uid[2:]), True), "presign")
    h.follow()
    assert h.order(uid)["status"] == "open"
    send(dn, 1, settlement.functions.setPreSignature(bytes.fromhex(uid[2:]), False), "revoke")
    h.follow()
    row = h.order(uid)
    assert (row["status"], int(row["signing_scheme"])) == ("cancelled", SigningScheme.PRESIGN)
    assert "pre-signature revoked" in row["reason"]
    send(dn, 1, settlement.functions.setPreSignature(bytes.fromhex(uid[2:]), True), "presign")
    h.follow()
    assert (h.order(uid)["status"], h.order(uid)["reason"]) == ("open", None)


# ---------------------------------------------------------------- idempotence, own batches


def test_following_the_same_range_again_changes_nothing(harness: Harness) -> None:
    h, dn = harness, harness.dn
    ask, bid = ask_body(dn, 1, partial=True), bid_body(dn, 2)
    cancelled_body = ask_body(dn, 3)
    uids = [h.store(ask), h.store(bid), h.store(cancelled_body)]
    settle_elsewhere(dn, [ask, bid], [10**17, 200 * 10**6])
    send(dn, 3, settlement_of(dn).functions.cancelOrder(order_tuple(cancelled_body)), "cancel")
    h.follow()
    before = ([h.order(u) for u in uids], h.relayer.ctx.store.orders.trades())
    assert [r["status"] for r in before[0]] == ["filled", "filled", "cancelled"]
    reader = ReconcileStore(h.relayer.ctx.store.engine)
    end = h.cursor()
    reader.set_cursor(Cursor(h.start - 1, dn.w3.eth.get_block(h.start - 1)["hash"].to_0x_hex()))
    h.follower._followed_head = -1  # the same head: follow it again
    h.follow()
    assert h.cursor() == end
    assert ([h.order(u) for u in uids], h.relayer.ctx.store.orders.trades()) == before


def test_fills_of_our_own_batch_are_left_to_the_receipt_path_and_counted_once(
    harness: Harness,
) -> None:
    h, dn = harness, harness.dn
    uids = [h.store(ask_body(dn, 1)), h.store(bid_body(dn, 2))]
    (batch_id,) = h.worker.cut()
    planned = h.relayer.ctx.store.batches.batch(batch_id)
    assert planned is not None
    h.worker.advance(planned, dn.w3.eth.block_number)  # signed, stored, sent
    submitted = h.relayer.ctx.store.batches.batch(batch_id)
    assert submitted is not None and submitted["status"] == "submitted"
    (tx_hash,) = json.loads(submitted["tx_hashes"])
    # automine mines in the background: the receipt can lag the send by a moment
    assert dn.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)["status"] == 1
    h.follow()  # reads the batch's Trade events before the worker looked for the receipt
    assert h.cursor().block_number == dn.w3.eth.block_number
    assert h.relayer.ctx.store.orders.trades() == []  # ours: the receipt path records them
    assert [h.order(u)["status"] for u in uids] == ["pending", "pending"]

    def final() -> bool:
        h.worker.step()
        return all(h.order(u)["status"] == "filled" for u in uids)

    wait_for(final, "our batch to be final")
    # read the batch's block once more, now that the batch is final: skipped again
    start_hash = dn.w3.eth.get_block(h.start - 1)["hash"].to_0x_hex()
    ReconcileStore(h.relayer.ctx.store.engine).set_cursor(Cursor(h.start - 1, start_hash))
    h.follower._followed_head = -1
    h.follow()
    trades = h.relayer.ctx.store.orders.trades()
    assert len(trades) == 2 and {t["batch_id"] for t in trades} == {batch_id}
    assert [int(h.order(u)["executed_sell"]) for u in uids] == [10**17, 200 * 10**6]


def test_a_cancel_on_chain_after_our_batch_filled_the_order_keeps_the_fill(
    harness: Harness,
) -> None:
    """The owner cancels after our batch filled the order (cancelOrder still succeeds: it sets
    the spent nonce bit again) and the follower reads the cancel before the receipt path: the
    order ends filled with the batch's amounts, not cancelled."""
    h, dn = harness, harness.dn
    ask, bid = ask_body(dn, 1), bid_body(dn, 2)
    uids = [h.store(ask), h.store(bid)]
    (batch_id,) = h.worker.cut()
    planned = h.relayer.ctx.store.batches.batch(batch_id)
    assert planned is not None
    h.worker.advance(planned, dn.w3.eth.block_number)  # mined at once, receipt not looked at
    send(dn, 1, settlement_of(dn).functions.cancelOrder(order_tuple(ask)), "late cancel")
    h.follow()
    assert h.order(uids[0])["status"] == "cancelled"

    def final() -> bool:
        h.worker.step()
        batch = h.relayer.ctx.store.batches.batch(batch_id)
        return batch is not None and batch["status"] == "final"

    wait_for(final, "our batch to be final")
    rows = [h.order(u) for u in uids]
    assert [(r["status"], int(r["executed_sell"])) for r in rows] == [
        ("filled", 10**17),
        ("filled", 200 * 10**6),
    ]


# ---------------------------------------------------------------- reorgs, node errors, ranges


def test_reorg_under_the_cursor_rewinds_and_the_new_chain_is_applied(harness: Harness) -> None:
    h, dn = harness, harness.dn
    ask, bid, doomed = ask_body(dn, 1), bid_body(dn, 2), ask_body(dn, 3)
    uids = [h.store(ask), h.store(bid), h.store(doomed)]
    first_tx = settle_elsewhere(dn, [ask, bid], [10**17, 200 * 10**6])
    send(dn, 3, settlement_of(dn).functions.cancelOrder(order_tuple(doomed)), "cancel")
    h.follow()
    assert [h.order(u)["status"] for u in uids] == ["filled", "filled", "cancelled"]
    applied_at = h.cursor()
    dn.node.rpc("anvil_reorg", [2, []])  # both transactions leave the chain
    dn.node.mine(1)  # a new head for the follower
    assert dn.w3.eth.get_block(applied_at.block_number)["hash"].to_0x_hex() != (
        applied_at.block_hash
    )
    h.follow()
    rows = [h.order(u) for u in uids]
    assert [(r["status"], r["executed_sell"]) for r in rows] == [("open", "0")] * 3
    assert h.relayer.ctx.store.orders.trades() == []
    assert h.cursor().block_hash == dn.w3.eth.get_block(h.cursor().block_number)["hash"].to_0x_hex()
    # the other relayer settles again on the new chain: applied once more, at its new place
    second_tx = settle_elsewhere(dn, [ask, bid], [10**17, 200 * 10**6])
    h.follow()
    trades = h.relayer.ctx.store.orders.trades()
    assert [r["status"] for r in (h.order(u) for u in uids)] == ["filled", "filled", "open"]
    assert len(trades) == 2 and {t["tx_hash"] for t in trades} == {second_tx}
    mined_in = dn.w3.eth.get_transaction_receipt(second_tx)["blockNumber"]
    assert {t["block_number"] for t in trades} == {mined_in} and second_tx != first_tx


def _pair_settled_unseen(h: Harness) -> tuple[Cursor, list[str]]:
    """A stored crossing pair settled by another relayer after the follower's last step: the
    cursor before it, and the pair's uids (both still open here)."""
    h.follow()
    cursor = h.cursor()
    ask, bid = ask_body(h.dn, 1), bid_body(h.dn, 2)
    uids = [h.store(ask), h.store(bid)]
    settle_elsewhere(h.dn, [ask, bid], [10**17, 200 * 10**6])
    return cursor, uids


def test_a_node_error_leaves_the_cursor_and_the_range_is_read_later(harness: Harness) -> None:
    h, dn = harness, harness.dn
    cursor, uids = _pair_settled_unseen(h)
    dead = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{free_port()}"))
    away = EventFollower(h.relayer.ctx, dead, dn.manifest.address("Settlement"))
    away.follow(dn.w3.eth.block_number)  # logged, not raised
    assert h.cursor() == cursor and h.order(uids[0])["status"] == "open"
    h.follow()
    assert [h.order(u)["status"] for u in uids] == ["filled", "filled"]


@pytest.mark.parametrize("fault", ["range-too-wide", "lagging-node", "odd-logs-reply"])
def test_a_provider_that_refuses_a_range_or_lags_leaves_the_cursor_for_the_next_step(
    harness: Harness, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A provider refuses the log range ("more than 10000 results"), a load-balanced one
    answers null for a block its other node just reported, or one answers logs that are not
    a list: the follower logs it, keeps its cursor, and applies the fills at the next step."""
    h, dn = harness, harness.dn
    cursor, uids = _pair_settled_unseen(h)
    with RpcFaults(dn.node.rpc_url) as node:
        if fault == "range-too-wide":
            node.fail("eth_getLogs", code=-32005, message="query returned more than 10000 results")
            reason = "more than 10000 results"
        elif fault == "lagging-node":
            node.answer("eth_getBlockByNumber", None)
            reason = "the node has no block"
        else:
            node.answer("eth_getLogs", {"logs": []})
            reason = "eth_getLogs returned dict, not a list"
        settlement = dn.manifest.address("Settlement")
        follower = EventFollower(h.relayer.ctx, web3_for(node.url), settlement)
        head = dn.w3.eth.block_number
        follower.follow(head)  # logged, not raised
        assert h.cursor() == cursor and h.order(uids[0])["status"] == "open"
        assert any(reason in r.getMessage() for r in caplog.records)
        follower.follow(head)
    assert [h.order(u)["status"] for u in uids] == ["filled", "filled"]


def test_logs_are_read_in_bounded_ranges(chain: Devnet, db_url: str, tmp_path: Path) -> None:
    start = chain.w3.eth.block_number + 1
    relayer = build(
        relayer_settings(
            chain,
            db_url,
            reconcile_from_block=start,
            reconcile_log_range_blocks=1,
            lock_file=tmp_path / "submitter.lock",
        )
    )
    h = Harness(chain, relayer, start)
    ask = ask_body(chain, 1)
    uid = h.store(ask)
    chain.node.mine(MAX_RANGES_PER_STEP + 3)
    send(chain, 1, settlement_of(chain).functions.cancelOrder(order_tuple(ask)), "cancel")
    h.follow()  # one block per request, MAX_RANGES_PER_STEP of them
    assert h.cursor().block_number == start - 1 + MAX_RANGES_PER_STEP
    assert h.order(uid)["status"] == "open"  # its block is not read yet
    h.follow()
    assert h.cursor().block_number == chain.w3.eth.block_number
    assert h.order(uid)["status"] == "cancelled"
    relayer.ctx.store.engine.dispose()


# ---------------------------------------------------------------- the store alone


def test_a_range_is_not_applied_when_the_cursor_moved(harness: Harness) -> None:
    h = harness
    reader = ReconcileStore(h.relayer.ctx.store.engine)
    h.follow()
    cursor = h.cursor()
    stale = Cursor(cursor.block_number - 1, None)
    with pytest.raises(CursorMoved):
        reader.apply([], stale, Cursor(cursor.block_number + 5, "0x" + "ab" * 32))
    assert h.cursor() == cursor


@pytest.mark.parametrize(
    ("setting", "deployment", "expected"),
    [(7, 3, 7), (None, 3, 3), (None, None, 10_000 - 100)],
)
def test_where_a_new_cursor_starts(
    make_ctx: Any, setting: int | None, deployment: int | None, expected: int
) -> None:
    ctx = make_ctx(reconcile_from_block=setting, reconcile_start_window_blocks=100)
    follower = EventFollower(ctx, Web3(), "0x" + "44" * 20, deployment_block=deployment)
    assert follower.start_block(head=10_000) == expected
