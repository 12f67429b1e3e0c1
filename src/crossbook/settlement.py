"""Building `Settlement.settle` batches from signed orders.

A batch lists its tokens once (sorted by address, so the same fills give the same calldata),
one clearing price per token, and one trade per fill; a trade names its tokens by index into
the batch's token list. `bought = executed * price[sell] // price[buy]` on chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
class Batch:
    tokens: list[str]
    prices: list[int]
    trades: list[tuple[Any, ...]]

    def args(self) -> tuple[list[str], list[int], list[tuple[Any, ...]]]:
        return self.tokens, self.prices, self.trades


def bought_amount(executed_sell: int, sell_price: int, buy_price: int) -> int:
    """What the order receives at the clearing prices (floor, as on chain)."""
    return executed_sell * sell_price // buy_price


def build_batch(fills: Sequence[Fill], clearing_prices: Mapping[str, int]) -> Batch:
    tokens = sorted(
        {t for f in fills for t in (f.order.sell_token, f.order.buy_token)},
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
    return Batch(tokens, [prices_by_token[t.lower()] for t in tokens], trades)
