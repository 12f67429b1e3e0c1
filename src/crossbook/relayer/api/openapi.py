"""The OpenAPI document: typed error responses per operation, and the parts FastAPI cannot
derive from the routes (the order body the ingest lane parses by hand, its list bound).

Every error body is `{"errorType", "description"}`; each operation lists, per status, a
model whose `errorType` enumerates exactly the codes it can send there (docs/relayer.md,
Error codes), so a generated client can switch on them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, cast

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, create_model
from pydantic.json_schema import models_json_schema

from crossbook.relayer.api.models import OrderIn
from crossbook.relayer.context import RelayerContext


class ErrorType(StrEnum):
    """Every `errorType` the API sends (docs/relayer.md, Error codes)."""

    MalformedRequest = "MalformedRequest"
    MalformedOrder = "MalformedOrder"
    InvalidOrderField = "InvalidOrderField"
    ZeroAmount = "ZeroAmount"
    SameBuyAndSellToken = "SameBuyAndSellToken"
    UnsupportedToken = "UnsupportedToken"
    InsufficientValidTo = "InsufficientValidTo"
    UnsupportedSigningScheme = "UnsupportedSigningScheme"
    InvalidSignature = "InvalidSignature"
    WrongOwner = "WrongOwner"
    InvalidEip1271Signature = "InvalidEip1271Signature"
    InsufficientBalance = "InsufficientBalance"
    InsufficientAllowance = "InsufficientAllowance"
    TooManyOpenOrders = "TooManyOpenOrders"
    DuplicatedOrder = "DuplicatedOrder"
    OrderNotCancellable = "OrderNotCancellable"
    InvalidOrderUid = "InvalidOrderUid"
    InvalidAddress = "InvalidAddress"
    InvalidBatchId = "InvalidBatchId"
    OrderNotFound = "OrderNotFound"
    BatchNotFound = "BatchNotFound"
    UnknownMarket = "UnknownMarket"
    NotFound = "NotFound"
    MethodNotAllowed = "MethodNotAllowed"
    PayloadTooLarge = "PayloadTooLarge"
    TooManyRequests = "TooManyRequests"
    InternalError = "InternalError"
    ChainUnavailable = "ChainUnavailable"
    PermitsNotOffered = "PermitsNotOffered"
    TokenHasNoPermit = "TokenHasNoPermit"
    InsufficientDeadline = "InsufficientDeadline"
    StalePermit = "StalePermit"
    PermitRejected = "PermitRejected"
    PermitsUnavailable = "PermitsUnavailable"


E = ErrorType
#: what the validator refuses an order for, each one a 400
ORDER_REFUSALS = (
    E.MalformedOrder,
    E.InvalidOrderField,
    E.ZeroAmount,
    E.SameBuyAndSellToken,
    E.UnsupportedToken,
    E.InsufficientValidTo,
    E.UnsupportedSigningScheme,
    E.InvalidSignature,
    E.WrongOwner,
    E.InvalidEip1271Signature,
    E.InsufficientBalance,
    E.InsufficientAllowance,
    E.TooManyOpenOrders,
)
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_models: dict[str, type[BaseModel]] = {}


def error_model(name: str, *codes: ErrorType) -> type[BaseModel]:
    """An error body whose `errorType` is one of `codes` (one model per name)."""
    model = _models.get(name)
    if model is None:
        error_type = cast(Any, Literal).__getitem__(tuple(c.value for c in codes))
        model = create_model(name, errorType=(error_type, ...), description=(str, ...))
        model.__doc__ = "errorType: " + ", ".join(codes)
        _models[name] = model
    return model


def error(status: int, name: str, *codes: ErrorType) -> dict[int | str, dict[str, Any]]:
    """One documented error status of an operation."""
    entry: dict[str, Any] = {
        "model": error_model(name, *codes),
        "description": ", ".join(codes),
    }
    if status == 429 or E.ChainUnavailable in codes:
        entry["headers"] = _RETRY_AFTER
    return {status: entry}


#: what any request can meet: a declared body over the limit, an internal fault
ANY = {
    **error(413, "PayloadTooLargeError", E.PayloadTooLarge),
    **error(500, "InternalErrorError", E.InternalError),
}
#: ... and on /v1, the per-IP rate limit
LIMITED = {**ANY, **error(429, "TooManyRequestsError", E.TooManyRequests)}


def openapi_document(app: FastAPI, ctx: RelayerContext) -> dict[str, Any]:
    """The document FastAPI derives from the routes, completed: the order body of
    POST /v1/orders, and no 422 (validation failures are typed 400s)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for operations in doc["paths"].values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    _, order_defs = models_json_schema(
        [(OrderIn, "validation")], ref_template="#/components/schemas/{model}"
    )
    schemas.update(order_defs["$defs"])
    order = {"$ref": "#/components/schemas/OrderIn"}
    doc["paths"]["/v1/orders"]["post"]["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        order,
                        {
                            "type": "array",
                            # any items: each one is checked on its own, and one that is not
                            # an order gets its error in its result
                            "items": {"description": "an order, as OrderIn"},
                            "maxItems": ctx.settings.max_batch_post,
                            "description": "several orders, each checked and stored on its "
                            "own (200: one result per item); more than maxItems: 413",
                        },
                    ]
                }
            }
        },
    }
    app.openapi_schema = doc
    return doc
