"""Shared pieces of the routers: the context dependency, rate limits, JSON forms, params."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, cast

from fastapi import Path, Query, Request
from pydantic import BeforeValidator

from crossbook.order import _checksum
from crossbook.relayer.api.models import ADDRESS_PATTERN, MAX_BATCH_ID, UID_PATTERN
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.ratelimit import limit
from crossbook.relayer.rows import OrderRecord, TradeRecord

SCHEME_NAMES = {0: "eip712", 1: "eip1271", 2: "presign"}
_DIGITS = re.compile(r"[0-9]{1,10}")


def _digits_only(value: object) -> object:
    # pydantic reads " 7", "+7", "7.0" and "1_0" as integers too; a batch id is digits only
    if isinstance(value, str) and _DIGITS.fullmatch(value) is None:
        raise ValueError("not a decimal integer")
    return value


# Path and query parameters, validated by FastAPI as the document shows them. A value that does
# not match gets the typed error `PARAMETER_ERRORS` names for the parameter.
OrderUidPath = Annotated[
    str, Path(pattern=UID_PATTERN, description="0x and 64 hex digits", examples=["0x" + "ab" * 32])
]
OwnerPath = Annotated[
    str,
    Path(
        pattern=ADDRESS_PATTERN,
        description="0x and 40 hex digits, any case",
        examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
    ),
]
MarketPath = Annotated[
    str,
    Path(
        pattern=r"^[^/]+-[^/]+$",
        description="base and quote symbols joined by '-' (GET /v1/markets)",
        examples=["WETH-USDC"],
    ),
]
BatchIdPath = Annotated[
    int, Path(ge=1, le=MAX_BATCH_ID, examples=[1]), BeforeValidator(_digits_only)
]
OwnerQuery = Annotated[str | None, Query(pattern=ADDRESS_PATTERN)]
OrderUidQuery = Annotated[str | None, Query(pattern=UID_PATTERN)]
LimitQuery = Annotated[int, Query(ge=1, le=1000)]

#: parameter name -> (errorType, HTTP status, description) for a value the pattern refuses
PARAMETER_ERRORS: Final = {
    "uid": ("InvalidOrderUid", 400, "an order uid is 0x followed by 64 hex digits"),
    "orderUid": ("InvalidOrderUid", 400, "an order uid is 0x followed by 64 hex digits"),
    "owner": ("InvalidAddress", 400, "an address is 0x followed by 40 hex digits"),
    "batch_id": ("InvalidBatchId", 400, f"a batch id is an integer from 1 to {MAX_BATCH_ID}"),
    "market": ("UnknownMarket", 404, "no such market; see GET /v1/markets"),
}


def get_ctx(request: Request) -> RelayerContext:
    return cast(RelayerContext, request.app.state.ctx)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def limit_ip(request: Request) -> None:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop on every
    # request for a few microseconds of work
    limit(get_ctx(request).ip_limiter, client_ip(request), "IP")


def order_uid(uid: str) -> str:
    """An order uid as stored (lower case); FastAPI checked its form (`OrderUidPath`)."""
    return uid.lower()


def owner_address(owner: str) -> str:
    """An address as stored (checksummed); FastAPI checked its form (`OwnerPath`)."""
    return _checksum(owner[2:].lower())


def order_json(row: OrderRecord) -> dict[str, Any]:
    return {
        "uid": row["uid"],
        "owner": row["owner"],
        "receiver": row["receiver"],
        "sellToken": row["sell_token"],
        "buyToken": row["buy_token"],
        "sellAmount": row["sell_amount"],
        "buyAmount": row["buy_amount"],
        "feeAmount": row["fee_amount"],
        "validTo": row["valid_to"],
        "nonce": row["nonce"],
        "flags": row["flags"],
        "signingScheme": SCHEME_NAMES[row["signing_scheme"]],
        "signature": "0x" + bytes(row["signature"]).hex(),
        "market": row["market"],
        "status": row["status"],
        "executedSellAmount": row["executed_sell"],
        "executedBuyAmount": row["executed_buy"],
        "executedFeeAmount": row["executed_fee"],
        "reason": row["reason"],
        "createdAt": row["created_at"],
    }


def status_json(row: OrderRecord) -> dict[str, Any]:
    return {
        "uid": row["uid"],
        "status": row["status"],
        "executedSellAmount": row["executed_sell"],
        "executedBuyAmount": row["executed_buy"],
        "reason": row["reason"],
    }


def trade_json(row: TradeRecord) -> dict[str, Any]:
    return {
        "orderUid": row["order_uid"],
        "owner": row["owner"],
        "sellToken": row["sell_token"],
        "buyToken": row["buy_token"],
        "soldAmount": row["sold"],
        "boughtAmount": row["bought"],
        "feeAmount": row["fee"],
        "txHash": row["tx_hash"],
        "logIndex": row["log_index"],
        "blockNumber": row["block_number"],
        "batchId": row["batch_id"],
    }
