"""The on-chain order book: market parameters, an SDK (place, take, cancel, claim) and readers
that rebuild a book from its views or from its events."""

from __future__ import annotations

from crossbook.book.client import BookClient, PlaceResult, TakeResult
from crossbook.book.errors import BookError, BookReverted, UnknownMarket
from crossbook.book.market import Kind, MarketSpec, Side
from crossbook.book.reader import Depth, Level, OrderState, depth_from_events, read_depth

__all__ = [
    "BookClient",
    "BookError",
    "BookReverted",
    "Depth",
    "Kind",
    "Level",
    "MarketSpec",
    "OrderState",
    "PlaceResult",
    "Side",
    "TakeResult",
    "UnknownMarket",
    "depth_from_events",
    "read_depth",
]
