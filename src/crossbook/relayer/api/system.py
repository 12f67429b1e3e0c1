"""/health and /metrics (Prometheus text format)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse

from crossbook.relayer.api.common import get_ctx
from crossbook.relayer.api.models import HealthOut
from crossbook.relayer.api.openapi import ANY

router = APIRouter(tags=["system"])


@router.get(
    "/health",
    response_model=None,
    responses={
        200: {"model": HealthOut, "description": "ok"},
        503: {"model": HealthOut, "description": "degraded: the database or the worker is down"},
        **ANY,
    },
    summary="Liveness: the database answers and the worker runs",
)
async def health(request: Request) -> JSONResponse:
    ctx = get_ctx(request)
    body: dict[str, Any] = {
        "status": "ok",
        "chainId": ctx.domain.chain_id,
        "settlement": ctx.domain.verifying_contract,  # the EIP-712 verifyingContract to sign for
    }
    try:
        body["orders"] = await run_in_threadpool(ctx.store.orders.status_counts)
    except Exception as exc:  # the database is down: report it, do not crash
        body.update(status="degraded", database=type(exc).__name__)
    if ctx.worker is not None and not ctx.worker.healthy():
        body["status"] = "degraded"
        body["worker"] = "stopped"
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "ok"},
        **ANY,
    },
    summary="Prometheus metrics",
)
async def metrics(request: Request) -> PlainTextResponse:
    ctx = get_ctx(request)
    counts = await run_in_threadpool(ctx.store.orders.status_counts)
    for status, count in counts.items():
        ctx.metrics.set_gauge(f"crossbook_relayer_orders_{status}", count)
    return PlainTextResponse(
        ctx.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
