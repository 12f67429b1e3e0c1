"""SDK of the hybrid router: read both venues, quote the split in Python, swap.

A quote reads the pool's reserves, the book's best levels (``depth``) and its taker fee, and
runs `crossbook.hybrid.split` on them: the same split the contract will make against the same
state, to the wei. A swap sends ``maxLevels`` = the levels the quote takes (the contract then
reads no more levels than it needs; the result is the same) and a slippage limit derived from
the quote. Transactions go through `crossbook.chain.send_transaction`, so a revert surfaces as
`TransactionFailed` naming the contract error, and nothing is broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD

from crossbook.book.client import BookClient
from crossbook.book.market import MarketSpec, Side
from crossbook.chain import MAX_UINT, Sender, contract_at, send_transaction, sender_address
from crossbook.hybrid.errors import HybridRouterError
from crossbook.hybrid.split import (
    MAX_LEVELS,
    BookSnapshot,
    DepthEntry,
    PoolSnapshot,
    Split,
    quote_exact_in,
    quote_exact_out,
)
from crossbook.manifest import Manifest

BPS = 10_000
ROUTER_KEY = "HybridRouter"


@dataclass(frozen=True)
class SwapResult:
    split: Split  # what happened (from the HybridSwap event)
    quoted: Split  # what the quote expected
    limit: int  # the slippage limit sent: minimum out or maximum in
    tx_hash: str
    gas_used: int


class HybridClient:
    """The hybrid router of a deployment and one book market with its pool of fee ``pool_fee``."""

    def __init__(self, w3: Web3, router_address: str, book: BookClient, pool_fee: int) -> None:
        self.w3 = w3
        self.book = book
        self.pool_fee = pool_fee
        self.router: Contract = contract_at(w3, "HybridRouter", router_address)
        factory = contract_at(w3, "Factory", self.router.functions.factory().call())
        spec = book.spec
        pool = str(factory.functions.getPool(spec.base, spec.quote, pool_fee).call())
        if int(pool, 16) == 0:
            raise HybridRouterError(
                f"no {spec.symbol} pool at fee tier {pool_fee} bps; create it with "
                "`crossbook pool create` or pass another --fee"
            )
        self.pool: Contract = contract_at(w3, "Pool", pool)
        self._taker_fee_ppm = int(book.contract.functions.takerFeePpm().call())

    @classmethod
    def from_manifest(
        cls, w3: Web3, manifest: Manifest, market: str, pool_fee: int
    ) -> HybridClient:
        if ROUTER_KEY not in manifest.contracts:
            raise HybridRouterError(
                f"no HybridRouter in the manifest of chain {manifest.chain_id}; "
                "redeploy the devnet (`crossbook devnet up`)"
            )
        book = BookClient.from_manifest(w3, manifest, market)
        return cls(w3, manifest.address(ROUTER_KEY), book, pool_fee)

    @property
    def spec(self) -> MarketSpec:
        return self.book.spec

    def _market(self) -> tuple[str, str, int, int, int]:
        s = self.spec
        return (s.base, s.quote, s.tick_size, s.lot_size, s.min_lots)

    # -- reading ------------------------------------------------------------------------------
    def snapshot(self, buy_base: bool, max_levels: int) -> tuple[PoolSnapshot, BookSnapshot | None]:
        """Both venues as the router sees them: reserves in -> out, the maker side's levels."""
        r0, r1, _ = self.pool.functions.getReserves().call()
        token_in = self.spec.quote if buy_base else self.spec.base
        token_out = self.spec.base if buy_base else self.spec.quote
        in_is_0 = int(token_in, 16) < int(token_out, 16)
        pool = PoolSnapshot(int(r0 if in_is_0 else r1), int(r1 if in_is_0 else r0), self.pool_fee)
        if max_levels == 0:
            return pool, None
        maker_side = Side.ASK if buy_base else Side.BID
        levels = [
            DepthEntry(int(tick), int(lots), int(price))
            for tick, lots, price in self.book.contract.functions.depth(
                int(maker_side), max_levels
            ).call()
        ]
        return pool, BookSnapshot(levels, self.spec.lot_size, self._taker_fee_ppm)

    def quote(
        self, buy_base: bool, amount: int, exact_out: bool = False, max_levels: int = MAX_LEVELS
    ) -> Split:
        pool, book = self.snapshot(buy_base, max_levels)
        if exact_out:
            return quote_exact_out(amount, buy_base, pool, book)
        return quote_exact_in(amount, buy_base, pool, book)

    # -- swapping -----------------------------------------------------------------------------
    def swap(
        self,
        sender: Sender,
        buy_base: bool,
        amount: int,
        *,
        exact_out: bool = False,
        slippage_bps: int = 50,
        max_levels: int = MAX_LEVELS,
        to: str | None = None,
        deadline_seconds: int = 600,
        deadline: int | None = None,
    ) -> SwapResult:
        """Quote, approve the input (unlimited, once), send with a limit ``slippage_bps`` off,
        valid until ``deadline`` (unix seconds; default: latest block + ``deadline_seconds``)."""
        if not 0 <= slippage_bps < BPS:
            raise HybridRouterError(f"slippage {slippage_bps} bps is outside 0..9999")
        quoted = self.quote(buy_base, amount, exact_out, max_levels)
        levels = quoted.levels
        token_in = self.spec.quote if buy_base else self.spec.base
        if deadline is None:
            deadline = int(self.w3.eth.get_block("latest")["timestamp"]) + deadline_seconds
        recipient = Web3.to_checksum_address(to or sender_address(sender))
        if exact_out:
            limit = quoted.amount_in * (BPS + slippage_bps) // BPS
            params = (self._market(), self.pool_fee, buy_base, amount, limit, levels, recipient)
            fn = self.router.functions.swapExactOut((*params, deadline))
        else:
            limit = quoted.amount_out * (BPS - slippage_bps) // BPS
            params = (self._market(), self.pool_fee, buy_base, amount, limit, levels, recipient)
            fn = self.router.functions.swapExactIn((*params, deadline))
        self._approve(token_in, sender, quoted.amount_in)
        receipt = self._send(fn, sender)
        events = self.router.events.HybridSwap().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise HybridRouterError(f"no HybridSwap event in tx {receipt['transactionHash'].hex()}")
        a = events[0]["args"]
        split = Split(
            book_lots=int(a["bookLots"]),
            limit_tick=quoted.limit_tick if int(a["bookLots"]) else 0,
            levels=quoted.levels if int(a["bookLots"]) else 0,
            book_in=int(a["bookIn"]),
            book_out=int(a["bookOut"]),
            pool_in=int(a["poolIn"]),
            pool_out=int(a["poolOut"]),
        )
        return SwapResult(
            split,
            quoted,
            limit,
            "0x" + bytes(receipt["transactionHash"]).hex(),
            int(receipt["gasUsed"]),
        )

    # -- plumbing -----------------------------------------------------------------------------
    def _approve(self, token: str, sender: Sender, amount: int) -> None:
        erc20 = contract_at(self.w3, "MockERC20", token)
        owner = sender_address(sender)
        if int(erc20.functions.allowance(owner, self.router.address).call()) < amount:
            self._send(erc20.functions.approve(self.router.address, MAX_UINT), sender)

    def _send(self, fn: ContractFunction, sender: Sender) -> dict[str, Any]:
        sent = send_transaction(self.w3, fn, sender, f"hybrid router {fn.fn_name}")
        return sent.receipt
