"""A small client for the AMM: create pools, add/remove liquidity, swap and quote.

Reads addresses from the deployment manifest (``Factory``, ``Router``, ``tokens``) and ABIs
from the compiled artifacts. Transactions are sent ``{"from": sender}``: the sender must be an
account the node can sign for (Anvil dev accounts) or one whose key was added with
``web3.middleware.SignAndSendRawMiddlewareBuilder``. Every quote uses `crossbook.amm.math`, the
contract's math in Python; every transaction is simulated first, so a revert surfaces as
`TransactionFailed` naming the contract error, and nothing is broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from crossbook.amm import math
from crossbook.amm.errors import (
    InvalidAmount,
    PoolExists,
    PoolNotFound,
    TransactionFailed,
    UnknownToken,
)
from crossbook.artifacts import load_artifact
from crossbook.hashing import keccak
from crossbook.manifest import Manifest

MAX_UINT = 2**256 - 1
DEFAULT_FEE = 30
LP_DECIMALS = 18


@dataclass(frozen=True)
class Token:
    address: str
    symbol: str
    decimals: int

    def to_units(self, amount: str | Decimal) -> int:
        """'1.5' -> 1.5 * 10**decimals base units; rejects more decimals than the token has."""
        return to_base_units(amount, self.decimals, self.symbol)

    def from_units(self, amount: int) -> Decimal:
        return Decimal(amount).scaleb(-self.decimals)


def to_base_units(amount: str | Decimal, decimals: int, what: str) -> int:
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError):
        raise InvalidAmount(f"{amount!r} is not a number (amount of {what})") from None
    if not value.is_finite() or value <= 0:
        raise InvalidAmount(f"the amount of {what} must be positive, got {amount}")
    units = value.scaleb(decimals)
    if units != units.to_integral_value():
        raise InvalidAmount(f"{amount} has more than {decimals} decimals ({what})")
    return int(units)


@dataclass(frozen=True)
class PoolState:
    address: str
    token0: Token
    token1: Token
    fee: int
    reserve0: int
    reserve1: int
    total_supply: int

    def reserves_for(self, token_in: Token) -> tuple[int, int]:
        """Reserves oriented `token_in` -> the other token."""
        if token_in.address.lower() == self.token0.address.lower():
            return self.reserve0, self.reserve1
        return self.reserve1, self.reserve0

    def as_dict(self) -> dict[str, Any]:
        return {
            "pool": self.address,
            "fee_bps": self.fee,
            "token0": self.token0.symbol,
            "token1": self.token1.symbol,
            "reserve0": str(self.token0.from_units(self.reserve0)),
            "reserve1": str(self.token1.from_units(self.reserve1)),
            "total_supply": str(Decimal(self.total_supply).scaleb(-LP_DECIMALS)),
        }


class AmmClient:
    """The factory, router and pools of one deployment."""

    def __init__(self, w3: Web3, manifest: Manifest) -> None:
        self.w3 = w3
        self.manifest = manifest
        self.factory = self._contract("Factory", manifest.address("Factory"))
        self.router = self._contract("Router", manifest.address("Router"))
        self._errors = _error_selectors(["Factory", "Router", "Pool", "MockERC20"])

    # -- lookups ------------------------------------------------------------------------------
    def _contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=load_artifact(name).abi
        )

    def token(self, ref: str) -> Token:
        """A token by manifest symbol (case-insensitive) or 0x address."""
        for symbol, info in self.manifest.tokens.items():
            if symbol.lower() == ref.lower() or info.address.lower() == ref.lower():
                return Token(Web3.to_checksum_address(info.address), symbol, info.decimals)
        if Web3.is_address(ref):
            erc20 = self._contract("MockERC20", ref)
            try:
                symbol = str(erc20.functions.symbol().call())
                decimals = int(erc20.functions.decimals().call())
            except Exception:
                raise UnknownToken(
                    f"{ref} does not answer symbol()/decimals() like an ERC-20"
                ) from None
            return Token(Web3.to_checksum_address(ref), symbol, decimals)
        known = ", ".join(sorted(self.manifest.tokens)) or "none"
        raise UnknownToken(f"unknown token {ref!r}: use a 0x address or one of {known}")

    def pool_address(self, a: Token, b: Token, fee: int) -> str:
        return str(self.factory.functions.poolAddress(a.address, b.address, fee).call())

    def pool(self, a: Token, b: Token, fee: int = DEFAULT_FEE) -> PoolState:
        address = str(self.factory.functions.getPool(a.address, b.address, fee).call())
        if int(address, 16) == 0:
            raise PoolNotFound(
                f"no {a.symbol}/{b.symbol} pool at fee tier {fee} bps; "
                f"create it: crossbook pool create {a.symbol} {b.symbol} --fee {fee}"
            )
        pool = self._contract("Pool", address)
        r0, r1, _ = pool.functions.getReserves().call()
        token0, token1 = (a, b) if int(a.address, 16) < int(b.address, 16) else (b, a)
        return PoolState(
            address=address,
            token0=token0,
            token1=token1,
            fee=fee,
            reserve0=int(r0),
            reserve1=int(r1),
            total_supply=int(pool.functions.totalSupply().call()),
        )

    def lp_balance(self, state: PoolState, owner: str) -> int:
        return int(self._contract("Pool", state.address).functions.balanceOf(owner).call())

    # -- quotes (pure Python on the pool's reserves) --------------------------------------------
    def quote_exact_in(self, token_in: Token, token_out: Token, fee: int, amount_in: int) -> int:
        reserve_in, reserve_out = self.pool(token_in, token_out, fee).reserves_for(token_in)
        return math.get_amount_out(amount_in, reserve_in, reserve_out, fee)

    def quote_exact_out(self, token_in: Token, token_out: Token, fee: int, amount_out: int) -> int:
        reserve_in, reserve_out = self.pool(token_in, token_out, fee).reserves_for(token_in)
        return math.get_amount_in(amount_out, reserve_in, reserve_out, fee)

    # -- transactions -------------------------------------------------------------------------
    def _send(self, fn: Any, sender: str, what: str) -> Any:
        """Simulate (a revert names its error; nothing is broadcast), send; the call's result."""
        tx = {"from": Web3.to_checksum_address(sender)}
        try:
            result = fn.call(tx)
            tx_hash = fn.transact(tx)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise TransactionFailed(f"{what} would revert: {self._decode(exc)}") from None
        receipt = dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120))
        if receipt["status"] != 1:
            raise TransactionFailed(f"{what} reverted (tx 0x{bytes(tx_hash).hex()})")
        return result

    def _decode(self, exc: Exception) -> str:
        data = getattr(exc, "data", None)
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            name = self._errors.get(data[2:10].lower())
            if name:
                return f"{name} (0x{data[2:]})"
        return str(exc)

    def _approve(self, token: Token | str, owner: str, spender: str, amount: int) -> None:
        address = token.address if isinstance(token, Token) else token
        erc20 = self._contract("MockERC20", address)
        if int(erc20.functions.allowance(owner, spender).call()) < amount:
            self._send(erc20.functions.approve(spender, MAX_UINT), owner, "approve")

    def _deadline(self, seconds: int) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"]) + seconds

    def create_pool(self, a: Token, b: Token, fee: int, sender: str) -> str:
        existing = str(self.factory.functions.getPool(a.address, b.address, fee).call())
        if int(existing, 16) != 0:
            raise PoolExists(f"the {a.symbol}/{b.symbol} pool at {fee} bps exists: {existing}")
        self._send(
            self.factory.functions.createPool(a.address, b.address, fee), sender, "createPool"
        )
        return self.pool_address(a, b, fee)

    def add_liquidity(
        self,
        a: Token,
        b: Token,
        fee: int,
        amount_a: int,
        amount_b: int,
        sender: str,
        slippage_bps: int = 50,
        deadline_seconds: int = 600,
        to: str | None = None,
    ) -> dict[str, int]:
        state = self.pool(a, b, fee)
        reserve_a, reserve_b = state.reserves_for(a)
        deposit = math.optimal_deposit(amount_a, amount_b, reserve_a, reserve_b)
        self._approve(a, sender, self.router.address, deposit.amount_a)
        self._approve(b, sender, self.router.address, deposit.amount_b)
        params = (
            a.address,
            b.address,
            fee,
            amount_a,
            amount_b,
            _min_after_slippage(deposit.amount_a, slippage_bps),
            _min_after_slippage(deposit.amount_b, slippage_bps),
            Web3.to_checksum_address(to or sender),
            self._deadline(deadline_seconds),
        )
        fn = self.router.functions.addLiquidity(params)
        amount_a_sent, amount_b_sent, liquidity = self._send(fn, sender, "addLiquidity")
        return {"amount_a": amount_a_sent, "amount_b": amount_b_sent, "liquidity": liquidity}

    def remove_liquidity(
        self,
        a: Token,
        b: Token,
        fee: int,
        liquidity: int,
        sender: str,
        slippage_bps: int = 50,
        deadline_seconds: int = 600,
        to: str | None = None,
    ) -> dict[str, int]:
        state = self.pool(a, b, fee)
        owned = self.lp_balance(state, sender)
        if liquidity > owned:
            raise InvalidAmount(f"{sender} holds {owned} LP shares of the pool, not {liquidity}")
        pool = self._contract("Pool", state.address)
        bal0 = int(
            self._contract("MockERC20", state.token0.address)
            .functions.balanceOf(state.address)
            .call()
        )
        bal1 = int(
            self._contract("MockERC20", state.token1.address)
            .functions.balanceOf(state.address)
            .call()
        )
        out0, out1 = math.amounts_for_burn(liquidity, bal0, bal1, state.total_supply)
        out_a, out_b = (out0, out1) if a.address == state.token0.address else (out1, out0)
        self._approve(pool.address, sender, self.router.address, liquidity)
        params = (
            a.address,
            b.address,
            fee,
            liquidity,
            _min_after_slippage(out_a, slippage_bps),
            _min_after_slippage(out_b, slippage_bps),
            Web3.to_checksum_address(to or sender),
            self._deadline(deadline_seconds),
        )
        fn = self.router.functions.removeLiquidity(params)
        amount_a, amount_b = self._send(fn, sender, "removeLiquidity")
        return {"amount_a": amount_a, "amount_b": amount_b, "liquidity": liquidity}

    def swap_exact_in(
        self,
        token_in: Token,
        token_out: Token,
        fee: int,
        amount_in: int,
        sender: str,
        slippage_bps: int = 50,
        deadline_seconds: int = 600,
        to: str | None = None,
    ) -> dict[str, int]:
        quoted = self.quote_exact_in(token_in, token_out, fee, amount_in)
        self._approve(token_in, sender, self.router.address, amount_in)
        params = (
            token_in.address,
            token_out.address,
            fee,
            amount_in,
            _min_after_slippage(quoted, slippage_bps),
            Web3.to_checksum_address(to or sender),
            self._deadline(deadline_seconds),
        )
        fn = self.router.functions.swapExactInSingle(params)
        amount_out = int(self._send(fn, sender, "swapExactInSingle"))
        return {"amount_in": amount_in, "amount_out": amount_out, "quoted_out": quoted}

    def swap_exact_out(
        self,
        token_in: Token,
        token_out: Token,
        fee: int,
        amount_out: int,
        sender: str,
        slippage_bps: int = 50,
        deadline_seconds: int = 600,
        to: str | None = None,
    ) -> dict[str, int]:
        quoted = self.quote_exact_out(token_in, token_out, fee, amount_out)
        max_in = quoted + quoted * slippage_bps // 10_000
        self._approve(token_in, sender, self.router.address, max_in)
        params = (
            token_in.address,
            token_out.address,
            fee,
            amount_out,
            max_in,
            Web3.to_checksum_address(to or sender),
            self._deadline(deadline_seconds),
        )
        fn = self.router.functions.swapExactOutSingle(params)
        amount_in = int(self._send(fn, sender, "swapExactOutSingle"))
        return {"amount_in": amount_in, "amount_out": amount_out, "quoted_in": quoted}


def _min_after_slippage(amount: int, slippage_bps: int) -> int:
    return amount - amount * slippage_bps // 10_000


def _error_selectors(names: list[str]) -> dict[str, str]:
    """4-byte selector (hex) -> error name, from the compiled ABIs."""
    out: dict[str, str] = {}
    for name in names:
        for item in load_artifact(name).abi:
            if item.get("type") == "error":
                types = ",".join(str(arg["type"]) for arg in item.get("inputs", []))
                out[keccak(f"{item['name']}({types})".encode())[:4].hex()] = item["name"]
    return out
