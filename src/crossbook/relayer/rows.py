"""Typed rows of the relayer's tables, and their mapping to and from the domain objects.

A row is the dict the database driver returns for one record (SQLAlchemy's `mappings()`),
typed with the table's columns; uint256 amounts are decimal strings (see `db.models`).
"""

from __future__ import annotations

import json
import time
from typing import Any, TypedDict

from crossbook.order import Order
from crossbook.relayer.db.models import OrderStatus
from crossbook.relayer.matching import BatchPlan, BookOrder, PlannedBookLeg, PlannedLeg


class OrderRecord(TypedDict):
    """A row of `orders`: a signed order and how much of it has executed."""

    uid: str
    owner: str
    receiver: str
    sell_token: str
    buy_token: str
    sell_amount: str
    buy_amount: str
    fee_amount: str
    valid_to: int
    nonce: str
    flags: int
    signing_scheme: int
    signature: bytes
    market: str
    status: str
    executed_sell: str
    executed_buy: str
    executed_fee: str
    failures: int
    reason: str | None
    created_at: float
    seq: int


class BatchRecord(TypedDict):
    """A row of `batches`: a planned batch and its settle transaction."""

    id: int
    market: str
    status: str
    tokens: str
    prices: str
    clearing_price: str
    legs: str
    tx_nonce: int | None
    tx_hashes: str
    raw_tx: bytes | None
    max_fee: str | None
    priority_fee: str | None
    mined_tx: str | None
    block_number: int | None
    block_hash: str | None
    gas_used: int | None
    reason: str | None
    created_at: float
    submitted_at: float | None


class BatchChanges(TypedDict, total=False):
    """Columns of `batches` that the transaction lifecycle sets (`BatchRepository.update_batch`)."""

    status: str
    tx_nonce: int
    tx_hashes: str
    raw_tx: bytes
    max_fee: str
    priority_fee: str
    submitted_at: float
    mined_tx: str | None
    block_number: int
    gas_used: int


class BatchFillRecord(TypedDict):
    """A row of `batch_orders`: an order in a batch and the amount it sells there."""

    batch_id: int
    order_uid: str
    executed_sell: str


class BatchDetail(BatchRecord):
    """A batch with its fills."""

    fills: list[BatchFillRecord]


class FinalBatchRecord(TypedDict):
    """What the deep-reorg check reads of a final batch (its block is always set)."""

    id: int
    block_number: int
    block_hash: str | None
    mined_tx: str | None
    raw_tx: bytes | None


class TradeRecord(TypedDict):
    """A row of `trades`: a `Trade` event, ours (`batch_id`) or another relayer's (None)."""

    tx_hash: str
    log_index: int
    order_uid: str
    batch_id: int | None
    owner: str
    sell_token: str
    buy_token: str
    sold: str
    bought: str
    fee: str
    block_number: int
    created_at: float


def order_row(
    order: Order, uid: str, signature: bytes, scheme: int, market: str, seq: int
) -> OrderRecord:
    """The row of a new, open order."""
    return {
        "uid": uid,
        "owner": order.owner,
        "receiver": order.receiver,
        "sell_token": order.sell_token,
        "buy_token": order.buy_token,
        "sell_amount": str(order.sell_amount),
        "buy_amount": str(order.buy_amount),
        "fee_amount": str(order.fee_amount),
        "valid_to": order.valid_to,
        "nonce": str(order.nonce),
        "flags": order.flags,
        "signing_scheme": scheme,
        "signature": signature,
        "market": market,
        "status": OrderStatus.OPEN,
        "executed_sell": "0",
        "executed_buy": "0",
        "executed_fee": "0",
        "failures": 0,
        "reason": None,
        "created_at": time.time(),
        "seq": seq,
    }


def row_order(row: OrderRecord) -> Order:
    """The signed order of a row."""
    return Order(
        owner=row["owner"],
        receiver=row["receiver"],
        sell_token=row["sell_token"],
        buy_token=row["buy_token"],
        sell_amount=int(row["sell_amount"]),
        buy_amount=int(row["buy_amount"]),
        fee_amount=int(row["fee_amount"]),
        valid_to=int(row["valid_to"]),
        nonce=int(row["nonce"]),
        flags=int(row["flags"]),
    )


def book_order(row: OrderRecord) -> BookOrder:
    """The order as the matcher sees it: what is left of it to sell."""
    sell = int(row["sell_amount"])
    return BookOrder(
        uid=row["uid"],
        sell_token=row["sell_token"],
        buy_token=row["buy_token"],
        sell_amount=sell,
        buy_amount=int(row["buy_amount"]),
        remaining=sell - int(row["executed_sell"]),
        partially_fillable=bool(int(row["flags"]) & 1),
        seq=int(row["seq"]),
    )


def legs_json(plan: BatchPlan) -> str:
    """`batches.legs`: pool legs with no `kind`, book legs with `"kind": "book"`."""
    return json.dumps([_leg_json(leg) for leg in plan.legs])


def _leg_json(leg: PlannedLeg | PlannedBookLeg) -> dict[str, Any]:
    if isinstance(leg, PlannedLeg):
        return {
            "tokenIn": leg.token_in,
            "tokenOut": leg.token_out,
            "fee": leg.fee,
            "amountIn": str(leg.amount_in),
            "minAmountOut": str(leg.min_amount_out),
        }
    return {
        "kind": "book",
        "base": leg.base,
        "quote": leg.quote,
        "tickSize": str(leg.tick_size),
        "lotSize": str(leg.lot_size),
        "minLots": str(leg.min_lots),
        "feePpm": leg.fee_ppm,
        "side": leg.side,
        "limitTick": leg.limit_tick,
        "lots": str(leg.lots),
        "maxSteps": leg.max_steps,
        "amountIn": str(leg.amount_in),
        "minAmountOut": str(leg.min_amount_out),
    }


def legs_of(batch: BatchRecord) -> list[PlannedLeg | PlannedBookLeg]:
    """The legs `legs_json` stored in a batch."""
    out: list[PlannedLeg | PlannedBookLeg] = []
    for leg in json.loads(batch.get("legs") or "[]"):
        if leg.get("kind") == "book":
            out.append(
                PlannedBookLeg(
                    leg["base"],
                    leg["quote"],
                    int(leg["tickSize"]),
                    int(leg["lotSize"]),
                    int(leg["minLots"]),
                    int(leg["feePpm"]),
                    int(leg["side"]),
                    int(leg["limitTick"]),
                    int(leg["lots"]),
                    int(leg["maxSteps"]),
                    int(leg["amountIn"]),
                    int(leg["minAmountOut"]),
                )
            )
        else:
            out.append(
                PlannedLeg(
                    leg["tokenIn"],
                    leg["tokenOut"],
                    int(leg["fee"]),
                    int(leg["amountIn"]),
                    int(leg["minAmountOut"]),
                )
            )
    return out
