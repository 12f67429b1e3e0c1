"""The matching engine: pure and deterministic (the same orders give the same batch).

Per market (base/quote token pair): asks sell base for quote, bids sell quote for base; each
side in price-time priority (limit price, then arrival `seq`, then uid). Crossing orders
trade at ONE uniform clearing price P = num/den (quote per base), chosen to maximise the
volume traded; on chain the batch's clearing prices are `price[base] = num`,
`price[quote] = den`, so an ask receives `sold * num // den` quote and a bid
`sold * den // num` base. Everything after the ordering is exact integer arithmetic, and
every plan is checked before it is returned:

* limit price, exactly as the contract checks it: `bought * sellAmount >= sold * buyAmount`;
* per-token conservation: what the batch pulls >= what it pushes (fees only add to pulls);
* fill-or-kill orders execute exactly `sellAmount`; partial fills never exceed `remaining`.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from crossbook.errors import CrossbookError


class MatchingError(CrossbookError, AssertionError):
    """A plan broke a limit price or conservation: a bug in the engine, never user input."""


@dataclass(frozen=True, slots=True)
class BookOrder:
    uid: str
    sell_token: str
    buy_token: str
    sell_amount: int
    buy_amount: int
    remaining: int  # sell amount still fillable (== sell_amount for fill-or-kill)
    partially_fillable: bool
    seq: int


@dataclass(frozen=True, slots=True)
class Market:
    name: str  # e.g. "WETH-USDC"
    base: str
    quote: str


@dataclass(frozen=True, slots=True)
class PlannedFill:
    order: BookOrder
    executed_sell: int
    bought: int


@dataclass(frozen=True, slots=True)
class PlannedLeg:
    """A sale of `amount_in` of `token_in` into our AMM pool (fee tier `fee`, bps) for at
    least `min_amount_out` of `token_out`, inside the batch (`Settlement.settleWithLiquidity`)."""

    token_in: str
    token_out: str
    fee: int
    amount_in: int
    min_amount_out: int


#: Most steps (price levels, or holes crossed inside a level) one book leg may take: the
#: book's spam bound, so a maker cannot make a leg's gas grow (see docs/book.md, Bounds).
MAX_BOOK_STEPS = 32


@dataclass(frozen=True, slots=True)
class PlannedBookLeg:
    """A market order on our on-chain book of market (base, quote, tick size, lot size, min
    lots) inside the batch: side 0 buys base (takes asks), side 1 sells base (takes bids).
    It takes exactly `lots` lots (`maxLots == minTakeLots`: fewer reverts the leg rather
    than leaving the batch short) at ticks no worse than `limit_tick`, in at most
    `max_steps` steps. `amount_in` is what the take charges at the levels planned (taker
    fee included, the contract's rounding), `min_amount_out` what it delivers."""

    base: str
    quote: str
    tick_size: int
    lot_size: int
    min_lots: int
    fee_ppm: int  # the book's taker fee
    side: int
    limit_tick: int
    lots: int
    max_steps: int
    amount_in: int
    min_amount_out: int

    @property
    def token_in(self) -> str:
        return self.quote if self.side == 0 else self.base

    @property
    def token_out(self) -> str:
        return self.base if self.side == 0 else self.quote


def book_taker_fee(gross: int, fee_ppm: int) -> int:
    """`OrderBook._settle`: ceil(gross * takerFeePpm / 1e6), charged once per take."""
    return -(-gross * fee_ppm // 1_000_000)


def _check_book_leg(leg: PlannedBookLeg) -> None:
    """What the leg's own fields fix: the lots delivered or paid, the fee, the step bound."""
    if leg.side not in (0, 1) or leg.lots <= 0 or not 1 <= leg.limit_tick < 2**16:
        raise MatchingError(f"malformed book leg {leg}")
    if not 1 <= leg.max_steps <= MAX_BOOK_STEPS:
        raise MatchingError(f"book leg takes {leg.max_steps} steps; at most {MAX_BOOK_STEPS}")
    base = leg.lots * leg.lot_size
    if leg.side == 0 and leg.min_amount_out != base:
        raise MatchingError(f"book leg buys {leg.lots} lots but plans {leg.min_amount_out} base")
    if leg.side == 1 and leg.amount_in != base + book_taker_fee(base, leg.fee_ppm):
        raise MatchingError(f"book leg sells {leg.lots} lots but plans {leg.amount_in} base")
    # the quote side: between the lots at the best and at the limit tick (each level's price)
    per_lot = leg.tick_size * leg.limit_tick
    if leg.side == 0 and leg.amount_in > leg.lots * per_lot + book_taker_fee(
        leg.lots * per_lot, leg.fee_ppm
    ):
        raise MatchingError(f"book leg pays more than its limit tick allows: {leg}")
    if leg.side == 1 and leg.min_amount_out < leg.lots * per_lot:
        raise MatchingError(f"book leg receives less than its limit tick gives: {leg}")


@dataclass(frozen=True)
class BatchPlan:
    market: Market
    price_num: int  # quote per base = price_num / price_den
    price_den: int
    fills: tuple[PlannedFill, ...]
    legs: tuple[PlannedLeg | PlannedBookLeg, ...] = ()

    @property
    def pool_legs(self) -> tuple[PlannedLeg, ...]:
        return tuple(g for g in self.legs if isinstance(g, PlannedLeg))

    @property
    def book_legs(self) -> tuple[PlannedBookLeg, ...]:
        return tuple(g for g in self.legs if isinstance(g, PlannedBookLeg))

    @property
    def clearing_prices(self) -> dict[str, int]:
        return {self.market.base: self.price_num, self.market.quote: self.price_den}

    @property
    def price(self) -> Fraction:
        return Fraction(self.price_num, self.price_den)


def markets_for(tokens: Sequence[tuple[str, str]]) -> list[Market]:
    """Every pair of (symbol, address) tokens; the earlier token in the list is the base."""
    return [
        Market(f"{sa}-{sb}", aa, ab)
        for i, (sa, aa) in enumerate(tokens)
        for sb, ab in tokens[i + 1 :]
    ]


# ---------------------------------------------------------------- ordering


def _ask_price(o: BookOrder) -> tuple[int, int]:  # quote per base an ask asks for
    return o.buy_amount, o.sell_amount


def _bid_price(o: BookOrder) -> tuple[int, int]:  # quote per base a bid pays at most
    return o.sell_amount, o.buy_amount


def _best_by_price(
    orders: list[BookOrder],
    price: Callable[[BookOrder], tuple[int, int]],
    descending: bool,
    limit: int,
) -> list[BookOrder]:
    """The first `limit` orders in exact price-time priority, without a Fraction per order
    and without sorting the whole book (a batch can only use the best `max_fills`).

    int / int true division is correctly rounded, so float order never contradicts the exact
    order; only runs of equal floats need an exact look, and those are re-sorted exactly.
    """
    sign = -1.0 if descending else 1.0
    keyed = []
    for i, o in enumerate(orders):
        n, d = price(o)
        keyed.append((sign * (n / d), o.seq, o.uid, i))  # i: no BookOrder is ever compared
    if len(keyed) > limit > 0:
        edge = heapq.nsmallest(limit, keyed)[-1][0]
        # keep the whole run of equal floats at the edge: which of them make the cut is
        # decided by the exact order inside the run
        keyed = [k for k in keyed if k[0] <= edge]
    keyed.sort()
    result = [orders[k[3]] for k in keyed]
    i, count = 0, len(keyed)
    while i < count - 1:
        j = i + 1
        while j < count and keyed[j][0] == keyed[i][0]:
            j += 1
        if j - i > 1:
            n0, d0 = price(result[i])
            if any(n1 * d0 != n0 * d1 for n1, d1 in map(price, result[i + 1 : j])):
                run = result[i:j]
                run.sort(key=lambda o: (Fraction(*price(o)) * int(sign), o.seq, o.uid))
                result[i:j] = run
        i = j
    return result[:limit]


# ---------------------------------------------------------------- clearing


def _limit_ok(o: BookOrder, sold: int, bought: int) -> bool:
    return bought * o.sell_amount >= sold * o.buy_amount


def _allocate(
    orders: Sequence[BookOrder], cap: int, num: int, den: int
) -> tuple[list[PlannedFill], int]:
    """Fill `orders` in priority order with at most `cap` of their sell token in total.

    `num/den` converts the sell token into the buy token (bought = sold * num // den).
    A fill-or-kill order that does not fit whole is skipped; a partial fill that the floor
    would push below its limit is rounded down to a multiple of `den`, where bought is exact.
    """
    fills: list[PlannedFill] = []
    left = cap
    for o in orders:
        if left <= 0:
            break
        sold = min(o.remaining, left)
        if not o.partially_fillable and sold != o.sell_amount:
            continue
        bought = sold * num // den
        if not _limit_ok(o, sold, bought):
            if not o.partially_fillable:
                continue
            sold -= sold % den
            bought = sold * num // den
            if sold == 0 or not _limit_ok(o, sold, bought):
                continue
        fills.append(PlannedFill(o, sold, bought))
        left -= sold
    return fills, cap - left


def _volume(
    p: Fraction,
    ask_prices: list[Fraction],
    ask_cum: list[int],
    neg_bid_prices: list[Fraction],
    bid_cum: list[int],
) -> Fraction:
    """Base volume at price p: min(base offered by asks <= p, quote of bids >= p / p)."""
    supply = ask_cum[bisect_right(ask_prices, p)]
    demand_quote = bid_cum[bisect_right(neg_bid_prices, -p)]
    return min(Fraction(supply), demand_quote / p)


def _cumulative(amounts: Iterable[int]) -> list[int]:
    out = [0]
    for a in amounts:
        out.append(out[-1] + a)
    return out


def still_crossing(market: Market, orders: Iterable[BookOrder]) -> bool:
    """True when the best bid among `orders` pays at least what their best ask asks: some of
    them can still trade with each other (a batch's size limit left them out). Prices are
    compared by cross-multiplying (no Fraction per order: this runs over every open order)."""
    ask_n, ask_d = 0, 0  # best ask so far: ask_n / ask_d quote per base (0/0: none)
    bid_n, bid_d = 0, 0
    for o in orders:
        if o.remaining <= 0:
            continue
        if o.sell_token == market.base and o.buy_token == market.quote:
            n, d = o.buy_amount, o.sell_amount
            if ask_d == 0 or n * ask_d < ask_n * d:
                ask_n, ask_d = n, d
        elif o.sell_token == market.quote and o.buy_token == market.base:
            n, d = o.sell_amount, o.buy_amount
            if bid_d == 0 or n * bid_d > bid_n * d:
                bid_n, bid_d = n, d
    return ask_d > 0 and bid_d > 0 and bid_n * ask_d >= ask_n * bid_d


def match_market(market: Market, orders: Iterable[BookOrder], max_fills: int) -> BatchPlan | None:
    """The batch for one market, or None when nothing crosses."""
    base, quote = market.base, market.quote
    asks: list[BookOrder] = []
    bids: list[BookOrder] = []
    for o in orders:
        if o.remaining <= 0:
            continue
        if o.sell_token == base and o.buy_token == quote:
            asks.append(o)
        elif o.sell_token == quote and o.buy_token == base:
            bids.append(o)
    if not asks or not bids:
        return None
    # at most max_fills orders can fill: half of them bids, the rest asks, best first
    half = max(1, max_fills // 2)
    asks = _best_by_price(asks, _ask_price, descending=False, limit=max(1, max_fills - half))
    bids = _best_by_price(bids, _bid_price, descending=True, limit=half)
    best_bid = Fraction(*_bid_price(bids[0]))
    best_ask = Fraction(*_ask_price(asks[0]))
    if best_ask > best_bid:
        return None
    # only the crossing region matters
    asks = [o for o in asks[: max_fills - half] if Fraction(*_ask_price(o)) <= best_bid]
    bids = [o for o in bids if Fraction(*_bid_price(o)) >= best_ask]

    ask_prices = [Fraction(*_ask_price(o)) for o in asks]
    neg_bid_prices = [-Fraction(*_bid_price(o)) for o in bids]
    ask_cum = _cumulative(o.remaining for o in asks)
    bid_cum = _cumulative(o.remaining for o in bids)
    candidates = sorted(set(ask_prices) | {-p for p in neg_bid_prices})

    def volume(p: Fraction) -> Fraction:
        return _volume(p, ask_prices, ask_cum, neg_bid_prices, bid_cum)

    volumes = [volume(p) for p in candidates]
    best = max(volumes)
    if best <= 0:
        return None
    lo = candidates[volumes.index(best)]
    hi = candidates[len(volumes) - 1 - volumes[::-1].index(best)]
    mid = (lo + hi) / 2  # split the surplus when a range of prices clears the most
    price = mid if volume(mid) >= best else lo
    num, den = price.numerator, price.denominator

    # orders that accept the price; the long side is rationed in priority order
    eligible_asks = asks[: bisect_right(ask_prices, price)]
    eligible_bids = bids[: bisect_right(neg_bid_prices, -price)]
    cap_base = min(ask_cum[len(eligible_asks)], bid_cum[len(eligible_bids)] * den // num)
    attempts = [_clear(market, eligible_asks, eligible_bids, cap_base, num, den)]
    # Strict priority can starve the batch: a better-priced partial order takes the room a
    # fill-or-kill order needed, and then the other side cannot fill whole. Fill-or-kill
    # orders first (each kind still in priority order), unless that is the same order:
    fok_asks, fok_bids = _fok_first(eligible_asks), _fok_first(eligible_bids)
    if fok_asks != eligible_asks or fok_bids != eligible_bids:
        attempts.append(_clear(market, fok_asks, fok_bids, cap_base, num, den))
    # Two fill-or-kill orders only both fill at the price their amounts balance at:
    attempts.append(_balanced(market, asks, bids))
    plans = [p for p in attempts if p is not None]
    if not plans:
        return None
    # the most base volume wins; ties go to the earlier (stricter priority) attempt
    return max(plans, key=lambda p: (_base_volume(p), -plans.index(p)))


def _base_volume(plan: BatchPlan) -> int:
    return sum(f.executed_sell for f in plan.fills if f.order.sell_token == plan.market.base)


def _balanced(market: Market, asks: list[BookOrder], bids: list[BookOrder]) -> BatchPlan | None:
    """Everything fills whole at P = (quote the bids sell) / (base the asks sell), if P lies
    within every limit; the worst-priority order of the side that pushes P out is dropped
    until it does."""
    i, j = len(asks), len(bids)
    ask_cum = _cumulative(o.remaining for o in asks)
    bid_cum = _cumulative(o.remaining for o in bids)
    while i > 0 and j > 0:
        price = Fraction(bid_cum[j], ask_cum[i])
        if price < Fraction(*_ask_price(asks[i - 1])):
            i -= 1
        elif price > Fraction(*_bid_price(bids[j - 1])):
            j -= 1
        else:
            return _clear(
                market, asks[:i], bids[:j], ask_cum[i], price.numerator, price.denominator
            )
    return None


def _fok_first(orders: list[BookOrder]) -> list[BookOrder]:
    return [o for o in orders if not o.partially_fillable] + [
        o for o in orders if o.partially_fillable
    ]


def _clear(
    market: Market,
    asks: list[BookOrder],
    bids: list[BookOrder],
    cap_base: int,
    num: int,
    den: int,
) -> BatchPlan | None:
    for _ in range(64):
        if cap_base <= 0:
            return None
        ask_fills, base_in = _allocate(asks, cap_base, num, den)
        if base_in == 0:
            return None
        quote_out = sum(f.bought for f in ask_fills)
        bid_fills, quote_in = _allocate(bids, base_in * num // den, den, num)
        base_out = sum(f.bought for f in bid_fills)
        if quote_in >= quote_out and base_out <= base_in and bid_fills:
            plan = BatchPlan(market, num, den, tuple(ask_fills + bid_fills))
            check_plan(plan)
            return plan
        # the bids could not absorb the asks' output (fill-or-kill skips): shrink, retry
        cap_base = min(base_in - 1, quote_in * den // num)
    return None


def check_plan(plan: BatchPlan) -> None:
    """Raise `MatchingError` unless every fill meets its limit and every token is conserved."""
    prices = plan.clearing_prices
    pulled: dict[str, int] = {}
    pushed: dict[str, int] = {}
    seen: set[str] = set()
    for f in plan.fills:
        o = f.order
        if o.uid in seen:
            raise MatchingError(f"order {o.uid} fills twice in one batch")
        seen.add(o.uid)
        bought = f.executed_sell * prices[o.sell_token] // prices[o.buy_token]
        if bought != f.bought:
            raise MatchingError(f"order {o.uid}: bought {f.bought} != on-chain {bought}")
        if f.executed_sell <= 0 or f.executed_sell > o.remaining:
            raise MatchingError(f"order {o.uid}: executes {f.executed_sell} of {o.remaining}")
        if not o.partially_fillable and f.executed_sell != o.sell_amount:
            raise MatchingError(f"fill-or-kill order {o.uid} executes part of its amount")
        if not _limit_ok(o, f.executed_sell, bought):
            raise MatchingError(f"order {o.uid} gets less than its limit price")
        pulled[o.sell_token] = pulled.get(o.sell_token, 0) + f.executed_sell
        pushed[o.buy_token] = pushed.get(o.buy_token, 0) + bought
    for leg in plan.legs:  # what a leg spends leaves the batch; its least output comes in
        if leg.amount_in <= 0 or leg.min_amount_out <= 0:
            raise MatchingError(f"empty leg {leg}")
        if {leg.token_in, leg.token_out} != {plan.market.base, plan.market.quote}:
            raise MatchingError(f"leg {leg} trades outside market {plan.market.name}")
        if isinstance(leg, PlannedBookLeg):
            _check_book_leg(leg)
        # as Settlement prices every leg (at its default tolerance, 0): what the leg returns,
        # valued at the clearing prices in units of what it pays and rounded down, covers it
        worth = leg.min_amount_out * prices[leg.token_out] // prices[leg.token_in]
        if worth < leg.amount_in:
            raise MatchingError(
                f"leg {leg} trades below the clearing prices: returns {worth} worth of "
                f"{leg.token_in} for {leg.amount_in}"
            )
        pushed[leg.token_in] = pushed.get(leg.token_in, 0) + leg.amount_in
        pulled[leg.token_out] = pulled.get(leg.token_out, 0) + leg.min_amount_out
    for token, out in pushed.items():
        if out > pulled.get(token, 0):
            raise MatchingError(f"token {token} not conserved: {pulled.get(token, 0)} < {out}")


def match_all(
    markets: Sequence[Market], orders: Iterable[BookOrder], max_fills: int
) -> list[BatchPlan]:
    """One plan per market that crosses, in market order (one `settle` each)."""
    by_pair: dict[frozenset[str], list[BookOrder]] = {}
    for o in orders:
        by_pair.setdefault(frozenset((o.sell_token, o.buy_token)), []).append(o)
    plans = []
    for market in markets:
        book = by_pair.get(frozenset((market.base, market.quote)))
        if book:
            plan = match_market(market, book, max_fills)
            if plan is not None:
                plans.append(plan)
    return plans


@dataclass(frozen=True)
class DepthLevel:
    price: Fraction  # quote per base
    base_amount: int  # asks: base offered; bids: base wanted (buyAmount of their remainder)
    quote_amount: int
    orders: int


def book_depth(market: Market, orders: Iterable[BookOrder]) -> tuple[list[DepthLevel], ...]:
    """Aggregated depth (bids best first, asks best first) at each limit price."""
    bids: dict[Fraction, list[int]] = {}
    asks: dict[Fraction, list[int]] = {}
    for o in orders:
        if o.remaining <= 0:
            continue
        if (o.sell_token, o.buy_token) == (market.base, market.quote):
            level = asks.setdefault(Fraction(*_ask_price(o)), [0, 0, 0])
            level[0] += o.remaining
            level[1] += o.remaining * o.buy_amount // o.sell_amount
        elif (o.sell_token, o.buy_token) == (market.quote, market.base):
            level = bids.setdefault(Fraction(*_bid_price(o)), [0, 0, 0])
            level[0] += o.remaining * o.buy_amount // o.sell_amount
            level[1] += o.remaining
        else:
            continue
        level[2] += 1
    return (
        [DepthLevel(p, *v) for p, v in sorted(bids.items(), key=lambda kv: -kv[0])],
        [DepthLevel(p, *v) for p, v in sorted(asks.items(), key=lambda kv: kv[0])],
    )
