"""/v1/markets and /v1/markets/{market}/book (aggregated depth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from web3.exceptions import Web3Exception

from crossbook.relayer.api.common import MarketPath, get_ctx, limit_ip
from crossbook.relayer.api.models import BookOut, LiquidityOut, MarketOut
from crossbook.relayer.api.openapi import LIMITED, E, error
from crossbook.relayer.book_quotes import BookQuote
from crossbook.relayer.matching import DepthLevel, Market, book_depth
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


def _market(ctx: Any, market: str) -> Market:
    m: Market | None = ctx.markets_by_name.get(market)
    if m is None:
        raise ApiError("UnknownMarket", f"no market {market[:80]!r}; see GET /v1/markets", 404)
    return m


@router.get(
    "/{market}/book",
    response_model=BookOut,
    responses={**LIMITED, **error(404, "UnknownMarketError", E.UnknownMarket)},
    summary="Aggregated depth of open orders (quote per base)",
)
async def book(market: MarketPath, request: Request) -> dict[str, Any]:
    ctx = get_ctx(request)
    m = _market(ctx, market)
    rows = await run_in_threadpool(ctx.store.orders.open_orders, m.name)
    bids, asks = book_depth(m, [book_order(r) for r in rows])
    return {"market": m.name, "bids": [_level(x) for x in bids], "asks": [_level(x) for x in asks]}


def _levels(book: BookQuote, bids: bool) -> list[dict[str, Any]]:
    return [
        {
            "price": f"{level.tick * book.tick_size}/{book.lot_size}",
            "lots": str(level.lots),
            "baseAmount": str(level.lots * book.lot_size),
        }
        for level in (book.bids if bids else book.asks)
    ]


@router.get(
    "/{market}/liquidity",
    response_model=LiquidityOut,
    responses={
        **LIMITED,
        **error(404, "UnknownMarketError", E.UnknownMarket),
        **error(503, "ChainUnavailableError", E.ChainUnavailable),
    },
    summary="The market's AMM pool price and on-chain order book levels, read from the chain",
)
async def liquidity(market: MarketPath, request: Request) -> dict[str, Any]:
    ctx = get_ctx(request)
    m = _market(ctx, market)
    pool = book = None
    if ctx.liquidity is not None:
        try:
            pool, book = await run_in_threadpool(ctx.liquidity.read, m)
        except (OSError, ValueError, Web3Exception) as exc:
            raise ApiError(
                "ChainUnavailable",
                f"the relayer cannot read the chain right now ({type(exc).__name__}); retry "
                "shortly",
                503,
                {"Retry-After": "1"},
            ) from None
    return {
        "market": m.name,
        "pool": None
        if pool is None or pool.reserve_base == 0
        else {
            "fee": pool.fee,
            "reserveBase": str(pool.reserve_base),
            "reserveQuote": str(pool.reserve_quote),
            "price": f"{pool.reserve_quote}/{pool.reserve_base}",
        },
        "book": None
        if book is None
        else {
            "tickSize": str(book.tick_size),
            "lotSize": str(book.lot_size),
            "takerFeePpm": book.fee_ppm,
            "bids": _levels(book, bids=True),
            "asks": _levels(book, bids=False),
        },
    }
