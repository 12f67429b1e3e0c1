"""Shared pieces of the routers: the context dependency, rate limits, JSON forms, params."""

from __future__ import annotations

import re
from typing import Any, cast

from fastapi import Request

from crossbook.relayer.context import RelayerContext
from crossbook.relayer.ratelimit import RateLimiter
from crossbook.relayer.rows import OrderRecord, TradeRecord
from crossbook.relayer.validation import ApiError

_UID_RE = re.compile(r"0x[0-9a-fA-F]{64}")
_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
SCHEME_NAMES = {0: "eip712", 1: "eip1271", 2: "presign"}


def get_ctx(request: Request) -> RelayerContext:
    return cast(RelayerContext, request.app.state.ctx)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit(limiter: RateLimiter, key: str, what: str, cost: float = 1.0) -> None:
    wait = limiter.take(key, cost)
    if wait > 0:
        retry = RateLimiter.retry_after(wait)
        raise ApiError(
            "TooManyRequests",
            f"rate limit per {what} exceeded; retry after {retry} s",
            429,
            {"Retry-After": retry},
        )


async def limit_ip(request: Request) -> None:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop on every
    # request for a few microseconds of work
    limit(get_ctx(request).ip_limiter, client_ip(request), "IP")


def order_uid(uid: str) -> str:
    if _UID_RE.fullmatch(uid) is None:
        raise ApiError("InvalidOrderUid", "an order uid is 0x followed by 64 hex digits")
    return uid.lower()


def owner_address(owner: str) -> str:
    if _ADDRESS_RE.fullmatch(owner) is None:
        raise ApiError("InvalidAddress", "an address is 0x followed by 40 hex digits")
    from crossbook.order import _checksum

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
        "signingScheme": SCHEME_NAMES.get(row["signing_scheme"], "unknown"),
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
