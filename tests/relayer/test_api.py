"""The HTTP API without a chain (a fake one): validation codes, idempotency under
concurrency, cancellation, reads, rate limits, metrics, the OpenAPI document, Allow and the
body limit; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from sqlalchemy import text

from crossbook.client.errors import RELAYER_ERRORS
from crossbook.relayer.api.openapi import ErrorType
from crossbook.relayer.cancellation import sign_cancellation
from crossbook.signing import sign_digest
from tests.relayer.conftest import DAI, SETTLEMENT, USDC, WETH, FakeChain, Wallet
from tests.relayer.helpers import order_body, serve

ALICE, BOB = Wallet("alice"), Wallet("bob")


def sell_weth(domain: Any, wallet: Wallet = ALICE, **kw: Any) -> dict[str, Any]:
    return order_body(domain, wallet.key, wallet.address, WETH, USDC, 10**18, 2000 * 10**6, **kw)


def post(client: TestClient, body: Any) -> httpx.Response:
    return client.post("/v1/orders", json=body)


def error(response: httpx.Response) -> str:
    assert 400 <= response.status_code < 500, response.text
    return str(response.json()["errorType"])


def test_post_get_status_and_account(app_ctx: Any, domain: Any) -> None:
    app, ctx = app_ctx()
    with TestClient(app) as client:
        body = sell_weth(domain)
        created = post(client, body)
        assert created.status_code == 201
        uid = created.json()["uid"]
        assert ctx.store.orders.get_order(uid) is not None  # durable before the reply
        order = client.get(f"/v1/orders/{uid}").json()
        assert order["status"] == "open" and order["sellAmount"] == str(10**18)
        assert order["market"] == "WETH-USDC"
        assert client.get(f"/v1/orders/{uid}/status").json()["status"] == "open"
        mine = client.get(f"/v1/accounts/{ALICE.address}/orders").json()
        assert [o["uid"] for o in mine] == [uid]
        book = client.get("/v1/markets/WETH-USDC/book").json()
        assert book["asks"][0]["baseAmount"] == str(10**18) and book["bids"] == []
        assert {m["market"] for m in client.get("/v1/markets").json()} == {
            "WETH-USDC",
            "WETH-DAI",
            "USDC-DAI",
        }
        assert client.get("/v1/trades").json() == []
        assert client.get("/openapi.json").json()["paths"]["/v1/orders"]["post"]
        health = client.get("/health").json()
        assert health["status"] == "ok"
        assert (health["chainId"], health["settlement"].lower()) == (31337, SETTLEMENT)
        metrics = client.get("/metrics").text
        assert 'crossbook_relayer_orders_total{result="ok"} 1' in metrics
        assert "crossbook_relayer_order_ingest_seconds_count 1" in metrics


def test_batch_form(app_ctx: Any, domain: Any) -> None:
    app, _ = app_ctx()
    with TestClient(app) as client:
        good = sell_weth(domain)
        bad = dict(sell_weth(domain), sellAmount="0")
        reply = post(client, [good, bad, good])
        assert reply.status_code == 200
        first, second, third = reply.json()
        assert first["created"] is True
        assert second["errorType"] == "ZeroAmount"
        assert third == {"uid": first["uid"], "created": False}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda b, d: b.update(sellAmount="0"), "ZeroAmount"),
        (lambda b, d: b.update(buyAmount=0), "ZeroAmount"),
        (lambda b, d: b.update(buyToken=WETH.upper().replace("0X", "0x")), "SameBuyAndSellToken"),
        (lambda b, d: b.update(validTo=int(time.time()) + 5), "InsufficientValidTo"),
        (lambda b, d: b.update(signature="0x" + "00" * 65), "InvalidSignature"),
        (lambda b, d: b.update(signature="0xzz"), "InvalidSignature"),
        (lambda b, d: b.update(owner=BOB.address), "WrongOwner"),
        (lambda b, d: b.update(buyToken="0x" + "99" * 20), "UnsupportedToken"),
        (lambda b, d: b.update(flags=8), "InvalidOrderField"),
        (lambda b, d: b.update(signingScheme="ethsign"), "UnsupportedSigningScheme"),
        (lambda b, d: b.pop("nonce"), "MalformedOrder"),
        (lambda b, d: b.update(extra=1), "MalformedOrder"),
    ],
)
def test_validation_codes(app_ctx: Any, domain: Any, change: Any, code: str) -> None:
    app, ctx = app_ctx()
    body = sell_weth(domain)
    change(body, domain)
    with TestClient(app) as client:
        assert error(post(client, body)) == code
    assert ctx.store.orders.status_counts() == {}  # nothing stored


def test_wrong_owner_signature_from_another_key(app_ctx: Any, domain: Any) -> None:
    app, _ = app_ctx()
    body = sell_weth(domain)
    from crossbook.order import Order

    order = Order.from_json_dict(
        {k: v for k, v in body.items() if k not in ("signature", "signingScheme")}
    )
    body["signature"] = "0x" + sign_digest(order.uid(domain), BOB.key).hex()
    with TestClient(app) as client:
        assert error(post(client, body)) == "WrongOwner"


def test_funds_and_1271(app_ctx: Any, domain: Any, fake_chain: FakeChain) -> None:
    app, _ = app_ctx()
    with TestClient(app) as client:
        fake_chain.balances[(ALICE.address, WETH)] = 10
        assert error(post(client, sell_weth(domain))) == "InsufficientBalance"
        fake_chain.balances.clear()
        fake_chain.allowances[(ALICE.address, WETH)] = 10
        assert error(post(client, sell_weth(domain))) == "InsufficientAllowance"
        fake_chain.allowances.clear()
        body = sell_weth(domain)
        body.update(signingScheme="eip1271", signature="0x1234")
        assert error(post(client, body)) == "InvalidEip1271Signature"
        fake_chain.wallets_1271[ALICE.address] = bytes.fromhex("1234")
        assert post(client, body).status_code == 201


def test_too_many_open_orders(app_ctx: Any, domain: Any) -> None:
    app, _ = app_ctx(max_open_orders_per_owner=3)
    with TestClient(app) as client:
        for _ in range(3):
            assert post(client, sell_weth(domain)).status_code == 201
        time.sleep(1.1)  # the open-order count is cached for a second
        assert error(post(client, sell_weth(domain))) == "TooManyOpenOrders"
        assert post(client, sell_weth(domain, wallet=BOB)).status_code == 201


def test_same_order_posted_100_times_concurrently_is_stored_once(app_ctx: Any, domain: Any) -> None:
    app, ctx = app_ctx()
    body = sell_weth(domain)

    async def hammer(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            return list(
                await asyncio.gather(*(client.post("/v1/orders", json=body) for _ in range(100)))
            )

    with serve(app) as url:
        replies = asyncio.run(hammer(url))
    assert sorted(r.status_code for r in replies) == [200] * 99 + [201]
    assert len({r.json()["uid"] for r in replies}) == 1
    assert ctx.store.orders.status_counts() == {"open": 1}


def test_cancellation(app_ctx: Any, domain: Any) -> None:
    app, ctx = app_ctx()
    with TestClient(app) as client:
        uid = post(client, sell_weth(domain)).json()["uid"]
        raw_uid = bytes.fromhex(uid[2:])
        by_bob = "0x" + sign_cancellation(domain, raw_uid, BOB.key).hex()
        reply = client.request("DELETE", f"/v1/orders/{uid}", json={"signature": by_bob})
        assert reply.status_code == 403 and reply.json()["errorType"] == "WrongOwner"
        by_alice = "0x" + sign_cancellation(domain, raw_uid, ALICE.key).hex()
        reply = client.request("DELETE", f"/v1/orders/{uid}", json={"signature": by_alice})
        assert reply.status_code == 200 and reply.json()["status"] == "cancelled"
        assert ctx.store.orders.get_order(uid)["status"] == "cancelled"
        assert client.get("/v1/markets/WETH-USDC/book").json()["asks"] == []
        assert error(client.request("DELETE", "/v1/orders/0x12", json={})) == "InvalidOrderUid"


def test_reposting_a_cancelled_order_is_a_duplicate(app_ctx: Any, domain: Any) -> None:
    app, ctx = app_ctx()
    body = sell_weth(domain)
    with TestClient(app) as client:
        uid = post(client, body).json()["uid"]
        assert ctx.store.orders.cancel(uid)
        reply = post(client, body)
        assert reply.status_code == 409 and reply.json()["errorType"] == "DuplicatedOrder"


def test_rate_limits_per_ip_and_owner(app_ctx: Any, domain: Any) -> None:
    app, _ = app_ctx(
        rate_limit_owner_per_s=1,
        rate_limit_owner_burst=2,
        rate_limit_ip_per_s=1000,
        rate_limit_ip_burst=1000,
    )
    with TestClient(app) as client:
        codes = [post(client, sell_weth(domain)).status_code for _ in range(3)]
        assert codes[:2] == [201, 201]
        limited = post(client, sell_weth(domain))
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert post(client, sell_weth(domain, wallet=BOB)).status_code == 201  # other owner
    app, _ = app_ctx(rate_limit_ip_per_s=0.5, rate_limit_ip_burst=3)
    with TestClient(app) as client:
        codes = [client.get("/v1/markets").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get("/v1/markets").headers["Retry-After"] == "2"


def test_unknown_things_are_4xx(app_ctx: Any) -> None:
    app, _ = app_ctx()
    with TestClient(app) as client:
        assert error(client.get("/v1/orders/0x" + "00" * 32)) == "OrderNotFound"
        assert error(client.get("/v1/markets/NOPE/book")) == "UnknownMarket"
        assert error(client.get("/v1/batches/7")) == "BatchNotFound"
        assert error(client.get("/v1/batches/x")) == "InvalidBatchId"
        assert error(client.get("/v1/accounts/0x12/orders")) == "InvalidAddress"
        assert error(client.get("/v1/nothing")) == "NotFound"
        assert error(client.put("/v1/orders")) == "MethodNotAllowed"
        assert error(client.post("/v1/orders", content=b"{not json")) == "MalformedRequest"
        assert error(client.get("/v1/trades?limit=0")) == "MalformedRequest"


def test_other_tokens(app_ctx: Any, domain: Any) -> None:
    app, _ = app_ctx()
    with TestClient(app) as client:
        body = order_body(domain, ALICE.key, ALICE.address, DAI, USDC, 10**18, 10**6)
        assert client.post("/v1/orders", json=body).json()
        assert client.get(f"/v1/orders/{post(client, body).json()['uid']}").json()["market"] == (
            "USDC-DAI"
        )


def test_methods_are_announced_in_allow(app_ctx: Any) -> None:
    app, _ = app_ctx()
    uid = "0x" + "00" * 32
    with TestClient(app) as client:
        options = client.options(f"/v1/orders/{uid}")
        assert options.status_code == 204 and options.headers["Allow"] == "DELETE, GET, OPTIONS"
        assert client.options("/v1/orders").headers["Allow"] == "OPTIONS, POST"
        for method, path, allow in [
            ("PUT", f"/v1/orders/{uid}", "DELETE, GET, OPTIONS"),
            ("GET", "/v1/orders", "OPTIONS, POST"),
            ("PATCH", "/health", "GET, OPTIONS"),
        ]:
            reply = client.request(method, path)
            assert reply.status_code == 405 and reply.headers["Allow"] == allow
            assert reply.json()["errorType"] == "MethodNotAllowed"
        assert error(client.options("/v1/nothing")) == "NotFound"


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/orders/0x" + "00" * 32, "/v1/markets"])
def test_a_declared_oversized_body_is_refused_before_it_is_sent(app_ctx: Any, path: str) -> None:
    app, ctx = app_ctx()
    method = "POST" if path == "/v1/orders" else "DELETE" if "0x" in path else "GET"
    with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                "Content-Length: 99999999\r\n\r\n".encode()
            )
            started = time.monotonic()
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.endswith(b"}"):
                chunk = sock.recv(4096)  # the timeout fails the test if the relayer waits
                if not chunk:
                    break
                reply += chunk
    assert time.monotonic() - started < 5
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert b"connection: close" in head.lower()
    assert json.loads(body)["errorType"] == "PayloadTooLarge"
    assert 'crossbook_relayer_api_errors_total{code="PayloadTooLarge"} 1' in ctx.metrics.render()


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/orders"), ("DELETE", "/v1/orders/0x" + "00" * 32)]
)
def test_a_streamed_oversized_body_is_refused(app_ctx: Any, method: str, path: str) -> None:
    """A chunked body (no Content-Length to refuse it by) is cut off once over the limit."""
    app, ctx = app_ctx()

    def chunks() -> Iterator[bytes]:
        yield b'{"signature": "0x'
        for _ in range(5):
            yield b"00" * 512 * 1024

    with serve(app) as url, httpx.Client(base_url=url) as client:
        reply = client.request(method, path, content=chunks())
    assert reply.status_code == 413 and reply.json()["errorType"] == "PayloadTooLarge"
    assert ctx.store.orders.status_counts() == {}


def test_a_client_that_goes_away_mid_body_stores_nothing(app_ctx: Any, domain: Any) -> None:
    app, ctx = app_ctx()
    body = json.dumps(sell_weth(domain)).encode()
    with serve(app) as url, httpx.Client(base_url=url) as client:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                f"POST /v1/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
                f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body[: len(body) // 2]
            )
        time.sleep(0.3)  # the relayer sees the disconnect
        assert client.get("/health").json()["status"] == "ok"
        assert post(client, sell_weth(domain)).status_code == 201  # the next one is taken
    assert ctx.store.orders.status_counts() == {"open": 1}
    assert "crossbook_relayer_internal_errors_total" not in ctx.metrics.render()


def test_a_store_that_refuses_writes_answers_500_and_keeps_nothing(
    app_ctx: Any, domain: Any, db_url: str
) -> None:
    """The database refuses the insert (a trigger standing in for a full or failing disk):
    the post is a typed 500 `InternalError`, logged and counted, each order of a group
    commit gets it, nothing is stored, and the same orders post once the store writes
    again. SQLite and PostgreSQL."""
    app, ctx = app_ctx()
    if db_url.startswith("sqlite"):
        refuse = [
            "CREATE TRIGGER refuse BEFORE INSERT ON orders "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        ]
    else:
        refuse = [
            "CREATE FUNCTION refuse() RETURNS trigger AS "
            "$$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
    with ctx.store.engine.begin() as conn:
        for statement in refuse:
            conn.execute(text(statement))
    bodies = [sell_weth(domain), sell_weth(domain, wallet=BOB)]
    with serve(app) as url, httpx.Client(base_url=url) as client:
        one, both = post(client, bodies[0]), post(client, bodies)
        assert (one.status_code, both.status_code) == (500, 500)
        assert one.json()["errorType"] == both.json()["errorType"] == "InternalError"
        assert ctx.store.orders.status_counts() == {}
        assert "crossbook_relayer_internal_errors_total 2" in ctx.metrics.render()
        with ctx.store.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse" + ("" if "sqlite" in db_url else " ON orders")))
        assert post(client, bodies).status_code == 200
    assert ctx.store.orders.status_counts() == {"open": 2}


def test_replies_with_data_match_the_document(app_ctx: Any, domain: Any) -> None:
    """Replies the fuzzer rarely sees (stored orders, depth, list results, cancellations),
    each checked against the OpenAPI document: its status is documented, its body matches."""
    app, _ = app_ctx()
    with TestClient(app) as client:
        document = schemathesis.openapi.from_dict(client.get("/openapi.json").json())

        def check(path: str, method: str, reply: httpx.Response) -> Any:
            operation = document[path][method]
            assert str(reply.status_code) in operation.definition.raw["responses"], reply.text
            operation.validate_response(reply)
            return reply.json()

        body = sell_weth(domain)
        uid = check("/v1/orders", "POST", post(client, body))["uid"]
        check("/v1/orders", "POST", post(client, body))
        zero = dict(sell_weth(domain), sellAmount="0")
        bid = order_body(domain, BOB.key, BOB.address, USDC, WETH, 1000 * 10**6, 10**18)
        results = check("/v1/orders", "POST", post(client, [bid, zero, 7]))
        assert [r.get("errorType") for r in results] == [None, "ZeroAmount", "MalformedOrder"]
        check("/v1/orders", "POST", post(client, dict(body, signature="0x12")))
        check("/v1/orders/{uid}", "GET", client.get(f"/v1/orders/{uid}"))
        check("/v1/orders/{uid}/status", "GET", client.get(f"/v1/orders/{uid}/status"))
        mine = client.get(f"/v1/accounts/{ALICE.address}/orders", params={"status": "open"})
        assert len(check("/v1/accounts/{owner}/orders", "GET", mine)) == 1
        book = check("/v1/markets/{market}/book", "GET", client.get("/v1/markets/WETH-USDC/book"))
        assert book["asks"] and book["bids"]
        check("/v1/markets", "GET", client.get("/v1/markets"))
        check("/health", "GET", client.get("/health"))
        by_bob = "0x" + sign_cancellation(domain, bytes.fromhex(uid[2:]), BOB.key).hex()
        by_alice = "0x" + sign_cancellation(domain, bytes.fromhex(uid[2:]), ALICE.key).hex()
        for signature in (by_bob, "0xzz", by_alice):
            cancel = client.request("DELETE", f"/v1/orders/{uid}", json={"signature": signature})
            check("/v1/orders/{uid}", "DELETE", cancel)
        assert cancel.json()["status"] == "cancelled"
        check("/v1/orders", "POST", post(client, body))  # a duplicate of a cancelled order
        # a relayer with no chain submits no permits: the page sees null and the API refuses
        assert check("/v1/signing", "GET", client.get("/v1/signing"))["permit"] is None
        permit = {
            "owner": ALICE.address,
            "token": WETH,
            "value": "1",
            "nonce": "0",
            "deadline": 2**32,
            "signature": "0x" + "11" * 65,
        }
        refused = check("/v1/permits", "POST", client.post("/v1/permits", json=permit))
        assert refused["errorType"] == "PermitsNotOffered"
        for path, url in [
            ("/v1/orders/{uid}", "/v1/orders/0x12"),
            ("/v1/orders/{uid}", "/v1/orders/0x" + "00" * 32),
            ("/v1/batches/{batch_id}", "/v1/batches/0"),
            ("/v1/batches/{batch_id}", "/v1/batches/7"),
            ("/v1/markets/{market}/book", "/v1/markets/NOPE/book"),
            ("/v1/trades", "/v1/trades?owner=0x12"),
            ("/v1/accounts/{owner}/orders", f"/v1/accounts/{ALICE.address}/orders?status=x"),
        ]:
            check(path, "GET", client.get(url))


def test_every_error_type_is_one_the_sdk_knows() -> None:
    assert {code.value for code in ErrorType} == set(RELAYER_ERRORS)
