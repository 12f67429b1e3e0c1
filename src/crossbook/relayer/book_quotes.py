"""What the router knows about our on-chain order books: the resting levels near the top of
a book (read through its `depth` view, bounded) and the exact cost of a market order on them.

`BookQuote` is pure: `take` computes what `OrderBook.take` charges and delivers for a number
of lots, best level first, with the contract's rounding (each level at its own price, one
taker fee on the total, rounded up). `BookQuotes` reads the books of a market from the book
factory the settlement contract routes into (`Settlement.bookFactory`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from web3 import Web3
from web3.contract import Contract

from crossbook.book.market import Side
from crossbook.book.reader import BookLevel
from crossbook.chain import contract_abi
from crossbook.relayer.matching import (
    MAX_BOOK_STEPS,
    Market,
    PlannedBookLeg,
    book_taker_fee,
)

#: Levels read per side (`depth(side, n)`), and so the most levels one leg takes.
BOOK_DEPTH_LEVELS = 16
#: Steps a leg may spend on holes inside the last level it takes only in part (a whole level
#: is one step whatever it holds). More holes than this and the leg reverts, not the orders.
HOLE_ALLOWANCE = 8
#: Books of one market whose depth is read per cut (the first ones the factory created).
MAX_BOOKS_PER_MARKET = 8
_PPM = 1_000_000

assert BOOK_DEPTH_LEVELS + HOLE_ALLOWANCE <= MAX_BOOK_STEPS


@dataclass(frozen=True, slots=True)
class BookTake:
    """A market order of `lots` lots, as `OrderBook.take` settles it."""

    lots: int
    paid: int  # what the taker pays, taker fee included (quote buying base, base selling)
    received: int
    limit_tick: int  # the worst level it reaches
    levels: int
    partial_last: bool  # it stops inside its last level (and may cross holes there)


@dataclass(frozen=True)
class BookQuote:
    """One book's grid, taker fee and top levels: asks lowest tick first, bids highest first.
    A lot is `lot_size` base; a lot at tick t costs `t * tick_size` quote."""

    base: str
    quote: str
    tick_size: int
    lot_size: int
    min_lots: int
    fee_ppm: int
    asks: tuple[BookLevel, ...]
    bids: tuple[BookLevel, ...]

    def levels(self, buys_base: bool) -> tuple[BookLevel, ...]:
        """The levels a leg may take, best first: asks when it buys base, bids when it sells
        base; never more than `BOOK_DEPTH_LEVELS` (a leg's steps stay bounded however many
        small levels a maker spreads over the book)."""
        return (self.asks if buys_base else self.bids)[:BOOK_DEPTH_LEVELS]

    def level_price(self, tick: int, buys_base: bool) -> Fraction:
        """A level's price in quote per base unit with the taker fee counted: buying, a lot
        costs t * tick_size quote plus the fee; selling, a lot costs lot_size base plus the
        fee and pays t * tick_size quote."""
        gross = Fraction(tick * self.tick_size, self.lot_size)
        fee = Fraction(_PPM + self.fee_ppm, _PPM)
        return gross * fee if buys_base else gross / fee

    def usable_lots(self, price: Fraction, buys_base: bool) -> int:
        """Lots at the levels whose fee-inclusive price is at least as good as `price`."""
        lots = 0
        for level in self.levels(buys_base):
            p = self.level_price(level.tick, buys_base)
            if (p > price) if buys_base else (p < price):
                break
            lots += level.lots
        return lots

    def take(self, lots: int, buys_base: bool) -> BookTake:
        """What `take` of `lots` lots pays and receives, best level first (the book must
        hold them); the taker fee is ceil(gross * fee / 1e6) on the total, as on chain."""
        if lots <= 0:
            raise ValueError(f"a take needs at least one lot, got {lots}")
        left, quote_total, levels, tick, partial = lots, 0, 0, 0, False
        for level in self.levels(buys_base):
            got = min(left, level.lots)
            quote_total += got * level.tick * self.tick_size
            left -= got
            levels += 1
            tick = level.tick
            if left == 0:
                partial = got < level.lots
                break
        if left:
            raise ValueError(f"the book holds fewer than {lots} lots within {levels} levels")
        base_total = lots * self.lot_size
        if buys_base:
            paid = quote_total + book_taker_fee(quote_total, self.fee_ppm)
            return BookTake(lots, paid, base_total, tick, levels, partial)
        paid = base_total + book_taker_fee(base_total, self.fee_ppm)
        return BookTake(lots, paid, quote_total, tick, levels, partial)

    def base_cost(self, lots: int) -> int:
        """Base a sell of `lots` lots pays, fee included (0 lots: nothing)."""
        base = lots * self.lot_size
        return base + book_taker_fee(base, self.fee_ppm)

    def leg(self, take: BookTake, buys_base: bool) -> PlannedBookLeg:
        """The leg for `take`: exactly its lots (`minTakeLots == maxLots`), its worst tick as
        the limit, one step per level plus `HOLE_ALLOWANCE` if it stops inside a level."""
        steps = take.levels + (HOLE_ALLOWANCE if take.partial_last else 0)
        return PlannedBookLeg(
            self.base,
            self.quote,
            self.tick_size,
            self.lot_size,
            self.min_lots,
            self.fee_ppm,
            0 if buys_base else 1,
            take.limit_tick,
            take.lots,
            min(steps, MAX_BOOK_STEPS),
            take.paid,
            take.received,
        )

    @property
    def key(self) -> tuple[str, str, int, int, int]:
        """The market the book factory keys the book by."""
        return (self.base, self.quote, self.tick_size, self.lot_size, self.min_lots)


@dataclass
class _Book:
    contract: Contract
    key: tuple[str, str, int, int, int]
    fee_ppm: int


class BookQuotes:
    """Reads our books for the router: the factory the settlement contract routes book legs
    into (`Settlement.bookFactory`), the books of a market whose base and quote are the
    market's (the first `MAX_BOOKS_PER_MARKET` the factory created), each book's top
    `levels` levels per side, read fresh on every call. Of several books the one with the
    most lots within those levels is quoted. A book can be excluded (`exclude`): one whose
    leg failed in a way that will not heal, such as a fee-on-transfer token."""

    def __init__(self, w3: Web3, settlement: Contract, levels: int = BOOK_DEPTH_LEVELS) -> None:
        self.w3 = w3
        self.settlement = settlement
        self.levels = min(levels, BOOK_DEPTH_LEVELS)
        self._factory: Contract | None = None
        self._known = 0  # books of the factory already looked at
        self._books: dict[tuple[str, str], list[_Book]] = {}
        self._excluded: set[tuple[str, str, int, int, int]] = set()

    def exclude(self, key: tuple[str, str, int, int, int]) -> None:
        self._excluded.add(_normal(key))

    def _factory_contract(self) -> Contract | None:
        if self._factory is None:
            address = str(self.settlement.functions.bookFactory().call())
            if int(address, 16) == 0:
                return None  # no liquidity sources set: nothing to route into
            self._factory = self.w3.eth.contract(
                address=Web3.to_checksum_address(address), abi=contract_abi("BookFactory")
            )
        return self._factory

    def _refresh(self, factory: Contract) -> None:
        """Looks at books created since the last call (one `bookCount` read when none)."""
        count = int(factory.functions.bookCount().call())
        for index in range(self._known, count):
            address = Web3.to_checksum_address(str(factory.functions.bookAt(index).call()))
            book = self.w3.eth.contract(address=address, abi=contract_abi("OrderBook"))
            f = book.functions
            base = Web3.to_checksum_address(str(f.base().call()))
            quote = Web3.to_checksum_address(str(f.quote().call()))
            key = (
                base,
                quote,
                int(f.tickSize().call()),
                int(f.lotSize().call()),
                int(f.minLots().call()),
            )
            books = self._books.setdefault((base.lower(), quote.lower()), [])
            if len(books) < MAX_BOOKS_PER_MARKET:
                books.append(_Book(book, key, int(f.takerFeePpm().call())))
        self._known = count

    def quote(self, market: Market) -> BookQuote | None:
        factory = self._factory_contract()
        if factory is None:
            return None
        self._refresh(factory)
        best: BookQuote | None = None
        for book in self._books.get((market.base.lower(), market.quote.lower()), []):
            if _normal(book.key) in self._excluded:
                continue
            sides = []
            for side in (Side.ASK, Side.BID):
                rows = book.contract.functions.depth(int(side), self.levels).call()
                sides.append(tuple(BookLevel(int(t), int(n)) for t, n, _ in rows if int(n) > 0))
            _, _, tick_size, lot_size, min_lots = book.key
            candidate = BookQuote(
                market.base,
                market.quote,
                tick_size,
                lot_size,
                min_lots,
                book.fee_ppm,
                sides[0],
                sides[1],
            )
            if best is None or _base_depth(candidate) > _base_depth(best):
                best = candidate
        return best


def _base_depth(book: BookQuote) -> int:
    return sum(v.lots for v in book.asks + book.bids) * book.lot_size


def _normal(key: tuple[str, str, int, int, int]) -> tuple[str, str, int, int, int]:
    return (key[0].lower(), key[1].lower(), *key[2:])
