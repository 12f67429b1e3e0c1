"""Errors of the hybrid router SDK and CLI; all are `CrossbookError`s that say what to fix."""

from __future__ import annotations

from crossbook.errors import CrossbookError


class HybridRouterError(CrossbookError):
    """Root of the hybrid router errors."""


class InvalidSplitRequest(HybridRouterError, ValueError):
    """A quote the contract would refuse: zero amount, too many levels (mirrors its errors)."""
