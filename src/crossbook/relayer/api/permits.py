"""/v1/permits: the relayer submits a wallet's EIP-2612 permit for the settlement contract and
pays its gas (crossbook.relayer.permits)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from crossbook.relayer.api.common import get_ctx, limit_ip
from crossbook.relayer.api.models import PermitIn, PermitOut
from crossbook.relayer.api.openapi import LIMITED, E, error
from crossbook.relayer.api.orders import MAX_BODY
from crossbook.relayer.permits import PermitRequest
from crossbook.relayer.validation import ApiError, _signature, address_field

router = APIRouter(prefix="/v1/permits", tags=["permits"], dependencies=[Depends(limit_ip)])


@router.post(
    "",
    status_code=201,
    response_model=PermitOut,
    responses={
        201: {"model": PermitOut, "description": "the permit was submitted and mined"},
        200: {
            "model": PermitOut,
            "description": "nothing was sent: the allowance already covers the permit's value",
        },
        **LIMITED,
        **error(
            400,
            "PermitRefused",
            E.MalformedRequest,
            E.PermitsNotOffered,
            E.InvalidAddress,
            E.UnsupportedToken,
            E.TokenHasNoPermit,
            E.InsufficientDeadline,
            E.InvalidSignature,
            E.WrongOwner,
            E.StalePermit,
            E.InsufficientBalance,
            E.PermitRejected,
        ),
        **error(503, "PermitsUnavailableError", E.ChainUnavailable, E.PermitsUnavailable),
    },
    summary="Submit a signed EIP-2612 permit for the settlement contract; the relayer pays the gas",
    max_body_size=MAX_BODY,
)
async def post_permit(permit: PermitIn, request: Request) -> JSONResponse:
    ctx = get_ctx(request)
    sponsor = ctx.permits
    if sponsor is None:
        raise ApiError(
            "PermitsNotOffered",
            "this relayer does not submit permits: approve the settlement contract with a "
            "transaction",
        )
    owner = address_field(permit.owner, "owner")
    token = address_field(permit.token, "token")
    ctx.validator.require_traded(token)
    request_ = PermitRequest(
        owner=owner,
        token=token,
        value=int(permit.value),
        nonce=int(permit.nonce),
        deadline=permit.deadline,
        signature=_signature(permit.signature),
    )
    done = await run_in_threadpool(sponsor.sponsor, request_)
    body: dict[str, Any] = {"txHash": done.tx_hash, "allowance": str(done.allowance)}
    return JSONResponse(body, status_code=201 if done.tx_hash is not None else 200)
