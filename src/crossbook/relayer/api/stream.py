"""/v1/stream: server-sent events of book (order status), trade and batch updates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from crossbook.relayer.api.common import get_ctx, limit_ip
from crossbook.relayer.api.openapi import LIMITED

router = APIRouter(prefix="/v1", tags=["stream"], dependencies=[Depends(limit_ip)])
KEEPALIVE_S = 15.0


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "events `order` {uid, market, status}, `trade`, `batch`; a comment "
            "line every 15 s keeps the connection open",
        },
        **LIMITED,
    },
    summary="Server-sent events: order, trade and batch updates",
)
async def stream(request: Request) -> StreamingResponse:
    ctx = get_ctx(request)
    queue = ctx.events.subscribe()

    async def events() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
        finally:
            ctx.events.unsubscribe(queue)

    return StreamingResponse(events(), media_type="text/event-stream")
