"""/v1/accounts/{owner}/orders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from crossbook.relayer.api.common import get_ctx, limit_ip, order_json, owner_address

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], dependencies=[Depends(limit_ip)])


@router.get("/{owner}/orders", summary="An owner's orders, newest first")
async def account_orders(
    owner: str,
    request: Request,
    status: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> list[dict[str, Any]]:
    ctx = get_ctx(request)
    rows = await run_in_threadpool(
        ctx.store.orders.orders_of, owner_address(owner), status=status, limit=limit, offset=offset
    )
    return [order_json(r) for r in rows]
