"""Reading a book: depth from the views, or rebuilt from the events alone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from web3.contract import Contract

from crossbook.book.errors import BookError
from crossbook.book.market import Side


@dataclass(frozen=True, slots=True)
class BookLevel:
    """The open lots resting at one tick of one side of an on-chain book."""

    tick: int
    lots: int


@dataclass
class Depth:
    """Best first: bids descending, asks ascending."""

    bids: list[BookLevel] = field(default_factory=list)
    asks: list[BookLevel] = field(default_factory=list)

    def top(self, levels: int) -> Depth:
        return Depth(self.bids[:levels], self.asks[:levels])


@dataclass(frozen=True)
class OrderState:
    order_id: int
    owner: str | None  # None once fully settled (or never placed)
    side: Side
    tick: int
    open_lots: int
    claimable_lots: int
    expiry: int


def read_order(book: Contract, order_id: int) -> OrderState:
    owner, side, tick, open_lots, claimable, expiry = book.functions.orderInfo(order_id).call()
    settled = int(owner, 16) == 0
    return OrderState(
        order_id=order_id,
        owner=None if settled else str(owner),
        side=Side((order_id >> 48) & 1) if settled else Side(side),
        tick=(order_id >> 32) & 0xFFFF if settled else int(tick),
        open_lots=int(open_lots),
        claimable_lots=int(claimable),
        expiry=int(expiry),
    )


def read_depth(book: Contract, levels: int) -> Depth:
    """The best ``levels`` levels of each side from the ``depth`` view."""
    out = Depth()
    for side, target in ((Side.BID, out.bids), (Side.ASK, out.asks)):
        for tick, lots, _price in book.functions.depth(int(side), levels).call():
            target.append(BookLevel(int(tick), int(lots)))
    return out


def depth_from_events(book: Contract, from_block: int = 0, to_block: int | str = "latest") -> Depth:
    """Rebuilds every level from ``OrderPlaced``, ``Take`` and ``OrderCancelled`` alone:
    a level's lots are placed minus taken minus cancelled."""
    lots: dict[tuple[int, int], int] = defaultdict(int)
    span: dict[str, Any] = {"from_block": from_block, "to_block": to_block}
    for log in book.events.OrderPlaced().get_logs(**span):
        a = log["args"]
        oid = int(a["id"])
        lots[((oid >> 48) & 1, (oid >> 32) & 0xFFFF)] += int(a["lots"])
    for log in book.events.Take().get_logs(**span):
        a = log["args"]
        lots[(int(a["makerSide"]), int(a["tick"]))] -= int(a["lots"])
    for log in book.events.OrderCancelled().get_logs(**span):
        a = log["args"]
        oid = int(a["id"])
        lots[((oid >> 48) & 1, (oid >> 32) & 0xFFFF)] -= int(a["lots"])
    out = Depth()
    for (side, tick), n in lots.items():
        if n < 0:
            raise BookError(f"events give negative lots at side {side} tick {tick}: missing logs?")
        if n:
            (out.bids if side == Side.BID else out.asks).append(BookLevel(tick, n))
    out.bids.sort(key=lambda lv: -lv.tick)
    out.asks.sort(key=lambda lv: lv.tick)
    return out


def balances_from_events(
    book: Contract, from_block: int = 0, to_block: int | str = "latest"
) -> dict[tuple[str, str], int]:
    """Every maker balance, keyed by (owner, token), rebuilt from events alone: each of
    ``Deposited``, ``Withdrawn`` and ``BalanceChanged`` carries the balance after it, so the
    last one of a pair is its balance. ``from_block`` must reach back to the pair's first
    event (a pair whose events all lie before it is missing, not zero)."""
    span: dict[str, Any] = {"from_block": from_block, "to_block": to_block}
    logs = [
        log
        for event in (book.events.Deposited, book.events.Withdrawn, book.events.BalanceChanged)
        for log in event().get_logs(**span)
    ]
    logs.sort(key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))
    out: dict[tuple[str, str], int] = {}
    for log in logs:
        a = log["args"]
        out[(str(a["owner"]), str(a["token"]))] = int(a["balance"])
    return out
