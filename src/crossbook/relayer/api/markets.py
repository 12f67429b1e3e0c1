"""/v1/markets and /v1/markets/{market}/book (aggregated depth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from crossbook.relayer.api.common import MarketPath, get_ctx, limit_ip
from crossbook.relayer.api.models import BookOut, MarketOut
from crossbook.relayer.api.openapi import LIMITED, E, error
from crossbook.relayer.matching import DepthLevel, book_depth
from crossbook.relayer.rows import book_order
from crossbook.relayer.validation import ApiError

router = APIRouter(prefix="/v1/markets", tags=["markets"], dependencies=[Depends(limit_ip)])


@router.get(
    "", response_model=list[MarketOut], responses=LIMITED, summary="Markets: base/quote token pairs"
)
async def markets(request: Request) -> list[dict[str, Any]]:
    ctx = get_ctx(request)
    return [
        {
            "market": m.name,
            "base": m.base,
            "quote": m.quote,
            "baseSymbol": ctx.symbols.get(m.base),
            "quoteSymbol": ctx.symbols.get(m.quote),
            "baseDecimals": ctx.decimals.get(m.base),
            "quoteDecimals": ctx.decimals.get(m.quote),
        }
        for m in ctx.markets
    ]


def _level(level: DepthLevel) -> dict[str, Any]:
    return {
        "price": f"{level.price.numerator}/{level.price.denominator}",
        "priceApprox": float(level.price),
        "baseAmount": str(level.base_amount),
        "quoteAmount": str(level.quote_amount),
        "orders": level.orders,
    }


@router.get(
    "/{market}/book",
    response_model=BookOut,
    responses={**LIMITED, **error(404, "UnknownMarketError", E.UnknownMarket)},
    summary="Aggregated depth of open orders (quote per base)",
)
async def book(market: MarketPath, request: Request) -> dict[str, Any]:
    ctx = get_ctx(request)
    m = ctx.markets_by_name.get(market)
    if m is None:
        raise ApiError("UnknownMarket", f"no market {market[:80]!r}; see GET /v1/markets", 404)
    rows = await run_in_threadpool(ctx.store.orders.open_orders, m.name)
    bids, asks = book_depth(m, [book_order(r) for r in rows])
    return {"market": m.name, "bids": [_level(x) for x in bids], "asks": [_level(x) for x in asks]}
