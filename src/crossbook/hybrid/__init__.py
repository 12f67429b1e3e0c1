"""The hybrid router (issue 5, item 6): split a swap between an order book and a pool."""

from crossbook.hybrid.split import (
    BookSnapshot,
    DepthEntry,
    PoolSnapshot,
    Split,
    quote_exact_in,
    quote_exact_out,
)

__all__ = [
    "BookSnapshot",
    "DepthEntry",
    "PoolSnapshot",
    "Split",
    "quote_exact_in",
    "quote_exact_out",
]
