"""Errors of the order book SDK."""

from __future__ import annotations

from crossbook.errors import CrossbookError


class BookError(CrossbookError, RuntimeError):
    """An order book call could not be made or its result is inconsistent."""


class BookNotFound(CrossbookError, LookupError):
    """No on-chain book for the market: not in the deployment manifest, or no code there."""
