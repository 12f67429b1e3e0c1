"""`OrderWriter`: group commit for the API's order inserts."""

from __future__ import annotations

import asyncio
import contextlib

from crossbook.relayer.order_repository import OrderRepository
from crossbook.relayer.rows import OrderRecord


class OrderWriter:
    """Group commit for the API: concurrent `insert` calls share one transaction, so a group
    costs one fsync instead of one per order.

    Each caller awaits the commit of the group its row went into, so the API acknowledges an
    order only once it is durable.
    """

    def __init__(self, orders: OrderRepository, max_group: int = 2000) -> None:
        self.orders = orders
        self.max_group = max_group
        self._queue: asyncio.Queue[tuple[OrderRecord, asyncio.Future[bool]]] | None = None
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

    async def insert(self, row: OrderRecord) -> bool:
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
                new = await asyncio.to_thread(self.orders.insert_orders, rows)
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
