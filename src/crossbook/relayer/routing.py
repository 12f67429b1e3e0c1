"""Routing what did not cross into our pool and book: a batch of its own, at one uniform price.

After the crossing orders of a market are matched, the rest may still trade with our
liquidity: bids whose limit is above what the AMM pool or the on-chain book asks, asks whose
limit is below what they bid. `route_residual` plans one batch for them: every order whose
limit accepts the batch price P fills (in priority order while the liquidity lasts), and the
imbalance goes to at most one pool leg and one book leg (`Settlement.settleWithLiquidity`).

* The pool leg's terms are exact integers from the pool's reserves (`crossbook.amm.math`,
  equal to the contract's); the pool ends no further than its marginal price P.
* The book leg is a market order for an exact number of lots on the book's best levels
  whose price, taker fee included, is at least as good as P; it pays each level's own price
  plus the fee, exactly as `OrderBook.take` computes it (`BookQuote.take`).

Both legs trade at P or better, so the difference stays in the batch as surplus (to the fee
recipient, like any surplus). At a candidate P the liquidity is the book's levels at least as
good as P plus the pool's capacity up to P; of the prices at which the legs pay for
themselves, P is the one that fills the most: the lowest when the liquidity sells base, the
highest when it buys. The book leg is used first, the pool takes what is left.

Pure and deterministic, like the matcher: a bisection over the price, then every candidate
checked exactly (`check_plan`, which counts the legs).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from crossbook.amm.errors import PoolMathError
from crossbook.amm.math import get_amount_in, get_amount_out
from crossbook.relayer.book_quotes import BookQuote
from crossbook.relayer.matching import (
    BatchPlan,
    BookOrder,
    Market,
    MatchingError,
    PlannedBookLeg,
    PlannedFill,
    PlannedLeg,
    _allocate,
    _ask_price,
    _best_by_price,
    _bid_price,
    check_plan,
)
from crossbook.relayer.pool_quotes import PoolQuote, PoolQuotes

__all__ = ["PoolQuote", "PoolQuotes", "route_residual", "route_to_pool"]

_STEPS = 60  # bisection steps at most over log(price)
_PRECISION = Fraction(1, 10**12)  # ... stopping once the bracket is this narrow (relative)
_UNLIMITED = 2**256
_KEEP = (Fraction(1), Fraction(999, 1000), Fraction(99, 100), Fraction(9, 10))
#: Prices a hair past the edge (relative), where its rounding left a fill-or-kill order out.
_NUDGES = (Fraction(1, 10**9), Fraction(1, 10**6), Fraction(1, 10**4), Fraction(1, 10**3))

Leg = PlannedLeg | PlannedBookLeg


@dataclass
class _Side:
    """One side's orders in priority order, with their exact limit prices (quote per base)."""

    orders: list[BookOrder]
    prices: list[Fraction]  # ascending for asks; negated (so ascending) for bids


@dataclass(frozen=True)
class _Liquidity:
    """The pool and the book of a market (either may be missing). `sells_base`: the
    liquidity sells base to the batch (the bids are the long side), else it buys base."""

    market: Market
    pool: PoolQuote | None
    book: BookQuote | None

    def capacity(self, price: Fraction, sells_base: bool) -> int:
        """Base the liquidity trades at `price` or better."""
        total = 0 if self.pool is None else _pool_capacity(self.pool, price, sells_base)
        if self.book is not None:
            lots = self.book.usable_lots(price, sells_base)
            total += lots * self.book.lot_size if sells_base else self.book.base_cost(lots)
        return total

    def leg_options(self, net: int, price: Fraction, sells_base: bool) -> list[tuple[Leg, ...]]:
        """Ways to trade `net` base (delivered when the liquidity sells base, absorbed when it
        buys), book first: the whole lots it can, the rest from the pool; without a pool
        (or if the pool cannot), one lot more from the book, or the rest left as surplus."""
        book, lots = self.book, 0
        if book is not None:
            usable = book.usable_lots(price, sells_base)
            if sells_base:
                lots = min(usable, net // book.lot_size)
            else:
                lots = min(usable, net * 1_000_000 // (book.lot_size * (1_000_000 + book.fee_ppm)))
                while lots and book.base_cost(lots) > net:
                    lots -= 1
        book_legs: tuple[Leg, ...] = ()
        if book is not None and lots:
            book_legs = (book.leg(book.take(lots, sells_base), sells_base),)
        used = 0 if book is None else (lots * book.lot_size if sells_base else book.base_cost(lots))
        rest = net - used
        options: list[tuple[Leg, ...]] = []
        pool_leg = self._pool_leg(rest, sells_base) if rest else None
        if pool_leg is not None:
            options.append((pool_leg, *book_legs))
        if book is not None and rest:
            if sells_base and lots < book.usable_lots(price, sells_base):
                options.append((book.leg(book.take(lots + 1, True), True),))
            elif not sells_base and book_legs:
                options.append(book_legs)  # the rest of the base stays as surplus
        elif not rest and book_legs:
            options.append(book_legs)
        return options

    def _pool_leg(self, base: int, sells_base: bool) -> PlannedLeg | None:
        pool, market = self.pool, self.market
        if pool is None:
            return None
        try:
            if sells_base:
                amount_in = get_amount_in(base, pool.reserve_quote, pool.reserve_base, pool.fee)
                return PlannedLeg(market.quote, market.base, pool.fee, amount_in, base)
            out = get_amount_out(base, pool.reserve_base, pool.reserve_quote, pool.fee)
        except PoolMathError:
            return None  # more than the pool holds
        return PlannedLeg(market.base, market.quote, pool.fee, base, out) if out > 0 else None


def _pool_capacity(pool: PoolQuote, price: Fraction, pool_sells_base: bool) -> int:
    """The most base the pool trades before its marginal price passes `price`, from its
    reserves x (base) and y (quote) with k = xy and the fee f: selling base it ends at
    x' = sqrt(xy / (p(1-f))), buying base at x' = sqrt(xy(1-f) / p)."""
    x, y, f = pool.reserve_base, pool.reserve_quote, pool.fee
    num, den = price.numerator, price.denominator
    if pool_sells_base:
        end = math.isqrt(x * y * 10_000 * den // (num * (10_000 - f))) + 1
        return max(0, x - end)
    end = math.isqrt(x * y * (10_000 - f) * den // (num * 10_000))
    return max(0, end - x)


def _plan_at(
    asks: _Side, bids: _Side, price: Fraction, liquidity: _Liquidity, sells_base: bool
) -> tuple[BatchPlan | None, list[Fraction]]:
    """The plan at `price`: the orders of the side the liquidity serves fill in priority
    order as far as its capacity at `price` allows, those of the other side whole. None when
    no leg is needed or no set of legs pays for itself; then also the prices at which the
    same orders would balance against whole lots of the book (`_lot_prices`)."""
    num, den = price.numerator, price.denominator
    market = liquidity.market
    eligible_asks = asks.orders[: bisect_right(asks.prices, price)]
    eligible_bids = bids.orders[: bisect_right(bids.prices, -price)]
    capacity = liquidity.capacity(price, sells_base)
    rooms: list[int] = []
    for keep in _KEEP:  # less when rounding left the legs short
        room = int(capacity * keep)
        book = liquidity.book
        if book is not None and sells_base and room > book.lot_size:
            rooms.append(room - room % book.lot_size)  # whole lots first: no remainder
        rooms.append(room)
    hints: list[Fraction] = []
    for room in dict.fromkeys(rooms):
        fills: list[PlannedFill]
        if sells_base:  # bids take the asks' base and up to `room` from the liquidity
            ask_fills, base_in = _allocate(eligible_asks, _UNLIMITED, num, den)
            bid_fills, _ = _allocate(eligible_bids, (base_in + room) * num // den, den, num)
        else:  # asks give the bids' base and up to `room` to the liquidity
            bid_fills, _ = _allocate(eligible_bids, _UNLIMITED, den, num)
            ask_fills, base_in = _allocate(
                eligible_asks, sum(f.bought for f in bid_fills) + room, num, den
            )
        fills = ask_fills + bid_fills
        net = sum(f.bought for f in bid_fills) - base_in  # base the liquidity must supply
        if net == 0 or (net > 0) != sells_base:
            return None, hints  # the orders balance among themselves: the matcher's business
        for legs in liquidity.leg_options(abs(net), price, sells_base):
            plan = BatchPlan(market, num, den, tuple(fills), legs)
            try:
                check_plan(plan)  # every limit, and conservation with the legs counted
            except MatchingError:
                continue  # this split of the legs does not pay for itself
            return plan, []
        if not hints:
            hints = _lot_prices(ask_fills, bid_fills, abs(net), price, liquidity, sells_base)
    return None, hints


def _lot_prices(
    ask_fills: list[PlannedFill],
    bid_fills: list[PlannedFill],
    net: int,
    price: Fraction,
    liquidity: _Liquidity,
    sells_base: bool,
) -> list[Fraction]:
    """Prices at which these fills trade whole lots with the book and nothing is left over
    (fill-or-kill orders cannot be trimmed to a lot): selling base, the bids' quote buys the
    asks' base plus k lots; buying base, the asks' base earns the bids' quote plus what the
    book pays for k lots."""
    book = liquidity.book
    if book is None:
        return []
    quote_in = sum(f.executed_sell for f in bid_fills)
    base_in = sum(f.executed_sell for f in ask_fills)
    usable = book.usable_lots(price, sells_base)
    out: list[Fraction] = []
    if sells_base:
        for lots in (net // book.lot_size, -(-net // book.lot_size)):
            if 0 < lots <= usable and quote_in:
                out.append(Fraction(quote_in, base_in + lots * book.lot_size))
    else:
        lots = min(usable, net // book.lot_size)
        while lots and book.base_cost(lots) > net:
            lots -= 1
        for k in (lots, lots - 1):
            if k > 0 and base_in:
                out.append(Fraction(quote_in + book.take(k, False).received, base_in))
    return out


def _fits(
    asks: _Side, bids: _Side, price: Fraction, liquidity: _Liquidity, sells_base: bool
) -> bool:
    """At `price`, the liquidity covers every eligible order of the side it serves."""
    num, den = price.numerator, price.denominator
    supply = sum(o.remaining for o in asks.orders[: bisect_right(asks.prices, price)])
    demand = sum(o.remaining * den // num for o in bids.orders[: bisect_right(bids.prices, -price)])
    need = demand - supply if sells_base else supply - demand
    return need <= liquidity.capacity(price, sells_base)


def _sqrt(x: Fraction) -> Fraction:
    """A rational within 2^-64 (relative, for prices near 1e-9 and up) of sqrt(x)."""
    scale = 2**64
    root = math.isqrt(x.numerator * scale * scale // x.denominator)
    return Fraction(max(root, 1), scale)


def _boundary(
    lo: Fraction, hi: Fraction, accepted_above: bool, test: Callable[[Fraction], bool]
) -> Fraction:
    """Bisect (geometrically) the boundary between the prices `test` rejects and those it
    accepts: accepted above it (returns the lowest accepted price found) or below it (the
    highest)."""
    for _ in range(_STEPS):
        if hi - lo <= lo * _PRECISION:
            break
        mid = _sqrt(lo * hi)
        if mid <= lo or mid >= hi:
            break
        if test(mid) == accepted_above:
            hi = mid
        else:
            lo = mid
    return hi if accepted_above else lo


def _base_volume(plan: BatchPlan) -> int:
    base = plan.market.base
    return sum(f.executed_sell if f.order.sell_token == base else f.bought for f in plan.fills)


def _reach(liquidity: _Liquidity, sells_base: bool) -> Fraction | None:
    """The best price any source starts at: the pool's spot, the book's best level (fee
    counted); the lowest when the liquidity sells base, the highest when it buys."""
    starts: list[Fraction] = []
    pool, book = liquidity.pool, liquidity.book
    if pool is not None:
        starts.append(Fraction(pool.reserve_quote, pool.reserve_base))
    if book is not None and book.levels(sells_base):
        starts.append(book.level_price(book.levels(sells_base)[0].tick, sells_base))
    if not starts:
        return None
    return min(starts) if sells_base else max(starts)


def route_residual(
    market: Market,
    orders: Iterable[BookOrder],
    max_fills: int,
    pool: PoolQuote | None = None,
    book: BookQuote | None = None,
) -> BatchPlan | None:
    """The batch that trades the most of `orders` against `pool` and `book` (at most
    `max_fills` fills, at most one leg each), or None when no order's limit reaches them."""
    if pool is not None and (pool.reserve_base <= 0 or pool.reserve_quote <= 0):
        pool = None
    if book is not None and not (book.asks or book.bids):
        book = None
    if (pool is None and book is None) or max_fills < 1:
        return None
    liquidity = _Liquidity(market, pool, book)
    # Only orders that reach a source can trade with it: bids above its lowest ask (the
    # pool's spot / (1 - fee), the book's best ask with fee), asks below its highest bid.
    # A float pre-filter (a hair wide) keeps a large book of orders the liquidity cannot
    # serve from costing anything; the plan itself is exact.
    bid_floor, ask_ceiling = math.inf, -math.inf
    if pool is not None:
        spot, keep = pool.reserve_quote / pool.reserve_base, 1 - pool.fee / 10_000
        bid_floor, ask_ceiling = spot / keep, spot * keep
    if book is not None and book.asks:
        bid_floor = min(bid_floor, float(book.level_price(book.asks[0].tick, True)))
    if book is not None and book.bids:
        ask_ceiling = max(ask_ceiling, float(book.level_price(book.bids[0].tick, False)))
    bid_floor, ask_ceiling = bid_floor * (1 - 1e-9), ask_ceiling * (1 + 1e-9)
    all_asks: list[BookOrder] = []
    all_bids: list[BookOrder] = []
    for o in orders:
        if o.remaining <= 0:
            continue
        if o.sell_token == market.base and o.buy_token == market.quote:
            if o.buy_amount / o.sell_amount < ask_ceiling:
                all_asks.append(o)
        elif (
            o.sell_token == market.quote
            and o.buy_token == market.base
            and o.sell_amount / o.buy_amount > bid_floor
        ):
            all_bids.append(o)
    if not all_asks and not all_bids:
        return None
    for per_side in (max_fills, max_fills // 2):  # both sides in one plan: half each
        if per_side < 1:
            break
        asks = _best_by_price(all_asks, _ask_price, descending=False, limit=per_side)
        bids = _best_by_price(all_bids, _bid_price, descending=True, limit=per_side)
        plan = _route(
            _Side(asks, [Fraction(*_ask_price(o)) for o in asks]),
            _Side(bids, [-Fraction(*_bid_price(o)) for o in bids]),
            liquidity,
        )
        if plan is not None and len(plan.fills) <= max_fills:
            try:
                check_plan(plan)
            except MatchingError:  # never expected; a plan that fails is not used
                return None
            return plan
    return None


def route_to_pool(
    market: Market, orders: Iterable[BookOrder], max_fills: int, pool: PoolQuote
) -> BatchPlan | None:
    """`route_residual` with the pool alone."""
    return route_residual(market, orders, max_fills, pool=pool)


def _route(asks: _Side, bids: _Side, liquidity: _Liquidity) -> BatchPlan | None:
    """Both directions; per direction the candidate prices: the book level at which the
    capacity first covers every order that accepts the price, the edge a bisection finds
    for it (the pool's capacity is continuous), the limit of the orders just inside it
    (rationed in priority order), prices a hair past the edge and the next limit past it
    (more capacity, where rounding at the edge left a fill-or-kill order out). The most
    base volume wins, then the best price for the orders served."""
    book = liquidity.book
    plans: list[tuple[BatchPlan, bool]] = []
    for sells_base in (True, False):
        served = bids if sells_base else asks
        reach = _reach(liquidity, sells_base)
        if not served.orders or reach is None:
            continue
        limits = [-q for q in served.prices] if sells_base else list(served.prices)
        best = limits[0]
        if (best < reach) if sells_base else (best > reach):
            continue  # no order of that side reaches the liquidity's price
        lo, hi = (reach, best) if sells_base else (best, reach)

        def fits(p: Fraction, sells_base: bool = sells_base) -> bool:
            return _fits(asks, bids, p, liquidity, sells_base)

        edge = _boundary(lo, hi, sells_base, fits)
        levels = (
            []
            if book is None
            else [book.level_price(v.tick, sells_base) for v in book.levels(sells_base)]
        )
        candidates: list[Fraction] = []
        if sells_base:
            steps = [q for q in levels if lo <= q <= edge]
            inside = [q for q in limits if reach < q <= edge]
            past = [q for q in limits if q > edge]
            candidates += [max(steps)] if steps else []
            candidates += [edge] + ([max(inside)] if inside else [])
            candidates += [q for q in (edge * (1 + n) for n in _NUDGES) if q <= hi]
            candidates += [min(past)] if past else []
        else:
            steps = [q for q in levels if edge <= q <= hi]
            inside = [q for q in limits if edge <= q < reach]
            past = [q for q in limits if q < edge]
            candidates += [min(steps)] if steps else []
            candidates += [edge] + ([min(inside)] if inside else [])
            candidates += [q for q in (edge * (1 - n) for n in _NUDGES) if q >= lo]
            candidates += [max(past)] if past else []
        hints: list[Fraction] = []
        for price in dict.fromkeys(candidates):
            plan, more = _plan_at(asks, bids, price, liquidity, sells_base)
            if plan is not None:
                plans.append((plan, sells_base))
            hints += more
        for price in dict.fromkeys(hints):  # once: a hint's own hints are not followed
            plan, _ = _plan_at(asks, bids, price, liquidity, sells_base)
            if plan is not None:
                plans.append((plan, sells_base))
    if not plans:
        return None

    def rank(entry: tuple[BatchPlan, bool]) -> tuple[int, Fraction, int]:
        """The most base; then the best price for the orders the liquidity serves (the
        lowest when it sells base); then the earlier candidate."""
        plan, sells_base = entry
        return (_base_volume(plan), -plan.price if sells_base else plan.price, -plans.index(entry))

    return max(plans, key=rank)[0]
