"""SQLAlchemy Core handles of the storage tables, for the repositories' queries."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from crossbook.relayer.db.models import (
    BatchOrderRow,
    BatchRow,
    ChainCancellationRow,
    ChainCursorRow,
    OrderRow,
    TradeRow,
)

orders_t = cast(Table, OrderRow.__table__)
batches_t = cast(Table, BatchRow.__table__)
batch_orders_t = cast(Table, BatchOrderRow.__table__)
trades_t = cast(Table, TradeRow.__table__)
cursor_t = cast(Table, ChainCursorRow.__table__)
cancellations_t = cast(Table, ChainCancellationRow.__table__)
