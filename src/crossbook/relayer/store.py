"""Durable storage over SQLAlchemy Core (SQLite WAL or PostgreSQL): the orders
(`order_repository`) and the batches (`batch_repository`) on one engine.

Every write commits before it returns, so an order the API acknowledged survives a crash.
The rows the repositories return are typed in `rows`; the API's inserts go through
`order_writer.OrderWriter` (group commit).
"""

from __future__ import annotations

from sqlalchemy import Engine

from crossbook.relayer.batch_repository import BatchRepository
from crossbook.relayer.order_repository import OrderRepository


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.orders = OrderRepository(engine)
        self.batches = BatchRepository(engine)
