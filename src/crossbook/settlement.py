"""Building `Settlement.settle` batches from signed orders.

A batch lists its tokens once (sorted by address, so the same fills give the same calldata),
one clearing price per token, one trade per fill and the EIP-1271 signature bytes; a trade
names its tokens by index into the batch's token list and packs its narrow fields into one
word (see `ISettlement.TradeData` and docs/settlement.md). `bought = executed * price[sell] //
price[buy]` on chain.

Where a fee-free wallet trade sells exactly what another wallet trade buys, the two are paired
so the sold tokens go straight from the seller's wallet to the buyer's receiver (the trade's
`payee`), which saves the contract one transfer per fill; the contract checks every pairing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils.address import to_checksum_address

from crossbook.errors import CrossbookError
from crossbook.order import Order, OrderFlags
from crossbook.signing import ECDSA_SIGNATURE_LENGTH, SigningScheme


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
    signatures: list[bytes] = field(default_factory=list)
    #: trades whose sold tokens go straight to a counterpart's wallet (see `_direct_payees`):
    #: one token transfer instead of two, so the relayer's gas model prices them apart
    direct_trades: int = 0

    @property
    def has_legs(self) -> bool:
        return bool(self.pool_legs or self.book_legs)

    def args(self) -> tuple[list[str], list[int], list[tuple[Any, ...]], list[bytes]]:
        """Arguments of `settle` (a batch without legs)."""
        if self.has_legs:
            raise InvalidBatch("this batch has legs: call settleWithLiquidity with legs_args()")
        return self.tokens, self.prices, self.trades, self.signatures

    def legs_args(self) -> tuple[Any, ...]:
        """Arguments of `settleWithLiquidity`."""
        return (
            self.tokens,
            self.prices,
            self.trades,
            self.signatures,
            self.pool_legs,
            self.book_legs,
        )


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
    prices = [prices_by_token[t.lower()] for t in tokens]
    payees = _direct_payees(fills, index, prices)
    signatures: list[bytes] = []
    trades = [_trade(f, index, payees.get(i, 0), signatures) for i, f in enumerate(fills)]
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
        (
            leg.base,
            leg.quote,
            leg.tick_size,
            leg.lot_size,
            leg.min_lots,
            leg.side,
            leg.limit_tick,
            leg.max_lots,
            leg.min_take_lots,
            leg.max_steps,
        )
        for leg in book_legs
    ]
    return Batch(tokens, prices, trades, pools, books, signatures, len(payees))


# Bit offsets of `ISettlement.TradeData.packed` (owner is bits 0..159).
_VALID_TO_SHIFT = 160
_SELL_INDEX_SHIFT = 192
_BUY_INDEX_SHIFT = 200
_FLAGS_SHIFT = 208
_SCHEME_SHIFT = 216
_V_SHIFT = 224
_PAYEE_SHIFT = 232
_MAX_PAYEE = 2**16 - 1


def _trade(f: Fill, index: dict[str, int], payee: int, signatures: list[bytes]) -> tuple[Any, ...]:
    """The `TradeData` tuple of one fill; EIP-1271 signature bytes go to `signatures`."""
    o, sig, scheme = f.order, bytes(f.signature), SigningScheme(f.scheme)
    r = s = b"\x00" * 32
    v = 0
    if scheme is SigningScheme.ECDSA:
        if len(sig) != ECDSA_SIGNATURE_LENGTH:
            raise InvalidBatch(
                f"an ECDSA signature is {ECDSA_SIGNATURE_LENGTH} bytes r || s || v, got "
                f"{len(sig)} bytes (compact EIP-2098 signatures are not accepted)"
            )
        r, s, v = sig[:32], sig[32:64], sig[64]
    elif scheme is SigningScheme.EIP1271:
        r = len(signatures).to_bytes(32, "big")
        signatures.append(sig)
    elif sig:
        raise InvalidBatch("a pre-signed order's signature must be empty")
    packed = (
        int(o.owner, 16)
        | o.valid_to << _VALID_TO_SHIFT
        | index[o.sell_token] << _SELL_INDEX_SHIFT
        | index[o.buy_token] << _BUY_INDEX_SHIFT
        | int(o.flags) << _FLAGS_SHIFT
        | int(scheme) << _SCHEME_SHIFT
        | v << _V_SHIFT
        | payee << _PAYEE_SHIFT
    )
    # A fill-or-kill order executes its whole sell amount, encoded as 0: a zero word costs 4
    # gas a byte of calldata instead of 16 (the contract reads 0 as `sellAmount` for it).
    executed = f.executed_sell
    if not o.flags & OrderFlags.PARTIALLY_FILLABLE and executed == o.sell_amount:
        executed = 0
    return (
        packed,
        o.receiver,
        o.sell_amount,
        o.buy_amount,
        o.fee_amount,
        o.nonce,
        executed,
        r,
        s,
    )


def _fee(f: Fill) -> int:
    o = f.order
    if f.executed_sell == o.sell_amount:
        return o.fee_amount
    return o.fee_amount * f.executed_sell // o.sell_amount


def _direct_payees(
    fills: Sequence[Fill], index: dict[str, int], prices: list[int]
) -> dict[int, int]:
    """payer index -> 1 + payee index, for fee-free wallet trades that sell exactly what a
    wallet trade buys (the contract checks the same conditions). A fee would need a separate
    pull into the contract, which costs what the direct payment saves, so those stay."""
    if len(fills) > _MAX_PAYEE:
        return {}
    payers: dict[tuple[str, int], list[int]] = {}
    for i, f in enumerate(fills):
        if not f.order.sell_from_internal and _fee(f) == 0:
            payers.setdefault((f.order.sell_token, f.executed_sell), []).append(i)
    for queue in payers.values():
        queue.reverse()  # pop() takes the earliest payer first
    payees: dict[int, int] = {}
    for j, f in enumerate(fills):
        o = f.order
        if o.buy_to_internal:
            continue
        bought = bought_amount(
            f.executed_sell, prices[index[o.sell_token]], prices[index[o.buy_token]]
        )
        queue = payers.get((o.buy_token, bought), [])
        receiver = o.effective_receiver.lower()
        for k in range(len(queue) - 1, -1, -1):
            i = queue[k]
            if i != j and fills[i].order.owner.lower() != receiver:
                payees[queue.pop(k)] = j + 1
                break
    return payees
