"""Constant-product pool math, equal to `contracts/libraries/PoolMath.sol` to the wei.

Every function raises where the contract reverts: the same named errors, and
`ArithmeticOverflow` where Solidity's checked arithmetic would panic (a value leaving uint256).
Fees are in basis points of the input (``FEE_DENOMINATOR = 10_000``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import isqrt

from crossbook.amm.errors import (
    AmountOutExceedsReserve,
    ArithmeticOverflow,
    InvalidPath,
    ZeroQuoteAmount,
    ZeroReserves,
)

FEE_DENOMINATOR = 10_000
MINIMUM_LIQUIDITY = 1000
UINT256_MAX = 2**256 - 1
UINT112_MAX = 2**112 - 1


def _u256(value: int) -> int:
    """Solidity's checked arithmetic: a result outside uint256 panics."""
    if value < 0 or value > UINT256_MAX:
        raise ArithmeticOverflow(f"intermediate value {value} is outside uint256")
    return value


def _check_reserves(reserve_in: int, reserve_out: int) -> None:
    if reserve_in == 0 or reserve_out == 0:
        raise ZeroReserves("the pool has a zero reserve; add liquidity first")


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee: int) -> int:
    """Output for exactly `amount_in`, rounded down."""
    if amount_in == 0:
        raise ZeroQuoteAmount("amount in is zero")
    _check_reserves(reserve_in, reserve_out)
    with_fee = _u256(amount_in * _u256(FEE_DENOMINATOR - fee))
    numerator = _u256(with_fee * reserve_out)
    denominator = _u256(_u256(reserve_in * FEE_DENOMINATOR) + with_fee)
    return numerator // denominator


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee: int) -> int:
    """Least input the pool's k check accepts for exactly `amount_out`, rounded up."""
    if amount_out == 0:
        raise ZeroQuoteAmount("amount out is zero")
    _check_reserves(reserve_in, reserve_out)
    if amount_out >= reserve_out:
        raise AmountOutExceedsReserve(
            f"amount out {amount_out} is not below the pool's reserve {reserve_out}"
        )
    numerator = _u256(_u256(reserve_in * amount_out) * FEE_DENOMINATOR)
    denominator = _u256((reserve_out - amount_out) * _u256(FEE_DENOMINATOR - fee))
    if denominator == 0:
        raise ArithmeticOverflow("division by zero (a 100% fee)")
    return -(-numerator // denominator)


def quote(amount_a: int, reserve_a: int, reserve_b: int) -> int:
    """`amount_a` of token A in token B at the reserves' ratio, rounded down."""
    if amount_a == 0:
        raise ZeroQuoteAmount("amount is zero")
    _check_reserves(reserve_a, reserve_b)
    return _u256(amount_a * reserve_b) // reserve_a


def liquidity_for_amounts(
    amount0: int, amount1: int, reserve0: int, reserve1: int, supply: int
) -> int:
    """LP shares a deposit mints (0: the pool would revert `InsufficientLiquidityMinted`)."""
    if supply == 0:
        root = isqrt(_u256(amount0 * amount1))
        return root - MINIMUM_LIQUIDITY if root > MINIMUM_LIQUIDITY else 0
    return min(_u256(amount0 * supply) // reserve0, _u256(amount1 * supply) // reserve1)


def amounts_for_burn(liquidity: int, balance0: int, balance1: int, supply: int) -> tuple[int, int]:
    """Tokens paid for burning `liquidity` shares, rounded down."""
    return _u256(liquidity * balance0) // supply, _u256(liquidity * balance1) // supply


def protocol_fee_liquidity(k: int, k_last: int, supply: int) -> int:
    """Protocol-fee shares: 1/6 of the growth of sqrt(k) since `k_last`."""
    root_k, root_k_last = isqrt(k), isqrt(k_last)
    if root_k <= root_k_last:
        return 0
    return (supply * (root_k - root_k_last)) // (5 * root_k + root_k_last)


@dataclass(frozen=True)
class Deposit:
    amount_a: int
    amount_b: int


def optimal_deposit(desired_a: int, desired_b: int, reserve_a: int, reserve_b: int) -> Deposit:
    """What `Router.addLiquidity` deposits: the desired amount of one side, the matching other."""
    if reserve_a == 0 and reserve_b == 0:
        return Deposit(desired_a, desired_b)
    optimal_b = quote(desired_a, reserve_a, reserve_b)
    if optimal_b <= desired_b:
        return Deposit(desired_a, optimal_b)
    return Deposit(quote(desired_b, reserve_b, reserve_a), desired_b)


@dataclass(frozen=True)
class Hop:
    """One pool along a path: its reserves oriented input -> output, and its fee tier."""

    reserve_in: int
    reserve_out: int
    fee: int


def get_amounts_out(amount_in: int, hops: Sequence[Hop]) -> list[int]:
    """`Router.getAmountsOut`: the amount after each hop, starting with `amount_in`."""
    amounts = [amount_in]
    for hop in hops:
        amounts.append(get_amount_out(amounts[-1], hop.reserve_in, hop.reserve_out, hop.fee))
    return amounts


def get_amounts_in(amount_out: int, hops: Sequence[Hop]) -> list[int]:
    """`Router.getAmountsIn`: the input needed before each hop, ending with `amount_out`."""
    amounts = [amount_out]
    for hop in reversed(hops):
        amounts.insert(0, get_amount_in(amounts[0], hop.reserve_in, hop.reserve_out, hop.fee))
    return amounts


def encode_path(tokens: Sequence[str], fees: Sequence[int]) -> bytes:
    """The router's packed path: token (20 bytes) ++ fee (uint16) ++ token ..."""
    if len(tokens) < 2 or len(fees) != len(tokens) - 1:
        raise InvalidPath(
            f"a path needs n >= 2 tokens and n - 1 fees, got {len(tokens)}/{len(fees)}"
        )
    out = b""
    for i, token in enumerate(tokens):
        raw = bytes.fromhex(token.removeprefix("0x"))
        if len(raw) != 20:
            raise InvalidPath(f"{token!r} is not a 20-byte address")
        out += raw
        if i < len(fees):
            if not 0 <= fees[i] < 2**16:
                raise InvalidPath(f"fee {fees[i]} does not fit uint16")
            out += fees[i].to_bytes(2, "big")
    return out
