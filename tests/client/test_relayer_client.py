"""The SDK's relayer client against a real relayer served over HTTP (its API on a fake chain,
SQLite, from the relayer tests' fixtures; no Anvil): several orders in one post, the account
and trade filters, an order that never reaches the awaited status, the event stream when it
goes quiet, is refused by the rate limit or is cut (following an order then falls back to
polling), and no relayer at all."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from crossbook.client import RelayerClient, errors
from crossbook.relayer.batch_planning import tokens_prices
from crossbook.relayer.cancellation import sign_cancellation
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.matching import match_all
from tests.relayer.chain_helpers import TcpProxy
from tests.relayer.conftest import USDC, WETH, Wallet
from tests.relayer.helpers import free_port, order_body, serve

ALICE, BOB = Wallet("client-alice"), Wallet("client-bob")


@contextmanager
def relayer(app_ctx: Any, **settings: Any) -> Iterator[tuple[RelayerClient, RelayerContext]]:
    app, ctx = app_ctx(**settings)
    with serve(app) as url, RelayerClient(url, timeout=10) as client:
        yield client, ctx


def ask(domain: Any, **kw: Any) -> dict[str, Any]:
    return order_body(domain, ALICE.key, ALICE.address, WETH, USDC, 10**18, 2000 * 10**6, **kw)


def cancel(client: RelayerClient, domain: Any, uid: str) -> dict[str, Any]:
    return client.cancel(uid, sign_cancellation(domain, bytes.fromhex(uid[2:]), ALICE.key))


def test_several_orders_in_one_post_and_the_account_and_trade_filters(
    app_ctx: Any, domain: Any
) -> None:
    """One post of two orders, one of them malformed: the good one is stored, the other
    answered with its error body, not an exception. The account's open orders and the
    trade filters are what the relayer holds."""
    with relayer(app_ctx) as (client, _ctx):
        good, bad = ask(domain), dict(ask(domain), sellAmount="0")
        stored, refused = client.post_orders([good, bad])
        assert stored["created"] is True
        assert refused["errorType"] == "ZeroAmount"
        cancelled = client.post_order(ask(domain))[0]
        cancel(client, domain, cancelled)
        assert [o["uid"] for o in client.orders_of(ALICE.address, status="open")] == [stored["uid"]]
        assert [o["uid"] for o in client.orders_of(ALICE.address, status="cancelled")] == [
            cancelled
        ]
        assert client.trades(owner=ALICE.address) == []
        assert client.trades(order_uid=stored["uid"]) == []
        with pytest.raises(errors.BatchNotFound):
            client.batch(1)


def test_cancel_twice_with_a_bad_signature_and_on_its_way_on_chain(
    app_ctx: Any, domain: Any
) -> None:
    """Cancelling again answers the cancelled order (a wallet retrying after a lost reply);
    a signature that recovers to no key is `InvalidSignature`; an order in a batch on its
    way on chain is `OrderNotCancellable` (409) and stays pending."""
    with relayer(app_ctx) as (client, ctx):
        uid, _ = client.post_order(ask(domain))
        assert cancel(client, domain, uid)["status"] == "cancelled"
        assert cancel(client, domain, uid)["status"] == "cancelled"  # the same answer again
        other, _ = client.post_order(ask(domain))
        with pytest.raises(errors.InvalidSignature):
            client.cancel(other, bytes(64) + b"\x1b")
        client.post_order(
            order_body(domain, BOB.key, BOB.address, USDC, WETH, 2000 * 10**6, 10**18)
        )
        (plan,) = match_all(ctx.markets, ctx.store.orders.open_book_orders({}), 10)
        assert ctx.store.batches.create_batch(plan, *tokens_prices(plan)) is not None
        with pytest.raises(errors.OrderNotCancellable) as raised:
            cancel(client, domain, other)
        assert raised.value.status == 409
        assert client.status(other)["status"] == "pending"


def test_waiting_for_an_order_that_stays_open_times_out_naming_its_status(
    app_ctx: Any, domain: Any
) -> None:
    with relayer(app_ctx) as (client, _ctx):
        uid, _ = client.post_order(ask(domain))
        started = time.monotonic()
        with pytest.raises(errors.Timeout, match=f"order {uid} is still open after 0.6 s"):
            client.wait(uid, timeout=0.6, poll_s=0.2)
        assert time.monotonic() - started >= 0.6


def test_following_an_order_that_does_not_change_times_out(app_ctx: Any, domain: Any) -> None:
    with relayer(app_ctx) as (client, _ctx):
        uid, _ = client.post_order(ask(domain))
        seen = []
        with pytest.raises(errors.Timeout, match=f"order {uid} is still open after"):
            for status in client.follow(uid, timeout=1.0):
                seen.append(status["status"])
        assert seen == ["open"]


def test_a_quiet_stream_ends_at_its_timeout_and_a_refused_one_is_typed(
    app_ctx: Any, domain: Any
) -> None:
    """No event within the read timeout ends the stream quietly (the comments are not
    events); a relayer whose IP rate limit is spent refuses it with `TooManyRequests` and
    the Retry-After it sent."""
    with relayer(app_ctx) as (client, _ctx):
        started = time.monotonic()
        assert list(client.stream(timeout=0.5)) == []
        assert time.monotonic() - started < 5
    with relayer(app_ctx, rate_limit_ip_per_s=0.01, rate_limit_ip_burst=1) as (client, _ctx):
        client.markets()  # the one request the burst allows
        with pytest.raises(errors.TooManyRequests) as raised:
            list(client.stream(timeout=1))
        assert raised.value.status == 429 and raised.value.retry_after is not None


def test_following_an_order_falls_back_to_polling_when_the_stream_is_cut(
    app_ctx: Any, domain: Any
) -> None:
    """A wallet follows its order through a proxy that drops every connection once (a
    load balancer restarting its workers): the stream breaks, the client polls instead (on a
    new connection: the kept-alive one broke too), and still reports the order's final status
    when it is cancelled."""
    app, _ctx = app_ctx()
    with serve(app) as url:
        proxy = TcpProxy(int(url.rsplit(":", 1)[1]))
        proxy.restore()
        try:
            with RelayerClient(proxy.url, timeout=10) as client:
                uid, _ = client.post_order(ask(domain))

                def break_then_cancel() -> None:
                    time.sleep(0.5)
                    proxy.drop()
                    time.sleep(0.5)
                    with RelayerClient(url) as direct:
                        cancel(direct, domain, uid)

                worker = threading.Thread(target=break_then_cancel)
                worker.start()
                seen = [s["status"] for s in client.follow(uid, timeout=10)]
                worker.join()
        finally:
            proxy.cut()
    assert seen == ["open", "cancelled"]


def test_a_stream_with_no_relayer_is_relayer_unreachable() -> None:
    port = free_port()
    with (
        RelayerClient(f"http://127.0.0.1:{port}", timeout=2) as client,
        pytest.raises(errors.RelayerUnreachable, match="the event stream of"),
    ):
        list(client.stream(timeout=1))


def test_a_non_json_event_is_passed_on_raw() -> None:
    """An event whose data is not JSON (a proxy's or a newer relayer's) is handed over as
    `{"raw": ..., "type": ...}`, not dropped and not an exception."""
    body = 'event: notice\ndata: maintenance at 02:00\n\nevent: order\ndata: {"uid": "0x01"}\n\n'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    client = RelayerClient("http://relayer.test", transport=httpx.MockTransport(handler))
    assert list(client.stream(timeout=5)) == [
        {"raw": "maintenance at 02:00", "type": "notice"},
        {"uid": "0x01", "type": "order"},
    ]
