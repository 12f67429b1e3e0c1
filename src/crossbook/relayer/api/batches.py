"""/v1/batches/{id}."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from crossbook.relayer.api.common import BatchIdPath, get_ctx, limit_ip
from crossbook.relayer.api.models import BatchOut
from crossbook.relayer.api.openapi import LIMITED, E, error
from crossbook.relayer.validation import ApiError

router = APIRouter(prefix="/v1/batches", tags=["batches"], dependencies=[Depends(limit_ip)])


@router.get(
    "/{batch_id}",
    response_model=BatchOut,
    responses={
        **LIMITED,
        **error(400, "InvalidBatchIdError", E.InvalidBatchId),
        **error(404, "BatchNotFoundError", E.BatchNotFound),
    },
    summary="A batch: clearing prices, fills, transaction",
)
async def batch(batch_id: BatchIdPath, request: Request) -> dict[str, Any]:
    row = await run_in_threadpool(get_ctx(request).store.batches.batch, batch_id)
    if row is None:
        raise ApiError("BatchNotFound", f"no batch {batch_id}", 404)
    legs = json.loads(row["legs"] or "[]")
    return {
        "id": row["id"],
        "market": row["market"],
        "status": row["status"],
        "tokens": json.loads(row["tokens"]),
        "clearingPrices": json.loads(row["prices"]),
        "clearingPrice": row["clearing_price"],
        "poolLegs": [g for g in legs if g.get("kind") != "book"],
        "bookLegs": [_without_kind(g) for g in legs if g.get("kind") == "book"],
        "txHashes": json.loads(row["tx_hashes"]),
        "minedTx": row["mined_tx"],
        "blockNumber": row["block_number"],
        "gasUsed": row["gas_used"],
        "reason": row["reason"],
        "fills": [
            {"orderUid": f["order_uid"], "executedSellAmount": f["executed_sell"]}
            for f in row["fills"]
        ],
    }


def _without_kind(leg: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in leg.items() if k != "kind"}
