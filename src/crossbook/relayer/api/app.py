"""The FastAPI app factory: routers, typed error bodies, lifespan (writer, worker)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp

from crossbook.relayer.api import accounts, batches, markets, orders, stream, system, trades
from crossbook.relayer.api.ingest import IngestLane
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.validation import ApiError

log = logging.getLogger("crossbook.relayer.api")
_HTTP_CODES = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}


def create_app(ctx: RelayerContext) -> ASGIApp:
    """The relayer's ASGI app: `IngestLane` (POST /v1/orders) in front of the FastAPI app.

    The lane sits outside FastAPI's own middleware (telemetry hooks, body limit, error
    middleware), whose cost every single-order post would pay; it does its own error
    handling, body limit and metrics.
    """
    return IngestLane(create_api(ctx), ctx)


def create_api(ctx: RelayerContext) -> FastAPI:
    """Every endpoint, POST /v1/orders included (as a fallback, and for the OpenAPI
    document)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.events.bind(asyncio.get_running_loop())
        ctx.writer.start()
        if ctx.worker is not None:
            ctx.worker.start()
        try:
            yield
        finally:
            if ctx.worker is not None:
                await asyncio.to_thread(ctx.worker.stop, ctx.settings.drain_timeout_s)
            await ctx.writer.stop()

    app = FastAPI(
        title="crossbook relayer",
        version="1",
        description="Signed EIP-712 orders in, uniform-price batches settled on chain out.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        ctx.metrics.inc("crossbook_relayer_api_errors_total", "typed API errors", code=exc.code)
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(
            {"errorType": "MalformedRequest", "description": f"{where}: {first.get('msg', '')}"},
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HttpError")
        return JSONResponse(
            {"errorType": code, "description": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # the client hung up mid-body: nothing was stored and nobody reads this reply
        return JSONResponse({"errorType": "ClientDisconnected", "description": ""}, 400)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        ctx.metrics.inc("crossbook_relayer_internal_errors_total", "5xx responses")
        return JSONResponse(
            {"errorType": "InternalError", "description": "an internal fault; it was logged"},
            status_code=500,
        )

    for module in (orders, accounts, markets, trades, batches, stream, system):
        app.include_router(module.router)
    return app
