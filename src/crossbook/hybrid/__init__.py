"""The hybrid router's SDK: split a swap between an on-chain order book and an AMM pool
(`HybridRouter.sol`; the AMM router is `crossbook.amm`)."""

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
