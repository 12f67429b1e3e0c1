"""The on-chain order book: market parameters, an SDK (place, take, cancel, claim, maker
balances) and readers that rebuild a book from its views or from its events."""

from __future__ import annotations

from crossbook.book.client import BookClient, MakerBalance, PlaceResult, TakeResult
from crossbook.book.errors import BookError, BookNotFound
from crossbook.book.market import Kind, MarketSpec, Side
from crossbook.book.reader import (
    BookLevel,
    Depth,
    OrderState,
    balances_from_events,
    depth_from_events,
    read_depth,
)

__all__ = [
    "BookClient",
    "BookError",
    "BookLevel",
    "BookNotFound",
    "Depth",
    "Kind",
    "MakerBalance",
    "MarketSpec",
    "OrderState",
    "PlaceResult",
    "Side",
    "TakeResult",
    "balances_from_events",
    "depth_from_events",
    "read_depth",
]
