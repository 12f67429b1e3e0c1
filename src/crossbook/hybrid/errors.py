"""Errors of the hybrid router SDK and CLI; all are `CrossbookError`s that say what to fix."""

from __future__ import annotations

from crossbook.errors import CrossbookError


class HybridRouterError(CrossbookError):
    """Root of the hybrid router errors."""


class InvalidSplitRequest(HybridRouterError, ValueError):
    """A quote the contract would refuse: zero amount, too many levels (mirrors its errors)."""


class RouterReverted(HybridRouterError, RuntimeError):
    """The router (or the book or pool it called) reverted with a typed error."""

    def __init__(self, name: str, args: tuple[object, ...], data: str) -> None:
        self.name = name
        self.error_args = args
        self.data = data
        super().__init__(f"{name}{args!r}: the hybrid swap would revert")
