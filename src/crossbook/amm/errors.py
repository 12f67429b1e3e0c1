"""Errors of the AMM SDK and CLI; all are `CrossbookError`s that say what to fix. Token,
amount and transaction errors are the chain layer's (`crossbook.chain.errors`)."""

from __future__ import annotations

from crossbook.errors import CrossbookError


class AmmError(CrossbookError):
    """Root of the AMM errors."""


class PoolMathError(AmmError, ValueError):
    """A quote the contracts would revert (mirrors `PoolMath`'s errors and checked arithmetic)."""


class ZeroQuoteAmount(PoolMathError):
    """A quote for a zero amount (`PoolMath.ZeroAmount`)."""


class ZeroReserves(PoolMathError):
    """A quote against a pool with a zero reserve (`PoolMath.ZeroReserves`)."""


class AmountOutExceedsReserve(PoolMathError):
    """The requested output is not below the pool's reserve (`PoolMath.AmountOutExceedsReserve`)."""


class ArithmeticOverflow(PoolMathError, OverflowError):
    """An intermediate value leaves uint256 (the contract panics on it)."""


class InvalidPath(AmmError, ValueError):
    """A swap path needs n >= 2 tokens and n - 1 fee tiers."""


class PoolNotFound(AmmError, LookupError):
    """No pool exists for the pair and fee tier; create it with `crossbook pool create`."""


class PoolExists(AmmError, ValueError):
    """The pool for this pair and fee tier already exists."""
