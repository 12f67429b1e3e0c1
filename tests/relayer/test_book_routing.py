"""Orders that did not cross, routed into our on-chain order book (and the pool beside it):
the router's plans, pure, checked against a literal transcription of `OrderBook.take`."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossbook.relayer.book_quotes import BOOK_DEPTH_LEVELS, BookLevel, BookQuote
from crossbook.relayer.matching import (
    MAX_BOOK_STEPS,
    BatchPlan,
    BookOrder,
    Market,
    MatchingError,
    PlannedBookLeg,
    PlannedFill,
    PlannedLeg,
    check_plan,
    match_market,
)
from crossbook.relayer.routing import PoolQuote, route_residual, route_to_pool

BASE, QUOTE = "0x" + "11" * 20, "0x" + "22" * 20
MARKET = Market("WETH-USDC", BASE, QUOTE)
POOL = PoolQuote(30, 100 * 10**18, 200_000 * 10**6)  # 2,000 USDC per WETH, 0.3%
LOT, TICK, FEE = 10**15, 100, 500  # the devnet book: 0.001 WETH lots, tick 20,000 = 2,000 USDC


def book(
    asks: Sequence[tuple[int, int]] = (),
    bids: Sequence[tuple[int, int]] = (),
    fee: int = FEE,
    lot: int = LOT,
    tick: int = TICK,
) -> BookQuote:
    return BookQuote(
        BASE,
        QUOTE,
        tick,
        lot,
        10,
        fee,
        tuple(BookLevel(t, n) for t, n in asks),
        tuple(BookLevel(t, n) for t, n in bids),
    )


def bid(i: int, usdc: int, min_weth: int, partial: bool = False) -> BookOrder:
    return BookOrder(f"b{i}", QUOTE, BASE, usdc, min_weth, usdc, partial, i)


def ask(i: int, weth: int, min_usdc: int, partial: bool = False) -> BookOrder:
    return BookOrder(f"a{i}", BASE, QUOTE, weth, min_usdc, weth, partial, 1000 + i)


def contract_take(q: BookQuote, leg: PlannedBookLeg) -> tuple[int, int]:
    """`OrderBook.take` + `_match` + `_settle`, transcribed line by line: (paid, received)
    for a market order of `leg.lots` lots at ticks no worse than `leg.limit_tick`, or an
    AssertionError where the contract reverts (`InsufficientFill`)."""
    maker_levels = q.asks if leg.side == 0 else q.bids
    lots = paid = received = 0
    for steps, level in enumerate(maker_levels):  # a whole level is one step (no holes here)
        if lots >= leg.lots or steps >= leg.max_steps:
            break
        if (level.tick > leg.limit_tick) if leg.side == 0 else (level.tick < leg.limit_tick):
            break
        got = min(leg.lots - lots, level.lots)
        lots += got
        price = level.tick * q.tick_size
        if leg.side == 0:
            paid, received = paid + got * price, received + got * q.lot_size
        else:
            paid, received = paid + got * q.lot_size, received + got * price
    assert lots >= leg.lots, f"InsufficientFill({lots}, {leg.lots})"  # minTakeLots == maxLots
    fee = (paid * q.fee_ppm + 999_999) // 1_000_000  # FixedPointMathLib.divUp
    return paid + fee, received


def assert_book_leg_exact(plan: BatchPlan, q: BookQuote) -> None:
    """The leg's planned amounts are what the contract charges and delivers, and every level
    it takes is, fee included, at least as good as the batch price."""
    for leg in plan.book_legs:
        assert contract_take(q, leg) == (leg.amount_in, leg.min_amount_out)
        assert leg.max_steps <= MAX_BOOK_STEPS
        buys = leg.side == 0
        taken = [
            v
            for v in q.levels(buys)
            if (v.tick <= leg.limit_tick if buys else v.tick >= leg.limit_tick)
        ]
        assert len(taken) <= BOOK_DEPTH_LEVELS
        for v in taken:
            p = q.level_price(v.tick, buys)
            assert (p <= plan.price) if buys else (p >= plan.price)


def test_a_bid_takes_a_resting_ask_at_one_price_and_the_leg_pays_the_level_price() -> None:
    q = book(asks=[(19_900, 50), (19_950, 100)])  # 1,990 and 1,995 USDC per WETH
    plan = route_residual(MARKET, [bid(1, 200 * 10**6, 99 * 10**15)], 100, book=q)
    assert plan is not None and len(plan.fills) == 1 and plan.legs == plan.book_legs
    (leg,) = plan.book_legs
    assert (leg.side, leg.lots, leg.limit_tick) == (0, 100, 19_950)
    gross = 50 * 19_900 * TICK + 50 * 19_950 * TICK
    assert leg.amount_in == gross + (gross * FEE + 999_999) // 1_000_000
    assert plan.fills[0].bought == leg.min_amount_out == 100 * LOT  # a whole number of lots
    assert plan.price == Fraction(2_000 * 10**6, 10**18)  # where 200 USDC buys 100 lots
    assert leg.amount_in < plan.fills[0].executed_sell  # the levels are better: surplus
    check_plan(plan)
    assert_book_leg_exact(plan, q)


def test_an_ask_sells_into_resting_bids_paying_the_fee_in_base() -> None:
    q = book(bids=[(19_800, 40), (19_700, 40)])
    plan = route_residual(MARKET, [ask(1, 10**17, 190 * 10**6, partial=True)], 100, book=q)
    assert plan is not None
    (leg,) = plan.book_legs
    assert leg.side == 1 and leg.lots == 80
    assert leg.amount_in == 80 * LOT + 80 * LOT * FEE // 1_000_000  # the fee rounds up, exact
    assert plan.fills[0].executed_sell <= leg.amount_in  # the ask sells no more than goes out
    check_plan(plan)
    assert_book_leg_exact(plan, q)


def test_levels_whose_price_with_the_fee_misses_the_limit_are_not_taken() -> None:
    # 2,000 USDC per WETH plus 0.05% is 2,001: a bid at exactly 2,000 cannot take it
    q = book(asks=[(20_000, 500)])
    assert route_residual(MARKET, [bid(1, 200 * 10**6, 10**17)], 100, book=q) is None
    # a fill-or-kill ask of whole lots cannot pay the base fee on top: nothing, not a short leg
    assert (
        route_residual(MARKET, [ask(1, 10**16, 19 * 10**6)], 100, book=book(bids=[(19_800, 40)]))
        is None
    )


def test_book_and_pool_share_one_batch_when_neither_covers_it_alone() -> None:
    q = book(asks=[(19_950, 30)])  # 0.03 WETH at 1,995
    orders = [bid(i, 200 * 10**6, 95 * 10**15, partial=True) for i in range(10)]  # ~2,105
    both = route_residual(MARKET, orders, 100, pool=POOL, book=q)
    pool_only = route_to_pool(MARKET, orders, 100, POOL)
    book_only = route_residual(MARKET, orders, 100, book=q)
    assert both is not None and pool_only is not None and book_only is not None
    assert len(both.pool_legs) == 1 and len(both.book_legs) == 1
    assert both.book_legs[0].lots == 30  # the whole book level, the pool for the rest
    volume = [sum(f.bought for f in p.fills) for p in (both, pool_only, book_only)]
    assert volume[0] > volume[1] and volume[0] > volume[2]
    check_plan(both)
    assert_book_leg_exact(both, q)


def test_when_liquidity_binds_the_earliest_orders_fill_first() -> None:
    q = book(asks=[(19_900, 200)])  # 0.2 WETH
    orders = [bid(i, 100 * 10**6, 45 * 10**15) for i in range(6)]  # 0.05 WETH each at 2,000
    plan = route_residual(MARKET, orders, 100, book=q)
    assert plan is not None
    assert [f.order.uid for f in plan.fills] == ["b0", "b1", "b2", "b3"]
    check_plan(plan)
    assert_book_leg_exact(plan, q)


def test_a_maker_spamming_small_levels_cannot_make_the_leg_unbounded() -> None:
    # 5,000 levels of the minimum order, one tick apart, all better than the bid's limit
    q = book(asks=[(19_000 + i, 10) for i in range(5_000)])
    plan = route_residual(MARKET, [bid(1, 10**12, 10**17, partial=True)], 100, book=q)
    assert plan is not None
    (leg,) = plan.book_legs
    assert leg.lots <= 10 * BOOK_DEPTH_LEVELS and leg.max_steps <= MAX_BOOK_STEPS
    assert leg.limit_tick <= 19_000 + BOOK_DEPTH_LEVELS - 1
    assert_book_leg_exact(plan, q)


def test_check_plan_refuses_a_book_leg_that_does_not_add_up() -> None:
    q = book(asks=[(19_900, 50), (19_950, 100)])
    plan = route_residual(MARKET, [bid(1, 200 * 10**6, 99 * 10**15)], 100, book=q)
    assert plan is not None
    (leg,) = plan.book_legs
    bad: list[dict[str, Any]] = [
        {"min_amount_out": leg.min_amount_out + 1},  # more base than its lots
        {"amount_in": leg.lots * 19_950 * TICK * 2},  # pays beyond its limit tick
        {"max_steps": MAX_BOOK_STEPS + 1},  # unbounded
        {"lots": 0},
    ]
    for change in bad:
        values = {f: getattr(leg, f) for f in PlannedBookLeg.__dataclass_fields__} | change
        broken = BatchPlan(
            MARKET, plan.price_num, plan.price_den, plan.fills, (PlannedBookLeg(**values),)
        )
        with pytest.raises(MatchingError):
            check_plan(broken)


def test_check_plan_refuses_a_selling_book_leg_that_does_not_add_up() -> None:
    """An ask sold into resting bids: a leg that sells other than its lots plus the base fee,
    or expects less quote than its limit tick gives, is refused before it is sent."""
    q = book(bids=[(19_800, 40), (19_700, 40)])
    plan = route_residual(MARKET, [ask(1, 10**17, 190 * 10**6, partial=True)], 100, book=q)
    assert plan is not None
    (leg,) = plan.book_legs
    for change, reason in [
        ({"amount_in": leg.amount_in - 1}, "sells 80 lots but plans"),
        ({"min_amount_out": leg.lots * TICK * leg.limit_tick - 1}, "receives less than its"),
    ]:
        values = {f: getattr(leg, f) for f in PlannedBookLeg.__dataclass_fields__} | change
        broken = BatchPlan(
            MARKET, plan.price_num, plan.price_den, plan.fills, (PlannedBookLeg(**values),)
        )
        with pytest.raises(MatchingError, match=reason):
            check_plan(broken)


def test_check_plan_refuses_fills_a_matcher_bug_would_send() -> None:
    """The last check before a plan is stored: a fill twice, a bought amount the contract
    would compute otherwise, more than the order has left, part of a fill-or-kill order,
    less than the limit price, an empty leg, a leg outside the market."""
    plan = match_market(MARKET, [ask(1, 10**17, 190 * 10**6), bid(1, 200 * 10**6, 9 * 10**16)], 10)
    assert plan is not None and len(plan.fills) == 2
    check_plan(plan)
    sell, buy = plan.fills
    o, prices = sell.order, plan.clearing_prices

    def fill(order: BookOrder, executed: int) -> PlannedFill:  # bought as the contract rounds
        return PlannedFill(order, executed, executed * prices[BASE] // prices[QUOTE])

    greedy = BookOrder(o.uid, BASE, QUOTE, o.sell_amount, 10**30, o.remaining, False, o.seq)
    broken_fills = {
        "fills twice": (sell, sell, buy),
        "!= on-chain": (PlannedFill(o, sell.executed_sell, sell.bought + 1), buy),
        "executes": (fill(o, o.remaining + 1), buy),
        "executes part of its amount": (fill(o, o.remaining // 2), buy),
        "less than its limit price": (fill(greedy, sell.executed_sell), buy),
    }
    for reason, fills in broken_fills.items():
        with pytest.raises(MatchingError, match=reason):
            check_plan(BatchPlan(MARKET, plan.price_num, plan.price_den, fills))
    for leg, reason in [
        (PlannedLeg(QUOTE, BASE, 30, 0, 1), "empty leg"),
        (PlannedLeg(QUOTE, "0x" + "33" * 20, 30, 1, 1), "outside market"),
    ]:
        with pytest.raises(MatchingError, match=reason):
            check_plan(BatchPlan(MARKET, plan.price_num, plan.price_den, plan.fills, (leg,)))


def test_check_plan_refuses_a_leg_below_the_clearing_prices() -> None:
    """The contract's leg price check (`PoolLegBelowClearingPrice`), mirrored before a batch
    is sent: a leg returning one unit less than the batch's prices value what it pays."""
    orders = [bid(i, 200 * 10**6, 95 * 10**15, partial=True) for i in range(3)]
    plan = route_to_pool(MARKET, orders, 100, POOL)
    assert plan is not None
    check_plan(plan)
    (leg,) = plan.pool_legs
    prices = plan.clearing_prices
    at_price = -(-leg.amount_in * prices[leg.token_in] // prices[leg.token_out])
    assert leg.min_amount_out >= at_price  # the router plans at the price or better
    below = PlannedLeg(leg.token_in, leg.token_out, leg.fee, leg.amount_in, at_price - 1)
    broken = BatchPlan(MARKET, plan.price_num, plan.price_den, plan.fills, (below,))
    with pytest.raises(MatchingError, match="below the clearing prices"):
        check_plan(broken)


# ---------------------------------------------------------------- properties

_amount = st.integers(10**3, 10**22)


@st.composite
def _market(draw: Any) -> tuple[list[BookOrder], PoolQuote | None, BookQuote]:
    fee = draw(st.sampled_from([0, 1, 500, 3_000]))
    lot = draw(st.sampled_from([1, 10**12, 10**15]))
    tick = draw(st.sampled_from([1, 100, 10**4]))
    mid = draw(st.integers(2, 60_000))
    asks = sorted({mid + draw(st.integers(0, 400)) for _ in range(draw(st.integers(0, 20)))})
    bids = sorted(
        {max(1, mid - 1 - draw(st.integers(0, 400))) for _ in range(draw(st.integers(0, 20)))},
        reverse=True,
    )
    q = book(
        [(t, draw(st.integers(1, 10**4))) for t in asks],
        [(t, draw(st.integers(1, 10**4))) for t in bids],
        fee=fee,
        lot=lot,
        tick=tick,
    )
    pool = None
    if draw(st.booleans()):  # a pool priced near the book
        reserve_base = draw(st.integers(10**9, 10**24))
        reserve_quote = max(1, reserve_base * mid * tick // lot) * draw(st.sampled_from([1, 2]))
        pool = PoolQuote(draw(st.sampled_from([5, 30, 100])), reserve_base, reserve_quote)
    orders = []
    for i in range(draw(st.integers(1, 10))):
        base = draw(_amount)
        # limits near the book's levels, so that most draws route something
        price = Fraction(mid * tick, lot) * Fraction(draw(st.integers(80, 120)), 100)
        quote = max(1, int(base * price))
        partial = draw(st.booleans())
        orders.append(
            bid(i, quote, base, partial) if draw(st.booleans()) else ask(i, base, quote, partial)
        )
    return orders, pool, q


@settings(max_examples=300, deadline=None)
@given(_market(), st.integers(1, 12))
def test_every_routed_plan_keeps_limits_conservation_and_the_books_terms(
    market: tuple[list[BookOrder], PoolQuote | None, BookQuote], max_fills: int
) -> None:
    orders, pool, q = market
    plan = route_residual(MARKET, orders, max_fills, pool=pool, book=q)
    if plan is None:
        return
    check_plan(plan)  # every limit, each order once, per-token conservation counting the legs
    assert len(plan.fills) <= max_fills
    assert len(plan.book_legs) <= 1 and len(plan.pool_legs) <= (pool is not None)
    assert all(isinstance(g, PlannedLeg | PlannedBookLeg) for g in plan.legs)
    assert_book_leg_exact(plan, q)
    assert plan == route_residual(MARKET, list(orders), max_fills, pool=pool, book=q)


def test_a_book_leg_failing_on_a_fee_on_transfer_token_stops_routing_into_that_book() -> None:
    """The settlement and the book measure every transfer and revert `FeeOnTransferToken`;
    the worker then excludes the book, so its orders are not sent into it at every cut."""
    from types import SimpleNamespace

    from eth_abi.abi import encode
    from eth_hash.auto import keccak

    from crossbook.relayer.settle_simulation import SettleSimulator
    from crossbook.settlement import BookLeg, PoolLeg

    excluded: list[tuple[str, str, int, int, int]] = []
    worker = SimpleNamespace(books=SimpleNamespace(exclude=excluded.append))
    odd = "0x" + "ab" * 20
    legs = [PoolLeg(QUOTE, BASE, 30, 1, 1), BookLeg(odd, QUOTE, TICK, LOT, 10, 0, 20_000, 5, 5)]
    selector = keccak(b"FeeOnTransferToken(address)")[:4]
    SettleSimulator._exclude_odd_books(worker, selector + encode(["address"], [odd]), legs)  # type: ignore[arg-type]
    assert excluded == [(odd, QUOTE, TICK, LOT, 10)]
    other = keccak(b"InsufficientFill(uint64,uint64)")[:4] + encode(["uint64", "uint64"], [1, 5])
    SettleSimulator._exclude_odd_books(worker, other, legs)  # type: ignore[arg-type]
    assert len(excluded) == 1  # a book that moved is routed again, not excluded
