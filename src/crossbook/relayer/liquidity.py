"""A market's on-chain liquidity as the API shows it: the AMM pool's reserves and the on-chain
order book's top levels, read through the router's own readers (`PoolQuotes`, `BookQuotes`)
from the factories the settlement contract routes into."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from crossbook.relayer.book_quotes import BookQuote, BookQuotes
from crossbook.relayer.matching import Market
from crossbook.relayer.pool_quotes import PoolQuote, PoolQuotes


@dataclass
class LiquidityReader:
    pools: PoolQuotes
    books: BookQuotes
    # the readers cache contracts in plain dicts: one read at a time
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, market: Market) -> tuple[PoolQuote | None, BookQuote | None]:
        """The market's deepest pool and book (None where it has none); blocking RPC."""
        with self._lock:
            return self.pools.quote(market), self.books.quote(market)
