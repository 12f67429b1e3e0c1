"""/v1/accounts/{owner}/orders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from crossbook.relayer.api.common import (
    LimitQuery,
    OwnerPath,
    get_ctx,
    limit_ip,
    order_json,
    owner_address,
)
from crossbook.relayer.api.models import OrderOut, OrderStatusName
from crossbook.relayer.api.openapi import LIMITED, E, error

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], dependencies=[Depends(limit_ip)])


@router.get(
    "/{owner}/orders",
    response_model=list[OrderOut],
    responses={
        **LIMITED,
        **error(400, "AccountQueryRejected", E.InvalidAddress, E.MalformedRequest),
    },
    summary="An owner's orders, newest first",
)
async def account_orders(
    owner: OwnerPath,
    request: Request,
    status: OrderStatusName | None = None,
    limit: LimitQuery = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> list[dict[str, Any]]:
    ctx = get_ctx(request)
    rows = await run_in_threadpool(
        ctx.store.orders.orders_of, owner_address(owner), status=status, limit=limit, offset=offset
    )
    return [order_json(r) for r in rows]
