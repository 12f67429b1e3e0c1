"""`IngestLane`: POST /v1/orders as a bare ASGI handler in front of FastAPI.

FastAPI's per-request machinery (routing, dependency solving, `Request`/`Response` objects,
exception middleware) costs about as much CPU as validating and storing the order itself,
so the hot endpoint skips it; everything else, and the OpenAPI description of this
endpoint, stays with FastAPI. The lane applies the same per-IP rate limit, body limit, typed
error bodies and metrics as the routers do.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from crossbook.relayer.api.orders import MAX_BODY, ingest
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.ratelimit import limit
from crossbook.relayer.validation import ApiError

log = logging.getLogger("crossbook.relayer.api")
_JSON = (b"content-type", b"application/json")


class _Disconnected(Exception):
    """The client went away before it finished sending its body."""


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError("PayloadTooLarge", f"the body is over {MAX_BODY} bytes", 413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class IngestLane:
    def __init__(self, app: ASGIApp, ctx: RelayerContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/orders" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        ctx = self.ctx
        headers = [_JSON]
        payload: Any
        try:
            client = scope.get("client")
            limit(ctx.ip_limiter, client[0] if client else "unknown", "IP")
            status, payload = await ingest(ctx, await _body(receive))
        except ApiError as exc:
            ctx.metrics.inc("crossbook_relayer_api_errors_total", "typed API errors", code=exc.code)
            status, payload = exc.status, exc.body()
            headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
        except _Disconnected:
            return  # nothing was stored, and nobody reads a reply
        except Exception:
            log.exception("internal error on POST /v1/orders")
            ctx.metrics.inc("crossbook_relayer_internal_errors_total", "5xx responses")
            status = 500
            payload = {
                "errorType": "InternalError",
                "description": "an internal fault; it was logged",
            }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
