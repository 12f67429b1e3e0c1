"""Routing what did not cross into our AMM pool: a batch of its own, at one uniform price.

After the crossing orders of a market are matched, the rest may still accept the pool's
price: bids whose limit is above what the pool asks, asks whose limit is below what it bids.
`route_to_pool` plans one batch for them: every order whose limit accepts the batch price P
fills whole (or, if partially fillable, all it has left), and the pool absorbs the imbalance
in one leg (`Settlement.settleWithLiquidity`). The leg's terms are exact integers from the
pool's reserves (`crossbook.amm.math`, equal to the contract's); P is the pool's marginal
price after the leg, so the pool's average price is better than P and the difference stays
in the batch as surplus (to the fee recipient, like any surplus). Of the prices at which the
leg pays for itself, P is the one that fills the most: the lowest when the pool sells base,
the highest when it buys.

Pure and deterministic, like the matcher: a bisection over the price, then every candidate
checked exactly (`check_plan`, which counts the leg).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from web3 import Web3
from web3.contract import Contract

from crossbook.amm.errors import PoolMathError
from crossbook.amm.math import get_amount_in, get_amount_out
from crossbook.artifacts import load_artifact
from crossbook.relayer.matching import (
    BatchPlan,
    BookOrder,
    Market,
    MatchingError,
    PlannedLeg,
    _allocate,
    _ask_price,
    _best_by_price,
    _bid_price,
    check_plan,
)

_STEPS = 60  # bisection steps at most over log(price)
_PRECISION = Fraction(1, 10**12)  # ... stopping once the bracket is this narrow (relative)
_UNLIMITED = 2**256


@dataclass(frozen=True, slots=True)
class PoolQuote:
    """What the router knows about one pool of a market: its fee tier and reserves."""

    fee: int  # bps
    reserve_base: int
    reserve_quote: int


@dataclass
class _Side:
    """One side's orders in priority order, with their exact limit prices (quote per base)."""

    orders: list[BookOrder]
    prices: list[Fraction]  # ascending for asks; negated (so ascending) for bids


def _capacity(pool: PoolQuote, price: Fraction, pool_sells_base: bool) -> int:
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
    market: Market, asks: _Side, bids: _Side, price: Fraction, pool: PoolQuote,
    pool_sells_base: bool,
) -> BatchPlan | None:  # fmt: skip
    """The plan at `price`: the orders of the side the pool serves fill in priority order as
    far as the pool's capacity at `price` allows, those of the other side whole. None when no
    leg is needed or the leg does not pay for itself."""
    num, den = price.numerator, price.denominator
    eligible_asks = asks.orders[: bisect_right(asks.prices, price)]
    eligible_bids = bids.orders[: bisect_right(bids.prices, -price)]
    capacity = _capacity(pool, price, pool_sells_base)
    for keep in (Fraction(1), Fraction(999, 1000), Fraction(99, 100), Fraction(9, 10)):
        room = int(capacity * keep)  # less when rounding left the leg short
        if pool_sells_base:  # bids take the asks' base and up to `room` from the pool
            ask_fills, base_in = _allocate(eligible_asks, _UNLIMITED, num, den)
            bid_fills, quote_in = _allocate(eligible_bids, (base_in + room) * num // den, den,
                                            num)  # fmt: skip
        else:  # asks give the bids' base and up to `room` to the pool
            bid_fills, quote_in = _allocate(eligible_bids, _UNLIMITED, den, num)
            ask_fills, base_in = _allocate(eligible_asks, sum(f.bought for f in bid_fills) + room,
                                           num, den)  # fmt: skip
        net = sum(f.bought for f in bid_fills) - base_in  # base the pool must supply
        quote_out = sum(f.bought for f in ask_fills)
        if net == 0 or (net > 0) != pool_sells_base:
            return None  # the orders balance among themselves: the matcher's business
        try:
            if net > 0:
                amount_in = get_amount_in(net, pool.reserve_quote, pool.reserve_base, pool.fee)
                leg = PlannedLeg(market.quote, market.base, pool.fee, amount_in, net)
                affordable = amount_in <= quote_in - quote_out
            else:
                out = get_amount_out(-net, pool.reserve_base, pool.reserve_quote, pool.fee)
                leg = PlannedLeg(market.base, market.quote, pool.fee, -net, out)
                affordable = out > 0 and out >= quote_out - quote_in
        except PoolMathError:
            continue  # more than the pool holds
        if affordable:
            return BatchPlan(market, num, den, tuple(ask_fills + bid_fills), (leg,))
    return None


def _fits(asks: _Side, bids: _Side, price: Fraction, pool: PoolQuote, sells_base: bool) -> bool:
    """At `price`, the pool's capacity covers every eligible order of the side it serves."""
    num, den = price.numerator, price.denominator
    supply = sum(o.remaining for o in asks.orders[: bisect_right(asks.prices, price)])
    demand = sum(o.remaining * den // num for o in bids.orders[: bisect_right(bids.prices, -price)])
    need = demand - supply if sells_base else supply - demand
    return need <= _capacity(pool, price, sells_base)


def _sqrt(x: Fraction) -> Fraction:
    """A rational within 2^-64 (relative, for prices near 1e-9 and up) of sqrt(x)."""
    scale = 2**64
    root = math.isqrt(x.numerator * scale * scale // x.denominator)
    return Fraction(max(root, 1), scale)


def _boundary(lo: Fraction, hi: Fraction, accepted_above: bool, test: Callable[[Fraction], bool]
              ) -> Fraction:  # fmt: skip
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


def route_to_pool(
    market: Market, orders: Iterable[BookOrder], max_fills: int, pool: PoolQuote
) -> BatchPlan | None:
    """The batch that trades the most of `orders` against `pool` (at most `max_fills`
    fills), or None when no order's limit reaches the pool's price."""
    if pool.reserve_base <= 0 or pool.reserve_quote <= 0 or max_fills < 1:
        return None
    # Only orders past the pool's fee band can trade with it: bids above spot / (1 - fee),
    # asks below spot * (1 - fee). A float pre-filter (a hair wide) keeps a large book of
    # orders the pool cannot serve from costing anything; the plan itself is exact.
    spot = pool.reserve_quote / pool.reserve_base
    keep = 1 - pool.fee / 10_000
    bid_floor, ask_ceiling = spot / keep * (1 - 1e-9), spot * keep * (1 + 1e-9)
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
            market,
            _Side(asks, [Fraction(*_ask_price(o)) for o in asks]),
            _Side(bids, [-Fraction(*_bid_price(o)) for o in bids]),
            pool,
        )
        if plan is not None and len(plan.fills) <= max_fills:
            try:
                check_plan(plan)
            except MatchingError:  # never expected; a plan that fails is not used
                return None
            return plan
    return None


def _route(market: Market, asks: _Side, bids: _Side, pool: PoolQuote) -> BatchPlan | None:
    """Both directions; per direction two candidate prices: the edge where the pool's
    capacity first covers every order that accepts the price, and the limit of the orders
    just past it (rationed in priority order). The most base volume wins."""
    spot = Fraction(pool.reserve_quote, pool.reserve_base)
    plans: list[BatchPlan] = []
    for sells_base in (True, False):
        served = bids if sells_base else asks
        if not served.orders:
            continue
        limits = [-q for q in served.prices] if sells_base else list(served.prices)
        best = limits[0]
        if (best <= spot) if sells_base else (best >= spot):
            continue  # no order of that side reaches the pool's price
        lo, hi = (spot, best) if sells_base else (best, spot)

        def fits(p: Fraction, sells_base: bool = sells_base) -> bool:
            return _fits(asks, bids, p, pool, sells_base)

        edge = _boundary(lo, hi, sells_base, fits)
        candidates = [edge]
        if sells_base:
            inside = [q for q in limits if spot < q <= edge]
            candidates += [max(inside)] if inside else []
        else:
            inside = [q for q in limits if edge <= q < spot]
            candidates += [min(inside)] if inside else []
        for price in candidates:
            plan = _plan_at(market, asks, bids, price, pool, sells_base)
            if plan is not None:
                plans.append(plan)
    if not plans:
        return None
    return max(plans, key=lambda p: (_base_volume(p), -plans.index(p)))


_FEE_TIERS = (5, 30, 100)  # the factory's fee tiers (bps), shallowest fee first


class PoolQuotes:
    """Reads our AMM pools' reserves for the router: the factory the settlement contract
    routes legs into (`Settlement.ammFactory`), the deepest pool of a market over the fee
    tiers; addresses cached, reserves read fresh on every call."""

    def __init__(self, w3: Web3, settlement: Contract) -> None:
        self.w3 = w3
        self.settlement = settlement
        self._factory: Contract | None = None
        self._pools: dict[tuple[str, str], list[tuple[int, Contract, str]]] = {}

    def _factory_contract(self) -> Contract | None:
        if self._factory is None:
            address = str(self.settlement.functions.ammFactory().call())
            if int(address, 16) == 0:
                return None  # no liquidity sources set: nothing to route into
            self._factory = self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                                 abi=load_artifact("Factory").abi)  # fmt: skip
        return self._factory

    def quote(self, market: Market) -> PoolQuote | None:
        factory = self._factory_contract()
        if factory is None:
            return None
        key = (market.base, market.quote)
        if key not in self._pools:
            pools = []
            for fee in _FEE_TIERS:
                address = str(factory.functions.getPool(market.base, market.quote, fee).call())
                if int(address, 16) == 0:
                    continue
                pool = self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                            abi=load_artifact("Pool").abi)  # fmt: skip
                pools.append((fee, pool, str(pool.functions.token0().call())))
            self._pools[key] = pools  # a pool created later is seen after a restart
        best: PoolQuote | None = None
        for fee, pool, token0 in self._pools[key]:
            r0, r1, _ = pool.functions.getReserves().call()
            base_first = token0.lower() == market.base.lower()
            quote = PoolQuote(fee, int(r0 if base_first else r1), int(r1 if base_first else r0))
            if best is None or quote.reserve_quote > best.reserve_quote:
                best = quote
        return best
