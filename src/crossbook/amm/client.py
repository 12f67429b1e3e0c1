"""A small client for the AMM: create pools, add/remove liquidity, swap and quote through
the AMM router (`Router.sol`; the hybrid router is `crossbook.hybrid`).

Reads addresses from the deployment manifest (``Factory``, ``Router``, ``tokens``). The
sender is an address the node signs for (an unlocked devnet account) or a local signer
(`crossbook.chain.Sender`). Every quote uses `crossbook.amm.math`, the contract's math in
Python; every transaction goes through `crossbook.chain.send_transaction`, so a revert
surfaces as `TransactionFailed` naming the contract error, and nothing is broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from crossbook.amm import math
from crossbook.amm.errors import PoolExists, PoolNotFound
from crossbook.chain import (
    MAX_UINT,
    InvalidAmount,
    Sender,
    Token,
    Tokens,
    contract_at,
    send_transaction,
    sender_address,
)
from crossbook.manifest import Manifest

DEFAULT_FEE = 30
LP_DECIMALS = 18


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
        self.factory = contract_at(w3, "Factory", manifest.address("Factory"))
        self.router = contract_at(w3, "Router", manifest.address("Router"))
        self._tokens = Tokens(w3, manifest)

    # -- lookups ------------------------------------------------------------------------------
    def _contract(self, name: str, address: str) -> Contract:
        return contract_at(self.w3, name, address)

    def token(self, ref: str) -> Token:
        """A token by manifest symbol (case-insensitive) or 0x address."""
        return self._tokens(ref)

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
    def _send(self, fn: ContractFunction, sender: Sender, what: str) -> Any:
        """Simulate (a revert names its error; nothing is broadcast), send; the call's result."""
        return send_transaction(self.w3, fn, sender, what).result

    def _approve(self, token: Token | str, sender: Sender, spender: str, amount: int) -> None:
        address = token.address if isinstance(token, Token) else token
        erc20 = self._contract("MockERC20", address)
        owner = sender_address(sender)
        if int(erc20.functions.allowance(owner, spender).call()) < amount:
            self._send(erc20.functions.approve(spender, MAX_UINT), sender, "approve")

    def _deadline(self, seconds: int) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"]) + seconds

    def create_pool(self, a: Token, b: Token, fee: int, sender: Sender) -> str:
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
        sender: Sender,
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
            Web3.to_checksum_address(to or sender_address(sender)),
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
        sender: Sender,
        slippage_bps: int = 50,
        deadline_seconds: int = 600,
        to: str | None = None,
    ) -> dict[str, int]:
        state = self.pool(a, b, fee)
        owner = sender_address(sender)
        owned = self.lp_balance(state, owner)
        if liquidity > owned:
            raise InvalidAmount(f"{owner} holds {owned} LP shares of the pool, not {liquidity}")
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
            Web3.to_checksum_address(to or sender_address(sender)),
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
        sender: Sender,
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
            Web3.to_checksum_address(to or sender_address(sender)),
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
        sender: Sender,
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
            Web3.to_checksum_address(to or sender_address(sender)),
            self._deadline(deadline_seconds),
        )
        fn = self.router.functions.swapExactOutSingle(params)
        amount_in = int(self._send(fn, sender, "swapExactOutSingle"))
        return {"amount_in": amount_in, "amount_out": amount_out, "quoted_in": quoted}


def _min_after_slippage(amount: int, slippage_bps: int) -> int:
    return amount - amount * slippage_bps // 10_000
