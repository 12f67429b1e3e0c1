"""What the event follower writes: the chain cursor, other relayers' fills and on-chain
cancellations, each block range in one transaction together with the cursor move.

The cursor is moved compare-and-set (`CursorMoved` if it is not where the caller read it), so
a range is applied once even if two processes were to follow at the same time. Applying a
range is idempotent on its own as well: a `Trade` is keyed by (tx hash, log index), a
cancellation by the order's uid.

Fills from transactions of our own batches are left to the receipt path
(`BatchRepository.finalize_batch`): a `Trade` whose transaction is one a batch of ours
recorded (any hash of an active batch, the mined hash of a final one) is skipped here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Connection, Engine, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossbook.errors import CrossbookError
from crossbook.relayer.db.models import BatchStatus, OrderStatus
from crossbook.relayer.db.tables import (
    batch_orders_t,
    batches_t,
    cancellations_t,
    cursor_t,
    orders_t,
    trades_t,
)
from crossbook.relayer.rows import OrderRecord, TradeRecord
from crossbook.relayer.settlement_events import (
    ChainTrade,
    NonceFloorRaised,
    NonceInvalidated,
    OrderCancelled,
    OrderStateEvent,
    PreSignatureSet,
    SettlementEvent,
)
from crossbook.signing import SigningScheme

CURSOR_NAME = "settlement"
_LIVE = (OrderStatus.OPEN, OrderStatus.PENDING)


class CursorMoved(CrossbookError, RuntimeError):
    """The chain cursor is not where the follower read it (another writer moved it): the
    range was not applied; read the cursor again."""


@dataclass(frozen=True)
class Cursor:
    """The last block applied (-1: none yet) and its hash."""

    block_number: int
    block_hash: str | None


@dataclass
class Applied:
    """What a range (or a rewind) changed, for the event stream."""

    trades: list[ChainTrade] = field(default_factory=list)
    #: (uid, market, new status), in the order they changed
    statuses: list[tuple[str, str, str]] = field(default_factory=list)


def _fill_or_kill(row: OrderRecord) -> bool:
    return not int(row["flags"]) & 1


class ReconcileStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    # ------------------------------------------------------------ cursor

    def cursor(self) -> Cursor | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(cursor_t.c.block_number, cursor_t.c.block_hash).where(
                    cursor_t.c.name == CURSOR_NAME
                )
            ).first()
        return None if row is None else Cursor(int(row[0]), row[1])

    def start_cursor(self, start: Cursor) -> Cursor:
        """Create the cursor at `start` unless one exists; returns the cursor now stored."""
        with self.engine.begin() as conn:
            conn.execute(
                self._insert(cursor_t)
                .values(
                    name=CURSOR_NAME,
                    block_number=start.block_number,
                    block_hash=start.block_hash,
                    updated_at=time.time(),
                )
                .on_conflict_do_nothing(index_elements=["name"])
            )
        current = self.cursor()
        assert current is not None
        return current

    def set_cursor(self, cursor: Cursor) -> None:
        """Put the cursor at `cursor` whatever it was (tests, or an operator who wants a
        range read again: applying it again changes nothing that is already recorded)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(cursor_t)
                .where(cursor_t.c.name == CURSOR_NAME)
                .values(
                    block_number=cursor.block_number,
                    block_hash=cursor.block_hash,
                    updated_at=time.time(),
                )
            )

    def _move(self, conn: Connection, expected: Cursor, new: Cursor) -> None:
        hash_matches = (
            cursor_t.c.block_hash.is_(None)
            if expected.block_hash is None
            else cursor_t.c.block_hash == expected.block_hash
        )
        moved = conn.execute(
            update(cursor_t)
            .where(
                and_(
                    cursor_t.c.name == CURSOR_NAME,
                    cursor_t.c.block_number == expected.block_number,
                    hash_matches,
                )
            )
            .values(
                block_number=new.block_number, block_hash=new.block_hash, updated_at=time.time()
            )
        ).rowcount
        if moved != 1:
            raise CursorMoved(
                f"the chain cursor is no longer at block {expected.block_number}; "
                "another writer moved it"
            )

    # ------------------------------------------------------------ apply a range

    def apply(self, events: Sequence[SettlementEvent], expected: Cursor, new: Cursor) -> Applied:
        """Apply the events of blocks `expected.block_number + 1 .. new.block_number`, in
        chain order, and move the cursor to `new`: all of it or nothing."""
        applied = Applied()
        with self.engine.begin() as conn:
            self._move(conn, expected, new)
            if not events:
                return applied
            ours = self._our_transactions(conn, events)
            # our batches' fills are the receipt path's: not even read here
            events = [e for e in events if not (isinstance(e, ChainTrade) and e.tx_hash in ours)]
            rows = self._orders_touched(conn, events)
            changed: dict[str, OrderRecord] = {}
            for event in events:
                if isinstance(event, ChainTrade):
                    if event.order_uid not in rows:
                        continue  # not an order we hold
                    if self._record_trade(conn, event):
                        self._fill(rows[event.order_uid], event, changed)
                        applied.trades.append(event)
                else:
                    self._cancellation(conn, event, rows, changed)
            self._write(conn, changed, applied)
        return applied

    def _orders_touched(
        self, conn: Connection, events: Sequence[SettlementEvent]
    ) -> dict[str, OrderRecord]:
        """uid -> order row: the orders the events name, and the live orders of the owners
        whose nonces (word or floor) changed."""
        uids = {
            e.order_uid
            for e in events
            if isinstance(e, ChainTrade | OrderCancelled | PreSignatureSet)
        }
        owners = {e.owner for e in events if isinstance(e, NonceInvalidated | NonceFloorRaised)}
        rows: dict[str, OrderRecord] = {}
        uid_list = sorted(uids)
        for i in range(0, len(uid_list), 500):
            query = select(orders_t).where(orders_t.c.uid.in_(uid_list[i : i + 500]))
            rows.update(
                {r["uid"]: cast(OrderRecord, dict(r)) for r in conn.execute(query).mappings()}
            )
        if owners:
            query = select(orders_t).where(
                and_(orders_t.c.owner.in_(sorted(owners)), orders_t.c.status.in_(_LIVE))
            )
            rows.update(
                {r["uid"]: cast(OrderRecord, dict(r)) for r in conn.execute(query).mappings()}
            )
        return rows

    def our_transactions(self, hashes: Iterable[str]) -> set[str]:
        """Those of `hashes` (lower-case 0x hex) that a batch of ours recorded: lets the
        follower skip decoding our own fills (`apply` checks again in its transaction)."""
        with self.engine.connect() as conn:
            return self._ours(conn, hashes)

    def _our_transactions(self, conn: Connection, events: Sequence[SettlementEvent]) -> set[str]:
        return self._ours(conn, (e.tx_hash for e in events if isinstance(e, ChainTrade)))

    @staticmethod
    def _ours(conn: Connection, wanted: Iterable[str]) -> set[str]:
        """The tx hashes a batch of ours recorded (not a failed one) among `wanted`."""
        hashes = sorted(set(wanted))
        if not hashes:
            return set()
        ours = {
            str(h)
            for (h,) in conn.execute(
                select(batches_t.c.mined_tx).where(
                    and_(batches_t.c.mined_tx.in_(hashes), batches_t.c.status != BatchStatus.FAILED)
                )
            )
        }
        for (recorded,) in conn.execute(
            select(batches_t.c.tx_hashes).where(batches_t.c.status.in_(tuple(BatchStatus.ACTIVE)))
        ):
            ours.update(str(h).lower() for h in json.loads(recorded))
        return ours & set(hashes)

    def _record_trade(self, conn: Connection, t: ChainTrade) -> bool:
        """Store the fill; False if this log was stored before (applied already)."""
        stored = conn.execute(
            self._insert(trades_t)
            .values(
                tx_hash=t.tx_hash,
                log_index=t.log_index,
                order_uid=t.order_uid,
                batch_id=None,
                owner=t.owner,
                sell_token=t.sell_token,
                buy_token=t.buy_token,
                sold=str(t.sold),
                bought=str(t.bought),
                fee=str(t.fee),
                block_number=t.block_number,
                created_at=time.time(),
            )
            .on_conflict_do_nothing(index_elements=["tx_hash", "log_index"])
            .returning(trades_t.c.tx_hash)
        ).first()
        return stored is not None

    @staticmethod
    def _fill(row: OrderRecord, t: ChainTrade, changed: dict[str, OrderRecord]) -> None:
        """Another relayer's fill: the amounts add up; the order is filled when it is
        fill-or-kill or fully executed, whatever we thought of it (the chain says it filled)."""
        row["executed_sell"] = str(int(row["executed_sell"]) + t.sold)
        row["executed_buy"] = str(int(row["executed_buy"]) + t.bought)
        row["executed_fee"] = str(int(row["executed_fee"]) + t.fee)
        if _fill_or_kill(row) or int(row["executed_sell"]) >= int(row["sell_amount"]):
            row["status"] = OrderStatus.FILLED
        changed[row["uid"]] = row

    def _cancellation(
        self,
        conn: Connection,
        event: OrderStateEvent,
        rows: dict[str, OrderRecord],
        changed: dict[str, OrderRecord],
    ) -> None:
        place = event.place
        if isinstance(event, PreSignatureSet) and event.signed:
            self._presigned_again(conn, event, rows, changed)
            return
        victims, kind, why = self._victims(event, rows)
        for row in victims:
            if row["status"] not in _LIVE:
                continue
            fresh = conn.execute(
                self._insert(cancellations_t)
                .values(
                    order_uid=row["uid"],
                    kind=kind,
                    tx_hash=place.tx_hash,
                    log_index=place.log_index,
                    block_number=place.block_number,
                    created_at=time.time(),
                )
                .on_conflict_do_nothing(index_elements=["order_uid"])
                .returning(cancellations_t.c.order_uid)
            ).first()
            if fresh is None:
                continue
            row["status"] = OrderStatus.CANCELLED
            row["reason"] = f"{why} on chain in tx {place.tx_hash}"
            changed[row["uid"]] = row

    @staticmethod
    def _victims(
        event: OrderStateEvent, rows: dict[str, OrderRecord]
    ) -> tuple[list[OrderRecord], str, str]:
        """The stored orders an on-chain cancellation ends, its kind and a reason."""
        if isinstance(event, OrderCancelled):
            row = rows.get(event.order_uid)
            found = [row] if row is not None and row["owner"] == event.owner else []
            return found, "order", "cancelled (cancelOrder)"
        if isinstance(event, PreSignatureSet):
            row = rows.get(event.order_uid)
            presign = (
                row is not None
                and row["owner"] == event.owner
                and int(row["signing_scheme"]) == SigningScheme.PRESIGN
            )
            why = "pre-signature revoked (setPreSignature false)"
            return ([row] if presign and row is not None else []), "presign", why
        if isinstance(event, NonceInvalidated):
            found = [
                r
                for r in rows.values()
                if r["owner"] == event.owner
                and _fill_or_kill(r)
                and int(r["nonce"]) >> 8 == event.word
                and event.mask >> (int(r["nonce"]) & 255) & 1
            ]
            return found, "nonce", f"nonce spent (invalidateNonces word {event.word})"
        found = [
            r for r in rows.values() if r["owner"] == event.owner and int(r["nonce"]) < event.floor
        ]
        return found, "floor", f"nonce below the owner's floor {event.floor} (setNonceFloor)"

    def _presigned_again(
        self,
        conn: Connection,
        event: PreSignatureSet,
        rows: dict[str, OrderRecord],
        changed: dict[str, OrderRecord],
    ) -> None:
        """A pre-signature set again reopens an order that only its revocation had ended."""
        row = rows.get(event.order_uid)
        if row is None or row["status"] != OrderStatus.CANCELLED:
            return
        gone = conn.execute(
            delete(cancellations_t).where(
                and_(cancellations_t.c.order_uid == row["uid"], cancellations_t.c.kind == "presign")
            )
        ).rowcount
        if gone:
            row["status"] = self._reopen_statuses(conn, [row["uid"]])[row["uid"]]
            row["reason"] = None
            changed[row["uid"]] = row

    @staticmethod
    def _write(conn: Connection, changed: dict[str, OrderRecord], applied: Applied) -> None:
        for uid, row in changed.items():
            conn.execute(
                update(orders_t)
                .where(orders_t.c.uid == uid)
                .values(
                    status=row["status"],
                    reason=row["reason"],
                    executed_sell=row["executed_sell"],
                    executed_buy=row["executed_buy"],
                    executed_fee=row["executed_fee"],
                )
            )
            applied.statuses.append((uid, str(row["market"]), str(row["status"])))

    # ------------------------------------------------------------ rewind (reorg)

    def rewind(self, expected: Cursor, to: Cursor) -> Applied:
        """A reorg under the cursor: move it back to `to` and undo what was applied from the
        blocks above it (other relayers' fills taken back, on-chain cancellations reopened);
        the next ranges apply the new chain's events again."""
        applied = Applied()
        with self.engine.begin() as conn:
            self._move(conn, expected, to)
            changed: dict[str, OrderRecord] = {}
            above = to.block_number
            trades = [
                cast(TradeRecord, dict(t))
                for t in conn.execute(
                    select(trades_t).where(
                        and_(trades_t.c.batch_id.is_(None), trades_t.c.block_number > above)
                    )
                ).mappings()
            ]
            cancelled = [
                r[0]
                for r in conn.execute(
                    select(cancellations_t.c.order_uid).where(
                        cancellations_t.c.block_number > above
                    )
                )
            ]
            rows = self._rows(conn, {t["order_uid"] for t in trades} | set(cancelled))
            conn.execute(
                delete(trades_t).where(
                    and_(trades_t.c.batch_id.is_(None), trades_t.c.block_number > above)
                )
            )
            conn.execute(delete(cancellations_t).where(cancellations_t.c.block_number > above))
            for t in trades:
                row = rows.get(t["order_uid"])
                if row is None:
                    continue
                row["executed_sell"] = str(int(row["executed_sell"]) - int(t["sold"]))
                row["executed_buy"] = str(int(row["executed_buy"]) - int(t["bought"]))
                row["executed_fee"] = str(int(row["executed_fee"]) - int(t["fee"]))
                changed[row["uid"]] = row
            still_traded = self._traded(
                conn, [u for u, r in changed.items() if r["status"] == OrderStatus.FILLED]
            )
            reopen = [
                u
                for u, r in changed.items()
                if r["status"] == OrderStatus.FILLED
                and not (
                    u in still_traded
                    if _fill_or_kill(r)
                    else int(r["executed_sell"]) >= int(r["sell_amount"])
                )
            ]
            reopen += [
                u for u in cancelled if u in rows and rows[u]["status"] == OrderStatus.CANCELLED
            ]
            for uid, status in self._reopen_statuses(conn, reopen).items():
                rows[uid]["status"] = status
                rows[uid]["reason"] = None
                changed[uid] = rows[uid]
            self._write(conn, changed, applied)
        return applied

    @staticmethod
    def _rows(conn: Connection, uids: Iterable[str]) -> dict[str, OrderRecord]:
        wanted = sorted(set(uids))
        if not wanted:
            return {}
        query = select(orders_t).where(orders_t.c.uid.in_(wanted))
        return {r["uid"]: cast(OrderRecord, dict(r)) for r in conn.execute(query).mappings()}

    @staticmethod
    def _traded(conn: Connection, uids: list[str]) -> set[str]:
        if not uids:
            return set()
        query = select(trades_t.c.order_uid).where(trades_t.c.order_uid.in_(uids)).distinct()
        return {str(r[0]) for r in conn.execute(query)}

    @staticmethod
    def _reopen_statuses(conn: Connection, uids: list[str]) -> dict[str, str]:
        """An order back in play is pending while a batch of ours on its way holds it, else
        open (the worker's expiry pass ends it if its validTo has passed)."""
        if not uids:
            return {}
        in_flight = {
            str(r[0])
            for r in conn.execute(
                select(batch_orders_t.c.order_uid)
                .join(batches_t, batches_t.c.id == batch_orders_t.c.batch_id)
                .where(
                    and_(
                        batch_orders_t.c.order_uid.in_(uids),
                        batches_t.c.status.in_(tuple(BatchStatus.ACTIVE)),
                    )
                )
            )
        }
        return {u: OrderStatus.PENDING if u in in_flight else OrderStatus.OPEN for u in uids}
