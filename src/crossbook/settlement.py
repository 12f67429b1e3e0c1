"""Building `Settlement.settle` batches from signed orders.

A batch lists its tokens once (sorted by address, so the same fills give the same calldata),
one clearing price per token, and one trade per fill; a trade names its tokens by index into
the batch's token list. `bought = executed * price[sell] // price[buy]` on chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils.address import to_checksum_address

from crossbook.errors import CrossbookError
from crossbook.order import Order
from crossbook.signing import SigningScheme


class InvalidBatch(CrossbookError, ValueError):
    """A batch cannot be built: a token without a clearing price, or too many tokens."""


@dataclass(frozen=True)
class Fill:
    """One order executed in a batch: `executed_sell` of its sell token (fee excluded)."""

    order: Order
    signature: bytes
    executed_sell: int
    scheme: SigningScheme = SigningScheme.ECDSA


@dataclass(frozen=True)
class PoolLeg:
    """Sell `amount_in` of `token_in` into our AMM pool of the pair at `fee` (bps)."""

    token_in: str
    token_out: str
    fee: int
    amount_in: int
    min_amount_out: int


@dataclass(frozen=True)
class BookLeg:
    """A market order on our on-chain book of market (base, quote, tick size, lot size, min
    lots): side 0 buys base, side 1 sells base."""

    base: str
    quote: str
    tick_size: int
    lot_size: int
    min_lots: int
    side: int
    limit_tick: int
    max_lots: int
    min_take_lots: int
    max_steps: int = 64


@dataclass(frozen=True)
class Batch:
    tokens: list[str]
    prices: list[int]
    trades: list[tuple[Any, ...]]
    pool_legs: list[tuple[Any, ...]] = field(default_factory=list)
    book_legs: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def has_legs(self) -> bool:
        return bool(self.pool_legs or self.book_legs)

    def args(self) -> tuple[list[str], list[int], list[tuple[Any, ...]]]:
        """Arguments of `settle` (a batch without legs)."""
        if self.has_legs:
            raise InvalidBatch("this batch has legs: call settleWithLiquidity with legs_args()")
        return self.tokens, self.prices, self.trades

    def legs_args(self) -> tuple[Any, ...]:
        """Arguments of `settleWithLiquidity`."""
        return self.tokens, self.prices, self.trades, self.pool_legs, self.book_legs


def _cs(address: str) -> str:
    return to_checksum_address(address)


def bought_amount(executed_sell: int, sell_price: int, buy_price: int) -> int:
    """What the order receives at the clearing prices (floor, as on chain)."""
    return executed_sell * sell_price // buy_price


def build_batch(
    fills: Sequence[Fill],
    clearing_prices: Mapping[str, int],
    pool_legs: Sequence[PoolLeg] = (),
    book_legs: Sequence[BookLeg] = (),
) -> Batch:
    """The `settle` / `settleWithLiquidity` arguments for `fills` (and legs)."""
    leg_tokens = [_cs(t) for leg in pool_legs for t in (leg.token_in, leg.token_out)]
    leg_tokens += [_cs(t) for leg in book_legs for t in (leg.base, leg.quote)]
    tokens = sorted(
        {t for f in fills for t in (f.order.sell_token, f.order.buy_token)} | set(leg_tokens),
        key=lambda a: int(a, 16),
    )
    if len(tokens) > 256:
        raise InvalidBatch(f"a batch holds at most 256 tokens, got {len(tokens)}")
    prices_by_token = {k.lower(): v for k, v in clearing_prices.items()}
    missing = [t for t in tokens if t.lower() not in prices_by_token]
    if missing:
        raise InvalidBatch(f"no clearing price for token(s) {', '.join(missing)}")
    index = {t: i for i, t in enumerate(tokens)}
    trades = [
        (
            index[f.order.sell_token],
            index[f.order.buy_token],
            f.order.owner,
            f.order.receiver,
            f.order.sell_amount,
            f.order.buy_amount,
            f.order.fee_amount,
            f.order.valid_to,
            f.order.nonce,
            f.order.flags,
            int(f.scheme),
            f.executed_sell,
            f.signature,
        )
        for f in fills
    ]
    pools = [
        (
            index[_cs(leg.token_in)],
            index[_cs(leg.token_out)],
            leg.fee,
            leg.amount_in,
            leg.min_amount_out,
        )
        for leg in pool_legs
    ]
    books = [
        (leg.base, leg.quote, leg.tick_size, leg.lot_size, leg.min_lots, leg.side,
         leg.limit_tick, leg.max_lots, leg.min_take_lots, leg.max_steps)
        for leg in book_legs
    ]  # fmt: skip
    return Batch(tokens, [prices_by_token[t.lower()] for t in tokens], trades, pools, books)
