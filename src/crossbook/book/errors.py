"""Errors of the order book SDK."""

from __future__ import annotations

from crossbook.errors import CrossbookError


class BookError(CrossbookError, RuntimeError):
    """An order book call could not be made or its result is inconsistent."""


class BookNotFound(CrossbookError, LookupError):
    """No on-chain book for the market: not in the deployment manifest, or no code there."""


class BookReverted(BookError):
    """The book reverted with one of its typed errors; `name` and `args` say which."""

    def __init__(self, name: str, args: tuple[object, ...], raw: str) -> None:
        self.name = name
        self.error_args = args
        self.raw = raw
        shown = ", ".join(str(a) for a in args)
        super().__init__(f"order book reverted: {name}({shown})")
