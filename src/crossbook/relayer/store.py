"""Durable order storage over SQLAlchemy Core (SQLite WAL or PostgreSQL).

Every write commits before it returns, so an order the API acknowledged survives a crash.
`insert_orders` is idempotent: `INSERT ... ON CONFLICT (uid) DO NOTHING RETURNING uid`, so
the same order posted any number of times, concurrently or not, is stored once.
`OrderWriter` groups concurrent inserts into one transaction (group commit): one fsync per
group instead of one per order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossbook.order import Order
from crossbook.relayer.db.models import (
    BatchOrderRow,
    BatchRow,
    BatchStatus,
    OrderRow,
    OrderStatus,
    TradeRow,
)
from crossbook.relayer.matching import BatchPlan, BookOrder, PlannedBookLeg, PlannedLeg

orders_t = cast(Table, OrderRow.__table__)
batches_t = cast(Table, BatchRow.__table__)
batch_orders_t = cast(Table, BatchOrderRow.__table__)
trades_t = cast(Table, TradeRow.__table__)

Row = dict[str, Any]

#: the columns `order_row` fills, in the order the driver-level insert binds them
_ORDER_COLUMNS: tuple[str, ...] = tuple(c.name for c in orders_t.columns)
#: rows per INSERT statement: 22 parameters each stays below SQLite's 32,766 per statement
_INSERT_CHUNK = 1000


def order_row(order: Order, uid: str, signature: bytes, scheme: int, market: str, seq: int) -> Row:
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


def row_order(row: Row) -> Order:
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


def book_order(row: Row) -> BookOrder:
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
    """`batches.legs`: pool legs as they were (no `kind`), book legs with `"kind": "book"`."""
    return json.dumps([_leg_json(leg) for leg in plan.legs])


def _leg_json(leg: PlannedLeg | PlannedBookLeg) -> dict[str, Any]:
    if isinstance(leg, PlannedLeg):
        return {
            "tokenIn": leg.token_in, "tokenOut": leg.token_out, "fee": leg.fee,
            "amountIn": str(leg.amount_in), "minAmountOut": str(leg.min_amount_out),
        }  # fmt: skip
    return {
        "kind": "book", "base": leg.base, "quote": leg.quote, "tickSize": str(leg.tick_size),
        "lotSize": str(leg.lot_size), "minLots": str(leg.min_lots), "feePpm": leg.fee_ppm,
        "side": leg.side, "limitTick": leg.limit_tick, "lots": str(leg.lots),
        "maxSteps": leg.max_steps, "amountIn": str(leg.amount_in),
        "minAmountOut": str(leg.min_amount_out),
    }  # fmt: skip


def legs_of(batch: Row) -> list[PlannedLeg | PlannedBookLeg]:
    out: list[PlannedLeg | PlannedBookLeg] = []
    for leg in json.loads(batch.get("legs") or "[]"):
        if leg.get("kind") == "book":
            out.append(PlannedBookLeg(
                leg["base"], leg["quote"], int(leg["tickSize"]), int(leg["lotSize"]),
                int(leg["minLots"]), int(leg["feePpm"]), int(leg["side"]),
                int(leg["limitTick"]), int(leg["lots"]), int(leg["maxSteps"]),
                int(leg["amountIn"]), int(leg["minAmountOut"]),
            ))  # fmt: skip
        else:
            out.append(PlannedLeg(leg["tokenIn"], leg["tokenOut"], int(leg["fee"]),
                                  int(leg["amountIn"]), int(leg["minAmountOut"])))  # fmt: skip
    return out


@dataclass(frozen=True)
class ChainTrade:
    """A decoded `Trade` event."""

    tx_hash: str
    log_index: int
    block_number: int
    order_uid: str
    owner: str
    sell_token: str
    buy_token: str
    sold: int
    bought: int
    fee: int


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name
        self._insert_cache: dict[int, str] = {}

    # ------------------------------------------------------------ orders

    def insert_orders(self, rows: Sequence[Row]) -> set[str]:
        """Insert in one transaction; returns the uids that were new (the rest existed).

        One multi-row `INSERT ... ON CONFLICT (uid) DO NOTHING RETURNING uid` per chunk, sent
        to the driver as written: SQLAlchemy's statement building cost about three times the
        database's own work for the small groups that single-order posts produce.
        """
        if not rows:
            return set()
        # the same uid twice in one group: keep the first (ON CONFLICT sees only committed rows
        # in PostgreSQL's multi-row insert, and would raise on an in-statement duplicate)
        unique: dict[str, Row] = {}
        for row in rows:
            unique.setdefault(row["uid"], row)
        values = list(unique.values())
        new: set[str] = set()
        with self.engine.begin() as conn:
            for start in range(0, len(values), _INSERT_CHUNK):
                chunk = values[start : start + _INSERT_CHUNK]
                params = tuple(row[c] for row in chunk for c in _ORDER_COLUMNS)
                result = conn.exec_driver_sql(self._insert_sql(len(chunk)), params)
                new.update(r[0] for r in result)
        return new

    def _insert_sql(self, n: int) -> str:
        sql = self._insert_cache.get(n)
        if sql is None:
            mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
            row = "(" + ",".join([mark] * len(_ORDER_COLUMNS)) + ")"
            sql = (
                f"INSERT INTO orders ({','.join(_ORDER_COLUMNS)}) VALUES "
                + ",".join([row] * n)
                + " ON CONFLICT (uid) DO NOTHING RETURNING uid"
            )
            if len(self._insert_cache) < 256:
                self._insert_cache[n] = sql
        return sql

    def get_order(self, uid: str) -> Row | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(orders_t).where(orders_t.c.uid == uid)).mappings().first()
            return dict(row) if row else None

    def get_orders(self, uids: Iterable[str]) -> list[Row]:
        uids = list(uids)
        with self.engine.connect() as conn:
            rows = conn.execute(select(orders_t).where(orders_t.c.uid.in_(uids))).mappings()
            return [dict(r) for r in rows]

    def orders_of(
        self, owner: str, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Row]:
        query = select(orders_t).where(orders_t.c.owner == owner)
        if status is not None:
            query = query.where(orders_t.c.status == status)
        query = query.order_by(orders_t.c.seq.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def open_count(self, owner: str) -> int:
        query = select(func.count()).where(
            and_(
                orders_t.c.owner == owner,
                orders_t.c.status.in_((OrderStatus.OPEN, OrderStatus.PENDING)),
            )
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def open_orders(self, market: str | None = None) -> list[Row]:
        query = select(orders_t).where(orders_t.c.status == OrderStatus.OPEN)
        if market is not None:
            query = query.where(orders_t.c.market == market)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query.order_by(orders_t.c.seq)).mappings()]

    def open_book_orders(self, cache: dict[str, BookOrder]) -> list[BookOrder]:
        """Every open order as the matcher sees it, in arrival order. `cache` (uid ->
        BookOrder, kept by the caller between calls) spares re-reading and re-building the
        orders that did not change: only uid, seq and executed amount are read for all."""
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        # the driver, and sorting here by seq rather than in SQLite (a temporary B-tree per
        # cut), made a cut over 40,000 open orders about three times cheaper
        query = f"SELECT seq, uid, executed_sell FROM orders WHERE status = {mark}"
        with self.engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(query, (OrderStatus.OPEN,))
                found: list[Any] = list(cursor.fetchall())
            finally:
                cursor.close()
            found.sort(key=lambda r: r[0])
            current = [(str(u), int(e)) for _, u, e in found]
            stale = [
                u for u, executed in current
                if (o := cache.get(u)) is None or o.remaining != o.sell_amount - executed
            ]  # fmt: skip
            for i in range(0, len(stale), 500):
                for row in conn.execute(
                    select(orders_t).where(orders_t.c.uid.in_(stale[i : i + 500]))
                ).mappings():
                    cache[row["uid"]] = book_order(dict(row))
        live = {u for u, _ in current}
        for uid in [u for u in cache if u not in live]:
            del cache[uid]
        return [cache[u] for u, _ in current if u in cache]

    def cancel(self, uid: str) -> bool:
        """Open -> cancelled; False if the order is not open (in flight or final)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(orders_t)
                .where(and_(orders_t.c.uid == uid, orders_t.c.status == OrderStatus.OPEN))
                .values(status=OrderStatus.CANCELLED, reason="cancelled by its owner")
            )
            return result.rowcount == 1

    def expire(self, now: int) -> list[str]:
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(orders_t)
                .where(and_(orders_t.c.status == OrderStatus.OPEN, orders_t.c.valid_to < now))
                .values(status=OrderStatus.EXPIRED, reason="validTo passed")
                .returning(orders_t.c.uid)
            )
            return [r[0] for r in rows]

    def status_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(orders_t.c.status, func.count()).group_by(orders_t.c.status))
            return {str(status): int(count) for status, count in rows}

    # ------------------------------------------------------------ batches

    def create_batch(self, plan: BatchPlan, tokens: list[str], prices: list[int]) -> int | None:
        """Persist a planned batch and move its orders open -> pending, atomically.

        None if one of its orders is no longer open (cancelled meanwhile): nothing changes.
        """
        uids = [f.order.uid for f in plan.fills]
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(orders_t)
                .where(and_(orders_t.c.uid.in_(uids), orders_t.c.status == OrderStatus.OPEN))
                .values(status=OrderStatus.PENDING)
            ).rowcount
            if moved != len(uids):
                conn.rollback()
                return None
            batch_id = conn.execute(
                insert(batches_t)
                .values(
                    market=plan.market.name,
                    status=BatchStatus.PLANNED,
                    tokens=json.dumps(tokens),
                    prices=json.dumps([str(p) for p in prices]),
                    clearing_price=f"{plan.price_num}/{plan.price_den}",
                    legs=legs_json(plan),
                    tx_hashes="[]",
                    created_at=time.time(),
                )
                .returning(batches_t.c.id)
            ).scalar_one()
            conn.execute(
                insert(batch_orders_t),
                [
                    {"batch_id": batch_id, "order_uid": f.order.uid,
                     "executed_sell": str(f.executed_sell)}
                    for f in plan.fills
                ],
            )  # fmt: skip
            return int(batch_id)

    def batch(self, batch_id: int) -> Row | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(batches_t).where(batches_t.c.id == batch_id)).mappings().first()
            )
            if row is None:
                return None
            fills = conn.execute(
                select(batch_orders_t).where(batch_orders_t.c.batch_id == batch_id)
            ).mappings()
            return {**dict(row), "fills": [dict(f) for f in fills]}

    def active_batches(self) -> list[Row]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(batches_t)
                .where(batches_t.c.status.in_(tuple(BatchStatus.ACTIVE)))
                .order_by(batches_t.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def batch_fills(self, batch_id: int) -> list[tuple[Row, int]]:
        """(order row, executed sell) of every order in the batch."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(orders_t, batch_orders_t.c.executed_sell.label("batch_executed"))
                .join(batch_orders_t, batch_orders_t.c.order_uid == orders_t.c.uid)
                .where(batch_orders_t.c.batch_id == batch_id)
                .order_by(orders_t.c.seq)
            ).mappings()
            return [(dict(r), int(r["batch_executed"])) for r in rows]

    def update_batch(self, batch_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(batches_t).where(batches_t.c.id == batch_id).values(**values))

    def replan_batch(
        self,
        batch_id: int,
        plan: BatchPlan,
        tokens: list[str],
        prices: list[int],
        dropped: dict[str, str],
    ) -> None:
        """Replace a planned batch's fills after simulation dropped orders.

        Dropped orders become invalid (with the chain's reason); orders that were in the
        batch but not in the new plan go back to open.
        """
        keep = {f.order.uid for f in plan.fills}
        with self.engine.begin() as conn:
            old = [
                r[0]
                for r in conn.execute(
                    select(batch_orders_t.c.order_uid).where(batch_orders_t.c.batch_id == batch_id)
                )
            ]
            for uid, reason in dropped.items():
                conn.execute(
                    update(orders_t)
                    .where(orders_t.c.uid == uid)
                    .values(status=OrderStatus.INVALID, reason=reason[:500])
                )
            back = [u for u in old if u not in keep and u not in dropped]
            if back:
                conn.execute(
                    update(orders_t)
                    .where(and_(orders_t.c.uid.in_(back), orders_t.c.status == OrderStatus.PENDING))
                    .values(status=OrderStatus.OPEN)
                )
            conn.execute(delete(batch_orders_t).where(batch_orders_t.c.batch_id == batch_id))
            if plan.fills:
                conn.execute(
                    insert(batch_orders_t),
                    [
                        {"batch_id": batch_id, "order_uid": f.order.uid,
                         "executed_sell": str(f.executed_sell)}
                        for f in plan.fills
                    ],
                )  # fmt: skip
            conn.execute(
                update(batches_t)
                .where(batches_t.c.id == batch_id)
                .values(
                    tokens=json.dumps(tokens),
                    prices=json.dumps([str(p) for p in prices]),
                    clearing_price=f"{plan.price_num}/{plan.price_den}",
                    legs=legs_json(plan),
                )
            )

    def fail_batch(
        self, batch_id: int, reason: str, *, invalid: dict[str, str] | None = None,
        max_failures: int = 3, penalise: bool = True,
    ) -> None:  # fmt: skip
        """The batch did not settle: its orders go back to open (or invalid after repeated
        failures, or when named in `invalid`). `penalise=False`: the culprits are all in
        `invalid`, so the others' failure counts stay as they were."""
        invalid = invalid or {}
        with self.engine.begin() as conn:
            uids = [
                r[0]
                for r in conn.execute(
                    select(batch_orders_t.c.order_uid).where(batch_orders_t.c.batch_id == batch_id)
                )
            ]
            for uid, why in invalid.items():
                conn.execute(
                    update(orders_t)
                    .where(orders_t.c.uid == uid)
                    .values(status=OrderStatus.INVALID, reason=why[:500])
                )
            rest = [u for u in uids if u not in invalid]
            if rest:
                conn.execute(
                    update(orders_t)
                    .where(and_(orders_t.c.uid.in_(rest), orders_t.c.status == OrderStatus.PENDING))
                    .values(failures=orders_t.c.failures + int(penalise), status=OrderStatus.OPEN)
                )
                conn.execute(
                    update(orders_t)
                    .where(
                        and_(
                            orders_t.c.uid.in_(rest),
                            orders_t.c.status == OrderStatus.OPEN,
                            orders_t.c.failures >= max_failures,
                        )
                    )
                    .values(status=OrderStatus.INVALID, reason=f"batch failed: {reason}"[:500])
                )
            conn.execute(
                update(batches_t)
                .where(batches_t.c.id == batch_id)
                .values(status=BatchStatus.FAILED, reason=reason[:1000])
            )

    def finalize_batch(
        self, batch_id: int, tx_hash: str, block: int, gas_used: int, trades: list[ChainTrade],
        block_hash: str | None = None,
    ) -> None:  # fmt: skip
        """The batch is confirmed: record its Trade events, the chain's word on every fill.

        An order in the batch without a Trade event did not fill and goes back to open.
        """
        now = time.time()
        with self.engine.begin() as conn:
            rows = {
                r["uid"]: dict(r)
                for r in conn.execute(
                    select(orders_t)
                    .join(batch_orders_t, batch_orders_t.c.order_uid == orders_t.c.uid)
                    .where(batch_orders_t.c.batch_id == batch_id)
                ).mappings()
            }
            # one statement per table, not per fill: a batch holds up to a block of fills
            known = {
                (str(h), int(i))
                for h, i in conn.execute(
                    select(trades_t.c.tx_hash, trades_t.c.log_index).where(
                        trades_t.c.tx_hash.in_(sorted({t.tx_hash for t in trades}))
                    )
                )
            }
            fresh = [t for t in trades if (t.tx_hash, t.log_index) not in known]
            if fresh:
                dialect_insert = (
                    postgresql.insert if self._dialect == "postgresql" else sqlite.insert
                )
                conn.execute(
                    dialect_insert(trades_t).on_conflict_do_nothing(
                        index_elements=["tx_hash", "log_index"]
                    ),
                    [
                        {"tx_hash": t.tx_hash, "log_index": t.log_index,
                         "order_uid": t.order_uid, "batch_id": batch_id, "owner": t.owner,
                         "sell_token": t.sell_token, "buy_token": t.buy_token,
                         "sold": str(t.sold), "bought": str(t.bought), "fee": str(t.fee),
                         "block_number": t.block_number, "created_at": now}
                        for t in fresh
                    ],
                )  # fmt: skip
            for t in fresh:
                row = rows.get(t.order_uid)
                if row is None:
                    continue  # not ours
                row["executed_sell"] = str(int(row["executed_sell"]) + t.sold)
                row["executed_buy"] = str(int(row["executed_buy"]) + t.bought)
                row["executed_fee"] = str(int(row["executed_fee"]) + t.fee)
                row["_traded"] = True
            changes = []
            for uid, row in rows.items():
                # an order the event follower cancelled meanwhile (the owner cancelled on
                # chain after this batch filled it) still gets the fill the chain recorded
                if row["status"] != OrderStatus.PENDING and not row.get("_traded"):
                    continue
                full = int(row["executed_sell"]) >= int(row["sell_amount"])
                fok = not (int(row["flags"]) & 1)
                if full or (fok and row.get("_traded")):
                    status = OrderStatus.FILLED
                elif row["status"] == OrderStatus.PENDING:
                    status = OrderStatus.OPEN
                else:
                    status = row["status"]
                changes.append(
                    {"b_uid": uid, "b_status": status, "b_sell": row["executed_sell"],
                     "b_buy": row["executed_buy"], "b_fee": row["executed_fee"]}
                )  # fmt: skip
            if changes:
                conn.execute(
                    update(orders_t)
                    .where(orders_t.c.uid == bindparam("b_uid"))
                    .values(
                        status=bindparam("b_status"),
                        executed_sell=bindparam("b_sell"),
                        executed_buy=bindparam("b_buy"),
                        executed_fee=bindparam("b_fee"),
                    ),
                    changes,
                )
            conn.execute(
                update(batches_t)
                .where(batches_t.c.id == batch_id)
                .values(
                    status=BatchStatus.FINAL,
                    mined_tx=tx_hash,
                    block_number=block,
                    block_hash=block_hash,
                    gas_used=gas_used,
                )
            )

    def recent_final_batches(self, min_block: int) -> list[Row]:
        """Final batches mined at `min_block` or later, newest block first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(batches_t.c.id, batches_t.c.block_number, batches_t.c.block_hash,
                       batches_t.c.mined_tx, batches_t.c.raw_tx)
                .where(and_(batches_t.c.status == BatchStatus.FINAL,
                            batches_t.c.block_number >= min_block))
                .order_by(batches_t.c.block_number.desc(), batches_t.c.id.desc())
            ).mappings()  # fmt: skip
            return [dict(r) for r in rows]

    def unfinalize_batch(self, batch_id: int) -> int:
        """A final batch's block left the canonical chain (a reorg deeper than the
        confirmations): forget the fills recorded from it and send it back to submitted, its
        orders pending again with what they had executed before it. Returns the number of
        fills taken back. An order that has since joined another batch keeps that status."""
        with self.engine.begin() as conn:
            batch = conn.execute(
                select(batches_t).where(batches_t.c.id == batch_id)
            ).mappings().first()  # fmt: skip
            if batch is None or batch["status"] != BatchStatus.FINAL:
                return 0
            trades = list(conn.execute(
                select(trades_t).where(and_(trades_t.c.batch_id == batch_id,
                                            trades_t.c.tx_hash == batch["mined_tx"]))
            ).mappings())  # fmt: skip
            taken: dict[str, tuple[int, int, int]] = {}
            for t in trades:
                s, b, f = taken.get(t["order_uid"], (0, 0, 0))
                taken[t["order_uid"]] = (
                    s + int(t["sold"]),
                    b + int(t["bought"]),
                    f + int(t["fee"]),
                )
            in_batch = select(batch_orders_t.c.order_uid).where(
                batch_orders_t.c.batch_id == batch_id
            )
            uids = [r[0] for r in conn.execute(in_batch)]
            for row in conn.execute(select(orders_t).where(orders_t.c.uid.in_(uids))).mappings():
                sold, bought, fee = taken.get(row["uid"], (0, 0, 0))
                values: dict[str, Any] = {
                    "executed_sell": str(int(row["executed_sell"]) - sold),
                    "executed_buy": str(int(row["executed_buy"]) - bought),
                    "executed_fee": str(int(row["executed_fee"]) - fee),
                }
                if row["status"] in (OrderStatus.FILLED, OrderStatus.OPEN):
                    values["status"] = OrderStatus.PENDING
                conn.execute(update(orders_t).where(orders_t.c.uid == row["uid"]).values(**values))
            conn.execute(
                delete(trades_t).where(
                    and_(trades_t.c.batch_id == batch_id, trades_t.c.tx_hash == batch["mined_tx"])
                )
            )
            conn.execute(
                update(batches_t).where(batches_t.c.id == batch_id).values(
                    status=BatchStatus.SUBMITTED, mined_tx=None, block_number=None,
                    block_hash=None, gas_used=None,
                    reason=f"reorged out of block {batch['block_number']} after it was final")
            )  # fmt: skip
            return len(trades)

    # ------------------------------------------------------------ trades

    def trades(
        self, *, owner: str | None = None, order_uid: str | None = None, limit: int = 100
    ) -> list[Row]:
        query = select(trades_t)
        if owner is not None:
            query = query.where(trades_t.c.owner == owner)
        if order_uid is not None:
            query = query.where(trades_t.c.order_uid == order_uid)
        query = query.order_by(trades_t.c.block_number.desc(), trades_t.c.log_index.desc())
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query.limit(limit)).mappings()]


class OrderWriter:
    """Group commit for the API: concurrent `insert` calls share one transaction.

    Each caller awaits the commit of the group its row went into, so the API acknowledges an
    order only once it is durable.
    """

    def __init__(self, store: Store, max_group: int = 2000) -> None:
        self.store = store
        self.max_group = max_group
        self._queue: asyncio.Queue[tuple[Row, asyncio.Future[bool]]] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="order-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def insert(self, row: Row) -> bool:
        """True if the order is new, False if it was already stored (idempotent)."""
        if self._queue is None:
            raise RuntimeError("OrderWriter.start() was not called")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put((row, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            group = [await self._queue.get()]
            while len(group) < self.max_group and not self._queue.empty():
                group.append(self._queue.get_nowait())
            rows = [r for r, _ in group]
            try:
                # in a thread: the loop goes on parsing and verifying the next orders while
                # this group's commit waits for the disk
                new = await asyncio.to_thread(self.store.insert_orders, rows)
            except Exception as exc:
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                continue
            claimed: set[str] = set()
            for row, future in group:
                if future.done():
                    continue
                uid = row["uid"]
                # the first caller of a uid inserted in this group gets True, the rest False
                future.set_result(uid in new and uid not in claimed)
                claimed.add(uid)
