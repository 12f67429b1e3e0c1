"""The hybrid split of `contracts/router/HybridRouter.sol` in Python, equal to the wei.

A swap of an exact input (or output) is split between a market's order book and the pool of
the same pair: book levels are taken, best first, while a level beats the pool's marginal price
at the point where the pool would have had to trade to reach that level's price; the pool gets
the rest. Every step below is the contract's integer arithmetic (floor square roots, a 512-bit
product that saturates to "never" when it leaves uint256). Where the contract reverts, this
raises: `PoolMathError`s from `crossbook.amm.math`, `ArithmeticOverflow` for checked arithmetic,
`InvalidSplitRequest` for the router's own argument errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import isqrt

from crossbook.amm import math as pool_math
from crossbook.amm.errors import ArithmeticOverflow
from crossbook.hybrid.errors import InvalidSplitRequest

PPM = 1_000_000
FEE_DENOMINATOR = pool_math.FEE_DENOMINATOR
MAX_LEVELS = 32  # HybridRouter.MAX_LEVELS
HOLE_STEPS = 32  # HybridRouter.HOLE_STEPS
UINT256_MAX = pool_math.UINT256_MAX
UINT64_MAX = 2**64 - 1


def _u256(value: int) -> int:
    if value < 0 or value > UINT256_MAX:
        raise ArithmeticOverflow(f"intermediate value {value} is outside uint256")
    return value


@dataclass(frozen=True)
class DepthEntry:
    """One level of the maker side being taken, as `IOrderBook.depth` returns it."""

    tick: int
    lots: int
    price: int  # quote units per lot: tick * tickSize


@dataclass(frozen=True)
class BookSnapshot:
    """The maker side the swap takes from (asks to buy base, bids to sell it), best first,
    already cut to ``max_levels`` (what ``depth(side, maxLevels)`` returns)."""

    levels: Sequence[DepthEntry]
    lot_size: int
    taker_fee_ppm: int


@dataclass(frozen=True)
class PoolSnapshot:
    """The pool's reserves oriented input -> output, and its fee tier (bps)."""

    reserve_in: int
    reserve_out: int
    fee: int


@dataclass(frozen=True)
class Split:
    """`IHybridRouter.Split`: what goes to the book and to the pool."""

    book_lots: int
    limit_tick: int
    levels: int
    book_in: int
    book_out: int
    pool_in: int
    pool_out: int

    @property
    def amount_in(self) -> int:
        return self.book_in + self.pool_in

    @property
    def amount_out(self) -> int:
        return self.book_out + self.pool_out


def _with_fee(raw: int, fee_ppm: int) -> int:
    """What the book charges for ``raw`` input: ``raw + ceil(raw * fee / PPM)``."""
    return _u256(raw + -(-_u256(raw * fee_ppm) // PPM))


def _mul_div_512(a: int, b: int, d: int) -> int | None:
    """``floor(a * b / d)``, or None where the contract's 512-bit result leaves uint256."""
    result = a * b // d
    return None if result > UINT256_MAX else result


def _units(buy_base: bool, lot_size: int, price: int) -> tuple[int, int]:
    return (price, lot_size) if buy_base else (lot_size, price)


def pool_input_at_price(pool: PoolSnapshot, fee_ppm: int, unit_in: int, unit_out: int) -> int:
    """Pool input after which its marginal output per input equals the level's (or
    ``UINT256_MAX`` for never, 0 if the pool is already worse)."""
    g = FEE_DENOMINATOR - pool.fee
    square = _mul_div_512(
        _u256(pool.reserve_in * pool.reserve_out),
        _u256(_u256(g * unit_in) * (PPM + fee_ppm)),
        _u256(FEE_DENOMINATOR * PPM * unit_out),
    )
    if square is None:
        return UINT256_MAX
    root = isqrt(square)
    if root <= pool.reserve_in:
        return 0
    return (root - pool.reserve_in) * FEE_DENOMINATOR // g


def pool_output_at_price(pool: PoolSnapshot, fee_ppm: int, unit_in: int, unit_out: int) -> int:
    """Pool output after which its marginal input per output equals the level's (0 if the
    pool is already worse)."""
    g = FEE_DENOMINATOR - pool.fee
    square = _mul_div_512(
        _u256(pool.reserve_in * pool.reserve_out),
        _u256(FEE_DENOMINATOR * PPM * unit_out),
        _u256(_u256(g * unit_in) * (PPM + fee_ppm)),
    )
    if square is None:
        return 0
    root = isqrt(square)
    return 0 if root >= pool.reserve_out else pool.reserve_out - root


def _pool_exact_in(pool: PoolSnapshot, rest: int) -> tuple[int, int]:
    if rest == 0 or pool.reserve_in == 0 or pool.reserve_out == 0:
        return 0, 0
    out = pool_math.get_amount_out(rest, pool.reserve_in, pool.reserve_out, pool.fee)
    return (rest, out) if out else (0, 0)


def _pool_exact_out(pool: PoolSnapshot, rest: int) -> tuple[int, int]:
    if rest == 0:
        return 0, 0
    return pool_math.get_amount_in(rest, pool.reserve_in, pool.reserve_out, pool.fee), rest


@dataclass
class _Taken:
    lots: int = 0
    limit_tick: int = 0
    levels: int = 0
    raw_in: int = 0
    out: int = 0

    def add(self, level: DepthEntry, lots: int, unit_in: int, unit_out: int) -> None:
        self.lots += lots
        if self.lots > UINT64_MAX:
            raise ArithmeticOverflow("book lots leave uint64")
        self.raw_in = _u256(self.raw_in + _u256(lots * unit_in))
        self.out = _u256(self.out + _u256(lots * unit_out))
        self.limit_tick = level.tick
        self.levels += 1


def _check(amount: int, book: BookSnapshot | None) -> None:
    if book is not None and len(book.levels) > MAX_LEVELS:
        raise InvalidSplitRequest(f"at most {MAX_LEVELS} book levels per swap")
    if amount == 0:
        raise InvalidSplitRequest("the exact amount is zero")


def quote_exact_in(
    amount_in: int, buy_base: bool, pool: PoolSnapshot, book: BookSnapshot | None
) -> Split:
    """`HybridRouter.quoteExactIn`; ``book`` None for ``maxLevels == 0`` (pool only)."""
    _check(amount_in, book)
    taken = _Taken()
    book_in = 0
    if book is not None:
        fee = book.taker_fee_ppm
        for level in book.levels:
            unit_in, unit_out = _units(buy_base, book.lot_size, level.price)
            threshold = pool_input_at_price(pool, fee, unit_in, unit_out)
            if threshold >= amount_in - _with_fee(taken.raw_in, fee):
                break
            max_raw = _u256((amount_in - threshold) * PPM) // (PPM + fee)
            lots = min(level.lots, (max_raw - taken.raw_in) // unit_in)
            if lots == 0:
                break
            taken.add(level, lots, unit_in, unit_out)
            if lots < level.lots:
                break
        book_in = _with_fee(taken.raw_in, fee)
    pool_in, pool_out = _pool_exact_in(pool, amount_in - book_in)
    return Split(taken.lots, taken.limit_tick, taken.levels, book_in, taken.out, pool_in, pool_out)


def quote_exact_out(
    amount_out: int, buy_base: bool, pool: PoolSnapshot, book: BookSnapshot | None
) -> Split:
    """`HybridRouter.quoteExactOut`; ``book`` None for ``maxLevels == 0`` (pool only)."""
    _check(amount_out, book)
    taken = _Taken()
    book_in = 0
    if book is not None:
        fee = book.taker_fee_ppm
        for level in book.levels:
            unit_in, unit_out = _units(buy_base, book.lot_size, level.price)
            threshold = pool_output_at_price(pool, fee, unit_in, unit_out)
            if threshold >= amount_out - taken.out:
                break
            lots = min(level.lots, (amount_out - threshold - taken.out) // unit_out)
            if lots == 0:
                break
            taken.add(level, lots, unit_in, unit_out)
            if lots < level.lots:
                break
        book_in = _with_fee(taken.raw_in, fee)
    pool_in, pool_out = _pool_exact_out(pool, amount_out - taken.out)
    return Split(taken.lots, taken.limit_tick, taken.levels, book_in, taken.out, pool_in, pool_out)
