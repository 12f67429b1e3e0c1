"""The page and what a wallet signs with, over real HTTP: `/v1/signing` is the one EIP-712
definition (a wallet signing from it produces the order's uid), and `/` serves the built page
with a Content-Security-Policy that allows its own origin only."""

from __future__ import annotations

import re
from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_typed_data

from crossbook.order import Order
from crossbook.relayer.cancellation import cancellation_digest
from tests.relayer.conftest import USDC, WETH, Wallet
from tests.relayer.helpers import serve

ALICE = Wallet("page")


def _signable(signing: dict[str, Any], primary: str, message: dict[str, Any]) -> Any:
    types = {"EIP712Domain": signing["types"]["EIP712Domain"], primary: signing["types"][primary]}
    return encode_typed_data(
        full_message={
            "types": types,
            "primaryType": primary,
            "domain": signing["domain"],
            "message": message,
        }
    )


def test_signing_serves_the_domain_and_types_a_wallet_signs(app_ctx: Any, domain: Any) -> None:
    app, _ = app_ctx(public_rpc_url="http://127.0.0.1:8545")
    with serve(app) as url:
        signing = httpx.get(f"{url}/v1/signing").json()
        markets = httpx.get(f"{url}/v1/markets").json()
    assert signing["chainId"] == domain.chain_id
    assert signing["rpcUrl"] == "http://127.0.0.1:8545"
    assert signing["domain"]["verifyingContract"] == domain.verifying_contract
    order = Order(
        owner=ALICE.address,
        sell_token=WETH,
        buy_token=USDC,
        sell_amount=10**18,
        buy_amount=2000 * 10**6,
        valid_to=2**32 - 1,
        nonce=7,
        flags=1,
    )
    # what a wallet hashes from the served definition is the uid the relayer computes
    signed = Account.sign_message(_signable(signing, "Order", order.to_json_dict()), ALICE.key)
    assert signed.message_hash == order.uid(domain)
    uid = order.uid(domain)
    cancel = _signable(signing, "OrderCancellation", {"orderUid": uid})
    assert Account.sign_message(cancel, ALICE.key).message_hash == cancellation_digest(domain, uid)
    weth_usdc = next(m for m in markets if m["market"] == "WETH-USDC")
    assert (weth_usdc["baseDecimals"], weth_usdc["quoteDecimals"]) == (18, 6)


def test_the_page_is_served_with_a_strict_content_security_policy(app_ctx: Any) -> None:
    app, _ = app_ctx()
    with serve(app) as url, httpx.Client(base_url=url) as client:
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'self'" in policy
        assert "unsafe-inline" not in policy and "http" not in policy
        # no inline script or style: every script and stylesheet is a file of the origin
        assert "<style" not in page.text
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
        assert scripts and all(body.strip() == "" and 'src="/static/' in a for a, body in scripts)
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
        assert {a.rsplit("/", 1)[1] for a in assets} == {"main.js", "app.css"}
        for path in assets:
            reply = client.get(path)
            assert reply.status_code == 200, path
            assert reply.headers["content-security-policy"] == policy
            assert reply.headers["x-content-type-options"] == "nosniff"
        for bad in ("/static/..%2Fweb.py", "/static/.hidden", "/static/nope.js", "/static/x.py"):
            reply = client.get(bad)
            assert reply.status_code == 404 and reply.json()["errorType"] == "NotFound", bad


def test_the_page_and_signing_are_in_the_document(app_ctx: Any) -> None:
    app, _ = app_ctx()
    with serve(app) as url:
        paths = httpx.get(f"{url}/openapi.json").json()["paths"]
    assert set(paths["/v1/signing"]) == {"get"} and set(paths["/"]) == {"get"}
    assert "/static/{name}" not in paths


def test_liquidity_without_a_chain_reader_is_empty(app_ctx: Any) -> None:
    app, _ = app_ctx()
    with serve(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/v1/markets/WETH-USDC/liquidity").json() == {
            "market": "WETH-USDC",
            "pool": None,
            "book": None,
        }
        reply = client.get("/v1/markets/NOPE-X/liquidity")
        assert reply.status_code == 404 and reply.json()["errorType"] == "UnknownMarket"
