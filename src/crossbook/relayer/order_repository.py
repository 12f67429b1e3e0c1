"""Orders in the store: inserted once, read by the API and the matcher, cancelled, expired;
and the fills recorded for them (`trades`).

`insert_orders` is idempotent: `INSERT ... ON CONFLICT (uid) DO NOTHING RETURNING uid`, so
the same order posted any number of times, concurrently or not, is stored once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Engine, and_, func, select, update

from crossbook.relayer.db.models import OrderStatus
from crossbook.relayer.db.tables import orders_t, trades_t
from crossbook.relayer.matching import BookOrder
from crossbook.relayer.rows import OrderRecord, TradeRecord, book_order

#: the columns `order_row` fills, in the order the driver-level insert binds them
_ORDER_COLUMNS: tuple[str, ...] = tuple(c.name for c in orders_t.columns)
_order_values = itemgetter(*_ORDER_COLUMNS)
#: rows per INSERT statement: 22 parameters each stays below SQLite's 32,766 per statement
_INSERT_CHUNK = 1000


class OrderRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert_cache: dict[int, str] = {}

    def insert_orders(self, rows: Sequence[OrderRecord]) -> set[str]:
        """Insert in one transaction; returns the uids that were new (the rest existed).

        One multi-row `INSERT ... ON CONFLICT (uid) DO NOTHING RETURNING uid` per chunk, sent
        to the driver as written: SQLAlchemy's statement building costs more than the
        database's own work for the small groups that single-order posts produce.
        """
        if not rows:
            return set()
        # the same uid twice in one group: keep the first (ON CONFLICT sees only committed rows
        # in PostgreSQL's multi-row insert, and would raise on an in-statement duplicate)
        unique: dict[str, OrderRecord] = {}
        for row in rows:
            unique.setdefault(row["uid"], row)
        values = list(unique.values())
        new: set[str] = set()
        with self.engine.begin() as conn:
            for start in range(0, len(values), _INSERT_CHUNK):
                chunk = values[start : start + _INSERT_CHUNK]
                params = tuple(v for row in chunk for v in _order_values(row))
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

    def get_order(self, uid: str) -> OrderRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(orders_t).where(orders_t.c.uid == uid)).mappings().first()
            return cast(OrderRecord, dict(row)) if row else None

    def get_orders(self, uids: Iterable[str]) -> list[OrderRecord]:
        uids = list(uids)
        with self.engine.connect() as conn:
            rows = conn.execute(select(orders_t).where(orders_t.c.uid.in_(uids))).mappings()
            return [cast(OrderRecord, dict(r)) for r in rows]

    def orders_of(
        self, owner: str, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[OrderRecord]:
        query = select(orders_t).where(orders_t.c.owner == owner)
        if status is not None:
            query = query.where(orders_t.c.status == status)
        query = query.order_by(orders_t.c.seq.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [cast(OrderRecord, dict(r)) for r in conn.execute(query).mappings()]

    def open_count(self, owner: str) -> int:
        query = select(func.count()).where(
            and_(
                orders_t.c.owner == owner,
                orders_t.c.status.in_((OrderStatus.OPEN, OrderStatus.PENDING)),
            )
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def open_orders(self, market: str | None = None) -> list[OrderRecord]:
        query = select(orders_t).where(orders_t.c.status == OrderStatus.OPEN)
        if market is not None:
            query = query.where(orders_t.c.market == market)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(orders_t.c.seq)).mappings()
            return [cast(OrderRecord, dict(r)) for r in rows]

    def open_book_orders(self, cache: dict[str, BookOrder]) -> list[BookOrder]:
        """Every open order as the matcher sees it, in arrival order. `cache` (uid ->
        BookOrder, kept by the caller between calls) spares re-reading and re-building the
        orders that did not change: only uid, seq and executed amount are read for all."""
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        # through the driver, and sorted here by seq rather than in SQLite (which would build
        # a temporary B-tree per cut): this read runs at every cut over every open order
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
                u
                for u, executed in current
                if (o := cache.get(u)) is None or o.remaining != o.sell_amount - executed
            ]
            for i in range(0, len(stale), 500):
                for row in conn.execute(
                    select(orders_t).where(orders_t.c.uid.in_(stale[i : i + 500]))
                ).mappings():
                    cache[row["uid"]] = book_order(cast(OrderRecord, dict(row)))
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
        """Open orders whose validTo passed -> expired; returns their uids."""
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

    def trades(
        self, *, owner: str | None = None, order_uid: str | None = None, limit: int = 100
    ) -> list[TradeRecord]:
        """Recorded fills, newest first."""
        query = select(trades_t)
        if owner is not None:
            query = query.where(trades_t.c.owner == owner)
        if order_uid is not None:
            query = query.where(trades_t.c.order_uid == order_uid)
        query = query.order_by(trades_t.c.block_number.desc(), trades_t.c.log_index.desc())
        with self.engine.connect() as conn:
            return [cast(TradeRecord, dict(r)) for r in conn.execute(query.limit(limit)).mappings()]
