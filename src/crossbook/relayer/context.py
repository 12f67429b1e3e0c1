"""Everything the API routers and the worker share, built once per relayer process."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from crossbook.order import Domain
from crossbook.relayer.events import EventHub
from crossbook.relayer.liquidity import LiquidityReader
from crossbook.relayer.matching import Market
from crossbook.relayer.metrics import Metrics
from crossbook.relayer.order_writer import OrderWriter
from crossbook.relayer.permits import PermitSponsor
from crossbook.relayer.ratelimit import RateLimiter
from crossbook.relayer.settings import RelayerSettings
from crossbook.relayer.store import Store
from crossbook.relayer.validation import OrderValidator


class Worker(Protocol):
    """The matcher + submitter loop the service runs beside the API."""

    def start(self) -> None: ...
    def stop(self, drain_timeout: float) -> None: ...
    def healthy(self) -> bool: ...


@dataclass
class RelayerContext:
    settings: RelayerSettings
    domain: Domain
    markets: list[Market]
    symbols: dict[str, str]  # token address -> symbol
    store: Store
    validator: OrderValidator
    metrics: Metrics = field(default_factory=Metrics)
    events: EventHub = field(default_factory=EventHub)
    worker: Worker | None = None
    decimals: dict[str, int] = field(default_factory=dict)  # token address -> decimals()
    liquidity: LiquidityReader | None = None  # None: no chain to read pools and books from
    permits: PermitSponsor | None = None  # None: permits are not offered
    started_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        s = self.settings
        self.writer = OrderWriter(self.store.orders)
        self.ip_limiter = RateLimiter(s.rate_limit_ip_per_s, s.rate_limit_ip_burst)
        self.owner_limiter = RateLimiter(s.rate_limit_owner_per_s, s.rate_limit_owner_burst)
        self.markets_by_name = {m.name: m for m in self.markets}
        self._open_counts: dict[str, tuple[float, int]] = {}
        self._count_reads: dict[str, asyncio.Future[int]] = {}

    def cached_open_count(self, owner: str) -> int | None:
        """`open_count` if it was read less than a second ago (no I/O), else None."""
        hit = self._open_counts.get(owner)
        if hit is not None and time.monotonic() - hit[0] < 1.0:
            return hit[1]
        return None

    async def open_count_async(self, owner: str) -> int:
        """`open_count` for the event loop: cached, else one read per owner at a time in a
        thread (concurrent posts of one owner share it rather than each scanning the store)."""
        cached = self.cached_open_count(owner)
        if cached is not None:
            return cached
        read = self._count_reads.get(owner)
        if read is None:
            read = asyncio.ensure_future(run_in_threadpool(self.open_count, owner))
            self._count_reads[owner] = read
            read.add_done_callback(lambda _: self._count_reads.pop(owner, None))
        return await asyncio.shield(read)

    def open_count(self, owner: str) -> int:
        """Open orders of `owner`, read from the store at most once a second per owner and
        counted up locally in between (the cap is a spam guard, not an exact quota)."""
        cached = self.cached_open_count(owner)
        if cached is not None:
            return cached
        now = time.monotonic()
        count = self.store.orders.open_count(owner)
        if len(self._open_counts) > 100_000:
            self._open_counts.clear()
        self._open_counts[owner] = (now, count)
        return count

    def count_new_order(self, owner: str) -> None:
        hit = self._open_counts.get(owner)
        if hit is not None:
            self._open_counts[owner] = (hit[0], hit[1] + 1)
