"""The FastAPI app factory: routers, typed error bodies, lifespan (writer, worker)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path
from starlette.types import ASGIApp

from crossbook.relayer.api import (
    accounts,
    batches,
    markets,
    orders,
    permits,
    stream,
    system,
    trades,
    web,
)
from crossbook.relayer.api.body_limit import DeclaredBodyLimit
from crossbook.relayer.api.common import PARAMETER_ERRORS
from crossbook.relayer.api.ingest import IngestLane
from crossbook.relayer.api.openapi import openapi_document
from crossbook.relayer.api.orders import MAX_BODY
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.validation import ApiError

log = logging.getLogger("crossbook.relayer.api")
# 400: a body FastAPI cannot decode
_HTTP_CODES = {
    400: "MalformedRequest",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
}


def create_app(ctx: RelayerContext) -> ASGIApp:
    """The relayer's ASGI app: `DeclaredBodyLimit`, then `IngestLane` (POST /v1/orders) in
    front of the FastAPI app.

    The lane sits outside FastAPI's own middleware (telemetry hooks, body limit, error
    middleware), whose cost every single-order post would pay; it does its own error
    handling, body limit and metrics.
    """
    return DeclaredBodyLimit(IngestLane(create_api(ctx), ctx), MAX_BODY, ctx.metrics)


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
        loc = tuple(first.get("loc", ()))
        if len(loc) == 2 and loc[0] in ("path", "query") and loc[1] in PARAMETER_ERRORS:
            code, status, description = PARAMETER_ERRORS[loc[1]]
            return JSONResponse({"errorType": code, "description": description}, status)
        if loc[:2] == ("body", "signature") and first.get("type") != "missing":
            return JSONResponse(
                {
                    "errorType": "InvalidSignature",
                    "description": "signature must be a 0x-prefixed hex string",
                },
                400,
            )
        where = ".".join(str(p) for p in loc)
        return JSONResponse(
            {"errorType": "MalformedRequest", "description": f"{where}: {first.get('msg', '')}"},
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # the router's Allow names the methods of the first route on the path only
            headers = {"Allow": ", ".join(_methods_of(app, request))}
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
        code = _HTTP_CODES.get(exc.status_code, "HttpError")
        return JSONResponse(
            {"errorType": code, "description": str(exc.detail)},
            status_code=exc.status_code,
            headers=headers,
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

    for module in (orders, permits, accounts, markets, trades, batches, stream, system, web):
        app.include_router(module.router)

    def openapi() -> dict[str, Any]:
        return openapi_document(app, ctx)

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _methods_of(app: FastAPI, request: Request) -> list[str]:
    """The methods the routes of the request's path serve, and OPTIONS (answered with them)."""
    methods = {"OPTIONS"}
    path = request.url.path
    for route in iter_route_contexts(app.routes):
        if route.path is not None and compile_path(route.path)[0].fullmatch(path):
            methods |= route.methods or set()
    return sorted(methods)
