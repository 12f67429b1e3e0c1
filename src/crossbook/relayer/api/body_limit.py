"""`DeclaredBodyLimit`: 413 at once for a request that declares a body over the limit.

Starlette's `RequestBodyLimitMiddleware` answers only once the app reads the body or starts
its reply, and in plain text; this answers before any handler runs, with the API's typed
error, and without waiting for a byte of the body. Bodies sent without a Content-Length
(chunked) are bounded where they are read: the ingest lane and FastAPI's `max_body_size`.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from crossbook.relayer.metrics import Metrics
from crossbook.relayer.validation import ApiError


class DeclaredBodyLimit:
    def __init__(self, app: ASGIApp, max_body: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body = max_body
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._declared_too_large(scope):
            await self._refuse(send)
            return
        await self.app(scope, receive, send)

    def _declared_too_large(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"content-length":
                # a Content-Length that is not a number is the server's to refuse (uvicorn does)
                return value.isdigit() and (len(value) > 18 or int(value) > self.max_body)
        return False

    async def _refuse(self, send: Send) -> None:
        error = ApiError("PayloadTooLarge", f"the body is over {self.max_body} bytes", 413)
        self.metrics.inc("crossbook_relayer_api_errors_total", "typed API errors", code=error.code)
        body = json.dumps(error.body(), separators=(",", ":")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            # the body is never read, so the connection cannot carry another request
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
