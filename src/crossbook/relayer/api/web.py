"""The trading page at `/` (crossbook.web) and what a wallet signs with (`/v1/signing`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from crossbook.chain.permit import permit_types
from crossbook.order import EIP712_DOMAIN_FIELDS, ORDER_EIP712_FIELDS, eip712_members
from crossbook.relayer.api.common import get_ctx, limit_ip
from crossbook.relayer.api.models import SigningOut
from crossbook.relayer.api.openapi import ANY, LIMITED, E, error
from crossbook.relayer.cancellation import CANCELLATION_EIP712_FIELDS
from crossbook.relayer.validation import ApiError
from crossbook.web import PAGE_HEADERS, asset

router = APIRouter(tags=["page"])
_NOT_BUILT = "the page is not built into this installation: run `make build`"


@router.get(
    "/v1/signing",
    response_model=SigningOut,
    responses=LIMITED,
    dependencies=[Depends(limit_ip)],
    summary="The EIP-712 domain and types of orders, cancellations and permits, and the chain",
)
async def signing(request: Request) -> dict[str, Any]:
    ctx = get_ctx(request)
    return {
        "domain": ctx.domain.typed_data(),
        "types": {
            "EIP712Domain": eip712_members(EIP712_DOMAIN_FIELDS),
            "Order": eip712_members(ORDER_EIP712_FIELDS),
            "OrderCancellation": eip712_members(CANCELLATION_EIP712_FIELDS),
        },
        "chainId": ctx.domain.chain_id,
        "rpcUrl": ctx.settings.public_rpc_url,
        "permit": None
        if ctx.permits is None
        else {"types": permit_types(), **ctx.permits.signing()},
    }


@router.get(
    "/",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "ok"},
        **ANY,
        **error(404, "PageNotBuiltError", E.NotFound),
    },
    summary="The trading page",
)
async def page() -> FileResponse:
    return _file("index.html")


@router.get("/static/{name}", include_in_schema=False)
async def static(name: str) -> FileResponse:
    return _file(name)


def _file(name: str) -> FileResponse:
    found = asset(name)
    if found is None:
        raise ApiError("NotFound", _NOT_BUILT if name == "index.html" else f"no file {name}", 404)
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers=PAGE_HEADERS)
