"""Orders that did not cross, routed into our AMM pool: the router's plans (pure, against
the exact pool math) and a routed batch settled on Anvil through `settleWithLiquidity`."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossbook.amm.math import get_amount_in, get_amount_out
from crossbook.artifacts import load_artifact
from crossbook.relayer.matching import BookOrder, Market, check_plan
from crossbook.relayer.routing import PoolQuote, route_to_pool
from crossbook.relayer.service import build
from tests.relayer.chain_helpers import (
    approved_devnet,
    ask_body,
    bid_body,
    relayer_settings,
    trades_on_chain,
    wait_for,
)
from tests.relayer.helpers import serve

BASE, QUOTE = "0x" + "11" * 20, "0x" + "22" * 20
MARKET = Market("WETH-USDC", BASE, QUOTE)
POOL = PoolQuote(30, 100 * 10**18, 200_000 * 10**6)  # 2,000 USDC per WETH, 0.3%


def bid(i: int, usdc: int, min_weth: int, partial: bool = False) -> BookOrder:
    return BookOrder(f"b{i}", QUOTE, BASE, usdc, min_weth, usdc, partial, i)


def ask(i: int, weth: int, min_usdc: int, partial: bool = False) -> BookOrder:
    return BookOrder(f"a{i}", BASE, QUOTE, weth, min_usdc, weth, partial, 1000 + i)


def test_a_bid_above_the_pools_price_buys_from_the_pool_at_one_price() -> None:
    orders = [bid(i, 200 * 10**6, 99 * 10**15) for i in range(3)]  # limit ~2,020 USDC/WETH
    plan = route_to_pool(MARKET, orders, 100, POOL)
    assert plan is not None and len(plan.fills) == 3 and len(plan.legs) == 1
    leg = plan.legs[0]
    assert (leg.token_in, leg.token_out) == (QUOTE, BASE)
    weth_out = sum(f.bought for f in plan.fills)
    assert leg.min_amount_out == weth_out  # exactly what the bids receive
    assert leg.amount_in == get_amount_in(weth_out, POOL.reserve_quote, POOL.reserve_base, 30)
    usdc_in = sum(f.executed_sell for f in plan.fills)
    assert leg.amount_in <= usdc_in  # the pool's average price is within what the bids pay
    assert plan.price >= Fraction(POOL.reserve_quote, POOL.reserve_base)  # never below spot
    check_plan(plan)


def test_an_ask_below_the_pools_price_sells_into_the_pool() -> None:
    plan = route_to_pool(MARKET, [ask(1, 10**17, 199 * 10**6)], 100, POOL)  # limit 1,990
    assert plan is not None and len(plan.legs) == 1
    leg = plan.legs[0]
    assert (leg.token_in, leg.token_out, leg.amount_in) == (BASE, QUOTE, 10**17)
    assert leg.min_amount_out == get_amount_out(10**17, POOL.reserve_base, POOL.reserve_quote, 30)
    assert leg.min_amount_out >= plan.fills[0].bought  # the pool pays what the ask receives
    check_plan(plan)


def test_orders_the_pool_cannot_serve_are_left_alone() -> None:
    # limits inside the pool's fee band (2,000 * 0.997 .. 2,000 / 0.997): nothing routes
    orders = [bid(1, 2000 * 10**6, 10**18), ask(2, 10**18, 2000 * 10**6)]
    assert route_to_pool(MARKET, orders, 100, POOL) is None
    assert route_to_pool(MARKET, [bid(3, 10**6, 10**15)], 100, PoolQuote(30, 0, 0)) is None


def test_the_pool_serves_bids_in_priority_order_up_to_its_price() -> None:
    # 500 equal bids at ~2,020: the pool's price reaches 2,020 after a few; the earliest fill
    orders = [bid(i, 200 * 10**6, 99 * 10**15) for i in range(500)]
    plan = route_to_pool(MARKET, orders, 1000, POOL)
    assert plan is not None and 0 < len(plan.fills) < 500
    assert [f.order.seq for f in plan.fills] == list(range(len(plan.fills)))
    check_plan(plan)


_amount = st.integers(10**3, 10**24)


@st.composite
def _book(draw: Any) -> tuple[list[BookOrder], PoolQuote]:
    pool = PoolQuote(
        draw(st.sampled_from([5, 30, 100])),
        draw(st.integers(10**9, 10**26)),
        draw(st.integers(10**6, 10**14)),
    )
    orders = []
    for i in range(draw(st.integers(1, 12))):
        sell, buy, partial = draw(_amount), draw(_amount), draw(st.booleans())
        if draw(st.booleans()):
            orders.append(bid(i, sell, buy, partial))
        else:
            orders.append(ask(i, sell, buy, partial))
    return orders, pool


@settings(max_examples=300, deadline=None)
@given(_book(), st.integers(1, 20))
def test_every_routed_plan_keeps_limits_conservation_and_the_pools_terms(
    book: tuple[list[BookOrder], PoolQuote], max_fills: int
) -> None:
    orders, pool = book
    plan = route_to_pool(MARKET, orders, max_fills, pool)
    if plan is None:
        return
    check_plan(plan)  # every limit, every order at most once, per-token conservation + leg
    assert len(plan.fills) <= max_fills and len(plan.legs) == 1
    leg = plan.legs[0]
    if leg.token_in == QUOTE:
        assert (
            get_amount_out(leg.amount_in, pool.reserve_quote, pool.reserve_base, pool.fee)
            >= leg.min_amount_out
        )
    else:
        assert leg.min_amount_out == get_amount_out(
            leg.amount_in, pool.reserve_base, pool.reserve_quote, pool.fee
        )
    assert plan == route_to_pool(MARKET, list(orders), max_fills, pool)  # deterministic


# ---------------------------------------------------------------- on Anvil


@pytest.mark.devnet
def test_a_bid_with_no_counterparty_settles_through_the_pool_on_chain(tmp_path: Path) -> None:
    with approved_devnet(tmp_path / "manifests") as dn:
        pool = dn.w3.eth.contract(
            address=dn.manifest.address("pool:WETH/USDC/30"), abi=load_artifact("Pool").abi
        )
        before = pool.functions.getReserves().call()
        relayer = build(relayer_settings(dn, f"sqlite:///{tmp_path}/r.db"))
        with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=30) as client:
            uids = []
            for body in (bid_body(dn, 1), bid_body(dn, 2), ask_body(dn, 3)):
                reply = client.post("/v1/orders", json=body)
                assert reply.status_code == 201, reply.text
                uids.append(reply.json()["uid"])

            def filled() -> bool:
                return all(
                    client.get(f"/v1/orders/{u}/status").json()["status"] == "filled" for u in uids
                )

            wait_for(filled, "the orders to fill through the pool", timeout=60)
            batches = [client.get(f"/v1/batches/{i}").json() for i in range(1, 6)]
        routed = [b for b in batches if b.get("status") == "final" and b["poolLegs"]]
        assert routed, batches
        traded = trades_on_chain(dn)
        after = pool.functions.getReserves().call()
    assert set(traded) == set(uids) and all(len(v) == 1 for v in traded.values())
    assert after[:2] != before[:2]  # the pool traded
