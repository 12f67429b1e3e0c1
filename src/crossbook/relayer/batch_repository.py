"""Batches in the store: planned, re-planned after simulation, on their way, failed, final.

A change of a batch's status and the change it makes to its orders' statuses commit in one
transaction (an order is pending while a batch on its way holds it).
"""

from __future__ import annotations

import json
import time
from typing import Any, Unpack, cast

from sqlalchemy import Engine, and_, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossbook.relayer.db.models import BatchStatus, OrderStatus
from crossbook.relayer.db.tables import batch_orders_t, batches_t, orders_t, trades_t
from crossbook.relayer.matching import BatchPlan
from crossbook.relayer.rows import (
    BatchChanges,
    BatchDetail,
    BatchRecord,
    FinalBatchRecord,
    OrderRecord,
    legs_json,
)
from crossbook.relayer.settlement_events import ChainTrade


class BatchRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

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
                    {
                        "batch_id": batch_id,
                        "order_uid": f.order.uid,
                        "executed_sell": str(f.executed_sell),
                    }
                    for f in plan.fills
                ],
            )
            return int(batch_id)

    def batch(self, batch_id: int) -> BatchDetail | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(batches_t).where(batches_t.c.id == batch_id)).mappings().first()
            )
            if row is None:
                return None
            fills = conn.execute(
                select(batch_orders_t).where(batch_orders_t.c.batch_id == batch_id)
            ).mappings()
            return cast(BatchDetail, {**dict(row), "fills": [dict(f) for f in fills]})

    def active_batches(self) -> list[BatchRecord]:
        """Batches not yet final or failed, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(batches_t)
                .where(batches_t.c.status.in_(tuple(BatchStatus.ACTIVE)))
                .order_by(batches_t.c.id)
            ).mappings()
            return [cast(BatchRecord, dict(r)) for r in rows]

    def batch_fills(self, batch_id: int) -> list[tuple[OrderRecord, int]]:
        """(order row, executed sell) of every order in the batch."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(orders_t, batch_orders_t.c.executed_sell.label("batch_executed"))
                .join(batch_orders_t, batch_orders_t.c.order_uid == orders_t.c.uid)
                .where(batch_orders_t.c.batch_id == batch_id)
                .order_by(orders_t.c.seq)
            ).mappings()
            fills = []
            for r in rows:
                row = dict(r)
                executed = int(row.pop("batch_executed"))
                fills.append((cast(OrderRecord, row), executed))
            return fills

    def update_batch(self, batch_id: int, **changes: Unpack[BatchChanges]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(batches_t).where(batches_t.c.id == batch_id).values(**changes))

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
                        {
                            "batch_id": batch_id,
                            "order_uid": f.order.uid,
                            "executed_sell": str(f.executed_sell),
                        }
                        for f in plan.fills
                    ],
                )
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
        self,
        batch_id: int,
        reason: str,
        *,
        invalid: dict[str, str] | None = None,
        max_failures: int = 3,
        penalise: bool = True,
    ) -> None:
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
        self,
        batch_id: int,
        tx_hash: str,
        block: int,
        gas_used: int,
        trades: list[ChainTrade],
        block_hash: str | None = None,
    ) -> None:
        """The batch is confirmed: record its Trade events, the chain's word on every fill.

        An order in the batch without a Trade event did not fill and goes back to open.
        """
        now = time.time()
        with self.engine.begin() as conn:
            rows = {
                r["uid"]: cast(OrderRecord, dict(r))
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
            traded: set[str] = set()  # uids of ours with a fill recorded here
            if fresh:
                dialect_insert = (
                    postgresql.insert if self._dialect == "postgresql" else sqlite.insert
                )
                conn.execute(
                    dialect_insert(trades_t).on_conflict_do_nothing(
                        index_elements=["tx_hash", "log_index"]
                    ),
                    [
                        {
                            "tx_hash": t.tx_hash,
                            "log_index": t.log_index,
                            "order_uid": t.order_uid,
                            "batch_id": batch_id,
                            "owner": t.owner,
                            "sell_token": t.sell_token,
                            "buy_token": t.buy_token,
                            "sold": str(t.sold),
                            "bought": str(t.bought),
                            "fee": str(t.fee),
                            "block_number": t.block_number,
                            "created_at": now,
                        }
                        for t in fresh
                    ],
                )
            for t in fresh:
                row = rows.get(t.order_uid)
                if row is None:
                    continue  # not ours
                row["executed_sell"] = str(int(row["executed_sell"]) + t.sold)
                row["executed_buy"] = str(int(row["executed_buy"]) + t.bought)
                row["executed_fee"] = str(int(row["executed_fee"]) + t.fee)
                traded.add(t.order_uid)
            changes = []
            for uid, row in rows.items():
                # an order the event follower cancelled meanwhile (the owner cancelled on
                # chain after this batch filled it) still gets the fill the chain recorded
                if row["status"] != OrderStatus.PENDING and uid not in traded:
                    continue
                full = int(row["executed_sell"]) >= int(row["sell_amount"])
                fok = not (int(row["flags"]) & 1)
                if full or (fok and uid in traded):
                    status = OrderStatus.FILLED
                elif row["status"] == OrderStatus.PENDING:
                    status = OrderStatus.OPEN
                else:
                    status = row["status"]
                changes.append(
                    {
                        "b_uid": uid,
                        "b_status": status,
                        "b_sell": row["executed_sell"],
                        "b_buy": row["executed_buy"],
                        "b_fee": row["executed_fee"],
                    }
                )
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

    def recent_final_batches(self, min_block: int) -> list[FinalBatchRecord]:
        """Final batches mined at `min_block` or later, newest block first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    batches_t.c.id,
                    batches_t.c.block_number,
                    batches_t.c.block_hash,
                    batches_t.c.mined_tx,
                    batches_t.c.raw_tx,
                )
                .where(
                    and_(
                        batches_t.c.status == BatchStatus.FINAL,
                        batches_t.c.block_number >= min_block,
                    )
                )
                .order_by(batches_t.c.block_number.desc(), batches_t.c.id.desc())
            ).mappings()
            return [cast(FinalBatchRecord, dict(r)) for r in rows]

    def unfinalize_batch(self, batch_id: int) -> int:
        """A final batch's block left the canonical chain (a reorg deeper than the
        confirmations): forget the fills recorded from it and send it back to submitted, its
        orders pending again with what they had executed before it. Returns the number of
        fills taken back. An order that has since joined another batch keeps that status."""
        with self.engine.begin() as conn:
            batch = (
                conn.execute(select(batches_t).where(batches_t.c.id == batch_id)).mappings().first()
            )
            if batch is None or batch["status"] != BatchStatus.FINAL:
                return 0
            trades = list(
                conn.execute(
                    select(trades_t).where(
                        and_(
                            trades_t.c.batch_id == batch_id, trades_t.c.tx_hash == batch["mined_tx"]
                        )
                    )
                ).mappings()
            )
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
                update(batches_t)
                .where(batches_t.c.id == batch_id)
                .values(
                    status=BatchStatus.SUBMITTED,
                    mined_tx=None,
                    block_number=None,
                    block_hash=None,
                    gas_used=None,
                    reason=f"reorged out of block {batch['block_number']} after it was final",
                )
            )
            return len(trades)
