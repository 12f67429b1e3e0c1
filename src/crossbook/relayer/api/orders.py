"""/v1/orders: post (one order or a list), get, status, signed cancellation."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from crossbook.relayer.api.common import (
    OrderUidPath,
    get_ctx,
    limit_ip,
    order_json,
    order_uid,
    status_json,
)
from crossbook.relayer.api.models import CancellationIn, OrderOut, OrderPosted, OrderStatusOut
from crossbook.relayer.api.openapi import LIMITED, ORDER_REFUSALS, E, error, error_model
from crossbook.relayer.cancellation import cancellation_digest
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.db.models import OrderStatus
from crossbook.relayer.ratelimit import limit
from crossbook.relayer.rows import OrderRecord, order_row
from crossbook.relayer.validation import ApiError, _signature
from crossbook.signing import recover_signer

# strict_content_type=False: a JSON body is read whatever its Content-Type says, as the ingest
# lane reads it
router = APIRouter(
    prefix="/v1/orders",
    tags=["orders"],
    dependencies=[Depends(limit_ip)],
    strict_content_type=False,
)
MAX_BODY = 4 * 1024 * 1024

#: one result of the list form: the order's uid, or why it was refused
OrderResult = OrderPosted | error_model(  # type: ignore[valid-type]
    "OrderRefused", *ORDER_REFUSALS, E.DuplicatedOrder, E.TooManyRequests, E.ChainUnavailable
)
_UID_ERRORS = {
    **LIMITED,
    **error(400, "InvalidOrderUidError", E.InvalidOrderUid),
    **error(404, "OrderNotFoundError", E.OrderNotFound),
}


async def _accept(ctx: RelayerContext, body: Any) -> tuple[str, bool]:
    """Validate and store one order; (uid, created). Raises ApiError."""
    valid = ctx.validator.parse(body)
    owner = valid.order.owner
    limit(ctx.owner_limiter, owner, "owner")
    # The common case is decided on the event loop from cached reads: a thread hop per
    # order (and a blocking read on the loop even more) would serialise ingest.
    validator = ctx.validator
    if validator.needs_chain(valid) and not validator.check_cached(valid):
        await run_in_threadpool(validator.check_chain, valid)
    cap = ctx.settings.max_open_orders_per_owner
    if await ctx.open_count_async(owner) >= cap:
        raise ApiError("TooManyOpenOrders", f"{owner} already has {cap} open orders")
    row = order_row(
        valid.order,
        valid.uid_hex,
        valid.signature,
        int(valid.scheme),
        valid.market.name,
        time.time_ns(),
    )
    created = await ctx.writer.insert(row)
    if created:
        ctx.count_new_order(owner)
        ctx.events.publish(
            {
                "type": "order",
                "uid": valid.uid_hex,
                "market": valid.market.name,
                "status": OrderStatus.OPEN,
            }
        )
        return valid.uid_hex, True
    existing = await run_in_threadpool(ctx.store.orders.get_order, valid.uid_hex)
    if existing is not None and existing["status"] in OrderStatus.FINAL:
        raise ApiError(
            "DuplicatedOrder",
            f"order {valid.uid_hex} is already {existing['status']}: it cannot be posted again",
            409,
        )
    return valid.uid_hex, False


async def ingest(ctx: RelayerContext, raw: bytes) -> tuple[int, Any]:
    """POST /v1/orders on a raw body: (HTTP status, JSON payload); raises ApiError."""
    started = time.perf_counter()
    if len(raw) > MAX_BODY:
        raise ApiError("PayloadTooLarge", f"the body is over {MAX_BODY} bytes", 413)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError("MalformedRequest", "the body is not JSON") from None
    if isinstance(body, list):
        if len(body) > ctx.settings.max_batch_post:
            raise ApiError(
                "PayloadTooLarge", f"at most {ctx.settings.max_batch_post} orders per post", 413
            )
        # validated one by one, stored together: the inserts share one group commit
        outcomes = await asyncio.gather(
            *(_accept(ctx, item) for item in body), return_exceptions=True
        )
        results: list[dict[str, Any]] = []
        for outcome in outcomes:
            if isinstance(outcome, ApiError):
                results.append(outcome.body())
                result = outcome.code
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                results.append({"uid": outcome[0], "created": outcome[1]})
                result = "ok"
            ctx.metrics.inc("crossbook_relayer_orders_total", "orders posted", result=result)
        ctx.metrics.observe_ingest(time.perf_counter() - started)
        return 200, results
    try:
        uid, created = await _accept(ctx, body)
    except ApiError as exc:
        ctx.metrics.inc("crossbook_relayer_orders_total", "orders posted", result=exc.code)
        raise
    ctx.metrics.inc("crossbook_relayer_orders_total", "orders posted", result="ok")
    ctx.metrics.observe_ingest(time.perf_counter() - started)
    return (201 if created else 200), {"uid": uid, "created": created}


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses={
        201: {"model": OrderPosted, "description": "the order is new, and stored"},
        200: {
            "model": OrderPosted | list[OrderResult],  # type: ignore[valid-type]
            "description": "one order: it was already stored. A list: one result per order, "
            "in order: its uid, or its error (the others are stored all the same)",
        },
        **LIMITED,
        **error(400, "OrderRejected", E.MalformedRequest, *ORDER_REFUSALS),
        **error(409, "DuplicatedOrderError", E.DuplicatedOrder),
        **error(503, "ChainUnavailableError", E.ChainUnavailable),
    },
    summary="Post one signed order (an object) or several (an array)",
    max_body_size=MAX_BODY,
)
async def post_orders(request: Request) -> JSONResponse:
    # Served by `IngestLane` (api/ingest.py) in front of FastAPI; this route documents the
    # endpoint in the OpenAPI document (its body: `openapi.openapi_document`) and serves it
    # when the lane is not installed.
    raw = await request.body()
    status, payload = await ingest(get_ctx(request), raw)
    return JSONResponse(payload, status_code=status)


async def _order(ctx: RelayerContext, uid: str) -> OrderRecord:
    row = await run_in_threadpool(ctx.store.orders.get_order, order_uid(uid))
    if row is None:
        raise ApiError("OrderNotFound", f"no order {uid}", 404)
    return row


@router.get(
    "/{uid}",
    response_model=OrderOut,
    responses=_UID_ERRORS,
    summary="An order with its status and executed amounts",
)
async def get_order(uid: OrderUidPath, request: Request) -> dict[str, Any]:
    return order_json(await _order(get_ctx(request), uid))


@router.get(
    "/{uid}/status",
    response_model=OrderStatusOut,
    responses=_UID_ERRORS,
    summary="An order's status and executed amounts",
)
async def get_status(uid: OrderUidPath, request: Request) -> dict[str, Any]:
    return status_json(await _order(get_ctx(request), uid))


@router.delete(
    "/{uid}",
    response_model=OrderStatusOut,
    responses={
        **_UID_ERRORS,
        **error(
            400, "CancellationRejected", E.InvalidOrderUid, E.MalformedRequest, E.InvalidSignature
        ),
        **error(403, "WrongOwnerError", E.WrongOwner),
        **error(409, "OrderNotCancellableError", E.OrderNotCancellable),
    },
    summary="Cancel: body {signature} over EIP-712 OrderCancellation(bytes32 orderUid)",
    max_body_size=MAX_BODY,
)
async def cancel_order(
    uid: OrderUidPath, cancellation: CancellationIn, request: Request
) -> dict[str, Any]:
    ctx = get_ctx(request)
    uid = order_uid(uid)
    signature = _signature(cancellation.signature)
    row = await _order(ctx, uid)
    limit(ctx.owner_limiter, row["owner"], "owner")
    digest = cancellation_digest(ctx.domain, bytes.fromhex(uid[2:]))
    try:
        signer = recover_signer(digest, signature)
    except Exception as exc:
        raise ApiError("InvalidSignature", str(exc)) from None
    if signer != row["owner"]:
        raise ApiError("WrongOwner", f"the cancellation is signed by {signer}, not the owner", 403)
    if row["status"] == OrderStatus.CANCELLED:
        return status_json(row)
    if not await run_in_threadpool(ctx.store.orders.cancel, uid):
        row = await _order(ctx, uid)
        raise ApiError(
            "OrderNotCancellable",
            f"the order is {row['status']}; an order in a batch on its way on chain can only "
            "be cancelled on chain (Settlement.cancelOrder)",
            409,
        )
    ctx.events.publish(
        {"type": "order", "uid": uid, "market": row["market"], "status": OrderStatus.CANCELLED}
    )
    return status_json(await _order(ctx, uid))
