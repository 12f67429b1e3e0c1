"""/v1/trades: fills as recorded by the settlement contract's Trade events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from crossbook.relayer.api.common import (
    LimitQuery,
    OrderUidQuery,
    OwnerQuery,
    get_ctx,
    limit_ip,
    order_uid,
    owner_address,
    trade_json,
)
from crossbook.relayer.api.models import TradeOut
from crossbook.relayer.api.openapi import LIMITED, E, error

router = APIRouter(prefix="/v1/trades", tags=["trades"], dependencies=[Depends(limit_ip)])


@router.get(
    "",
    response_model=list[TradeOut],
    responses={
        **LIMITED,
        **error(400, "TradeQueryRejected", E.InvalidAddress, E.InvalidOrderUid, E.MalformedRequest),
    },
    summary="Trades, newest first; filter by owner or orderUid",
)
async def trades(
    request: Request,
    owner: OwnerQuery = None,
    orderUid: OrderUidQuery = None,
    limit: LimitQuery = 100,
) -> list[dict[str, Any]]:
    ctx = get_ctx(request)
    rows = await run_in_threadpool(
        ctx.store.orders.trades,
        owner=owner_address(owner) if owner is not None else None,
        order_uid=order_uid(orderUid) if orderUid is not None else None,
        limit=limit,
    )
    return [trade_json(r) for r in rows]
