"""Malformed input on every endpoint: always a typed 4xx (or a 2xx), never a 5xx; and the
OpenAPI document holds for every request schemathesis derives from it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from tests.relayer.conftest import USDC, WETH, Wallet
from tests.relayer.helpers import order_body, serve

EXAMPLES = int(os.environ.get("CROSSBOOK_FUZZ_EXAMPLES", "300"))
ALICE = Wallet("fuzz")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**300), 2**300) | st.floats() | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "owner",
    "receiver",
    "sellToken",
    "buyToken",
    "sellAmount",
    "buyAmount",
    "feeAmount",
    "validTo",
    "nonce",
    "flags",
    "signature",
    "signingScheme",
]
path_text = st.text(  # printable (httpx refuses control characters in a URL)
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/?#%"),
    max_size=80,
)


def _no_5xx(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert "errorType" in response.json()


def _fuzz_settings() -> Any:
    return settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def test_fuzz_every_endpoint(app_ctx: Any, domain: Any) -> None:
    app, _ = app_ctx(rate_limit_ip_per_s=0, rate_limit_owner_per_s=0)
    valid = order_body(domain, ALICE.key, ALICE.address, WETH, USDC, 10**18, 2 * 10**9)

    with TestClient(app) as client:

        @_fuzz_settings()
        @given(
            mutations=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
            drop=st.lists(st.sampled_from(FIELDS), max_size=2),
            as_list=st.booleans(),
        )
        def post_mutated_order(mutations: dict[str, Any], drop: list[str], as_list: bool) -> None:
            body = {**valid, **mutations}
            for key in drop:
                body.pop(key, None)
            # json.dumps writes NaN/Infinity too (not JSON, but Python's parser reads them)
            raw = json.dumps([body] if as_list else body)
            _no_5xx(client.post("/v1/orders", content=raw))

        @_fuzz_settings()
        @given(raw=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
        def post_raw(raw: bytes) -> None:
            _no_5xx(
                client.post("/v1/orders", content=raw, headers={"content-type": "application/json"})
            )

        @_fuzz_settings()
        @given(segment=path_text, body=json_values, query=path_text)
        def other_endpoints(segment: str, body: Any, query: str) -> None:
            _no_5xx(client.get(f"/v1/orders/{segment}"))
            _no_5xx(client.get(f"/v1/orders/{segment}/status"))
            _no_5xx(client.request("DELETE", f"/v1/orders/{segment}", content=json.dumps(body)))
            _no_5xx(client.get(f"/v1/accounts/{segment}/orders", params={"limit": query}))
            _no_5xx(client.get(f"/v1/markets/{segment}/book"))
            _no_5xx(client.get("/v1/trades", params={"owner": segment, "orderUid": query}))
            _no_5xx(client.get(f"/v1/batches/{segment}"))

        post_mutated_order()
        post_raw()
        other_endpoints()


# ------------------------------------------------------------ the OpenAPI document as a contract


# Every check schemathesis has, on every operation, with two adjustments for POST /v1/orders:
# no generator can sign an order, so a schema-valid order is refused for its signature (or
# its checksum, token pair, validTo) with a 400 that the document lists; and a list over
# maxItems is a 413, the status for a request too large.
SCHEMATHESIS = {
    # per operation, on top of schemathesis' own boundary and method cases
    "generation": {"max-examples": max(1, EXAMPLES // 3)},
    "operations": [
        # an endless event stream; tests/relayer/test_e2e.py follows it
        {"include-path": "/v1/stream", "enabled": False},
        {
            "include-path": "/v1/orders",
            "include-method": "POST",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "409", "503"]},
                "negative_data_rejection": {"expected-statuses": ["400", "413"]},
            },
        },
    ],
}


@pytest.fixture
def relayer_openapi(app_ctx: Any) -> Iterator[Any]:
    """The relayer on a real uvicorn server, and the document it serves."""
    app, _ = app_ctx(rate_limit_ip_per_s=0, rate_limit_owner_per_s=0, max_batch_post=4)
    with serve(app) as url:
        yield schemathesis.openapi.from_url(
            f"{url}/openapi.json", config=SchemathesisConfig.from_dict(SCHEMATHESIS)
        )


openapi = schemathesis.pytest.from_fixture("relayer_openapi")


@openapi.parametrize()
def test_openapi_document_holds(case: Any) -> None:
    case.call_and_validate()
