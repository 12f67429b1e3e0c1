"""/v1/trades: fills as recorded by the settlement contract's Trade events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from crossbook.relayer.api.common import get_ctx, limit_ip, order_uid, owner_address, trade_json

router = APIRouter(prefix="/v1/trades", tags=["trades"], dependencies=[Depends(limit_ip)])


@router.get("", summary="Trades, newest first; filter by owner or orderUid")
async def trades(
    request: Request,
    owner: str | None = None,
    orderUid: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    ctx = get_ctx(request)
    rows = await run_in_threadpool(
        ctx.store.orders.trades,
        owner=owner_address(owner) if owner is not None else None,
        order_uid=order_uid(orderUid) if orderUid is not None else None,
        limit=limit,
    )
    return [trade_json(r) for r in rows]
