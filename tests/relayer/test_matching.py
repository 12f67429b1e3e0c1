"""The matching engine: deterministic, exact, and never breaks a limit or conservation."""

from __future__ import annotations

import random
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from crossbook.relayer.matching import (
    BookOrder,
    Market,
    book_depth,
    check_plan,
    match_all,
    match_market,
    still_crossing,
)

BASE, QUOTE = "0x" + "aa" * 20, "0x" + "bb" * 20
MARKET = Market("B-Q", BASE, QUOTE)


def ask(uid: str, sell: int, buy: int, seq: int, partial: bool = False) -> BookOrder:
    return BookOrder(uid, BASE, QUOTE, sell, buy, sell, partial, seq)


def bid(uid: str, sell: int, buy: int, seq: int, partial: bool = False) -> BookOrder:
    return BookOrder(uid, QUOTE, BASE, sell, buy, sell, partial, seq)


def test_two_fill_or_kill_orders_clear_at_their_balancing_price() -> None:
    plan = match_market(
        MARKET, [ask("a", 10**18, 1990 * 10**6, 1), bid("b", 2000 * 10**6, 99 * 10**16, 2)], 100
    )
    assert plan is not None
    assert plan.price == Fraction(2000 * 10**6, 10**18)
    assert {(f.order.uid, f.executed_sell, f.bought) for f in plan.fills} == {
        ("a", 10**18, 2000 * 10**6),
        ("b", 2000 * 10**6, 10**18),
    }


def test_nothing_crosses() -> None:
    assert match_market(MARKET, [ask("a", 10, 30, 1), bid("b", 20, 10, 2)], 100) is None


def test_price_priority_then_time_priority() -> None:
    # three partially fillable asks compete for a bid that takes 10 base units
    asks = [
        ask("late-cheap", 10, 10, 3, partial=True),
        ask("early-cheap", 10, 10, 2, partial=True),
        ask("dear", 10, 15, 1, partial=True),
    ]
    plan = match_market(MARKET, [*asks, bid("b", 20, 10, 4)], 100)
    assert plan is not None
    sold = {f.order.uid: f.executed_sell for f in plan.fills if f.order.sell_token == BASE}
    assert sold.get("early-cheap") == 10  # best price, earliest first
    assert "dear" not in sold


def test_partial_fill_gets_at_least_its_limit() -> None:
    plan = match_market(MARKET, [ask("a", 1000, 1000, 1, partial=True), bid("b", 300, 200, 2)], 100)
    assert plan is not None
    check_plan(plan)
    fills = {f.order.uid: f for f in plan.fills}
    assert fills["b"].executed_sell == 300
    assert fills["a"].executed_sell <= 1000


def test_depth_aggregates_levels() -> None:
    bids, asks = book_depth(
        MARKET, [ask("a1", 10, 20, 1), ask("a2", 5, 10, 2), bid("b", 30, 20, 3)]
    )
    assert [(lv.price, lv.base_amount, lv.orders) for lv in asks] == [(Fraction(2), 15, 2)]
    assert [(lv.price, lv.quote_amount) for lv in bids] == [(Fraction(3, 2), 30)]


amounts = st.integers(min_value=1, max_value=10**24)


@st.composite
def books(draw: st.DrawFn) -> list[BookOrder]:
    n = draw(st.integers(min_value=1, max_value=30))
    orders = []
    for i in range(n):
        sells_base = draw(st.booleans())
        sell, buy = draw(amounts), draw(amounts)
        if draw(st.booleans()):  # keep many orders near price 1 so that books cross
            buy = max(1, sell * draw(st.integers(90, 110)) // 100)
        make = ask if sells_base else bid
        orders.append(make(f"o{i}", sell, buy, draw(st.integers(0, 5)), draw(st.booleans())))
    return orders


@settings(max_examples=400, deadline=None)
@given(book=books(), max_fills=st.integers(2, 40))
def test_every_plan_respects_limits_and_conservation(book: list[BookOrder], max_fills: int) -> None:
    plan = match_market(MARKET, book, max_fills)
    if plan is None:
        return
    check_plan(plan)  # raises on any broken limit, amount or conservation
    prices = plan.clearing_prices
    pulled: dict[str, int] = {}
    pushed: dict[str, int] = {}
    for f in plan.fills:
        o = f.order
        bought = f.executed_sell * prices[o.sell_token] // prices[o.buy_token]
        assert bought * o.sell_amount >= f.executed_sell * o.buy_amount
        assert 0 < f.executed_sell <= o.remaining
        if not o.partially_fillable:
            assert f.executed_sell == o.sell_amount
        pulled[o.sell_token] = pulled.get(o.sell_token, 0) + f.executed_sell
        pushed[o.buy_token] = pushed.get(o.buy_token, 0) + bought
    for token, amount in pushed.items():
        assert pulled.get(token, 0) >= amount
    assert len(plan.fills) <= max_fills


@settings(max_examples=150, deadline=None)
@given(book=books(), seed=st.integers(0, 2**32))
def test_deterministic_whatever_the_input_order(book: list[BookOrder], seed: int) -> None:
    shuffled = list(book)
    random.Random(seed).shuffle(shuffled)
    a = match_all([MARKET], book, 40)
    b = match_all([MARKET], shuffled, 40)
    assert a == b


def test_crossing_books_produce_fills() -> None:
    # guards the property tests against vacuity: a plain crossing book must trade
    rng = random.Random(7)
    traded = 0
    for trial in range(50):
        book = []
        for i in range(20):
            size = rng.randint(10**15, 10**18)
            price = rng.randint(1900, 2100)
            if rng.random() < 0.5:
                book.append(
                    ask(f"{trial}a{i}", size, size * price // 10**12, i, rng.random() < 0.5)
                )
            else:
                quote = size * price // 10**12
                book.append(bid(f"{trial}b{i}", quote, size, i, rng.random() < 0.5))
        plan = match_market(MARKET, book, 200)
        traded += plan is not None
    assert traded >= 45


def _reference_priority(orders: list[BookOrder], descending: bool) -> list[BookOrder]:
    """Exact price-time priority by Fractions over the whole book: what `_best_by_price`
    must equal on every prefix it returns."""
    sign = -1 if descending else 1

    def price(o: BookOrder) -> Fraction:
        return (
            Fraction(o.sell_amount, o.buy_amount)
            if descending
            else Fraction(o.buy_amount, o.sell_amount)
        )

    return sorted(orders, key=lambda o: (sign * price(o), o.seq, o.uid))


# amounts near 2**60 make distinct exact prices whose float quotients collide
_amount = st.one_of(st.integers(1, 50), st.integers(2**60, 2**60 + 40))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_amount, _amount, st.integers(0, 5)), min_size=1, max_size=40),
    st.integers(1, 45),
    st.booleans(),
)
def test_best_by_price_equals_an_exact_full_sort(
    rows: list[tuple[int, int, int]], limit: int, descending: bool
) -> None:
    from crossbook.relayer.matching import _ask_price, _best_by_price, _bid_price

    orders = [
        (bid if descending else ask)(f"u{i}", sell, buy, seq)
        for i, (sell, buy, seq) in enumerate(rows)
    ]
    price = _bid_price if descending else _ask_price
    got = _best_by_price(orders, price, descending, limit)
    assert [o.uid for o in got] == [o.uid for o in _reference_priority(orders, descending)][:limit]


def test_still_crossing_tells_whether_any_bid_reaches_any_ask() -> None:
    # ask: 10 base for 20 quote (2 per base); bids pay 2 (reaches) or 1.9 per base (does not)
    a = ask("a", 10, 20, 1)
    assert still_crossing(MARKET, [a, bid("b", 20, 10, 2)])
    assert not still_crossing(MARKET, [a, bid("b", 19, 10, 2)])
    assert not still_crossing(MARKET, [a])  # one side only
    assert not still_crossing(MARKET, [bid("b", 20, 10, 2)])
    spent = BookOrder("s", BASE, QUOTE, 10, 20, 0, False, 3)  # nothing left to sell
    assert not still_crossing(MARKET, [spent, bid("b", 20, 10, 2)])
