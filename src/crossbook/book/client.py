"""SDK calls against one deployed book: place, take, cancel, claim, maker balances (deposit,
withdraw, place from / cancel and claim to the balance), and its views."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD

from crossbook.book.errors import BookError, BookNotFound
from crossbook.book.market import (
    MAX_ORDER_LOTS,
    Kind,
    MarketSpec,
    Side,
    check_lots,
    check_tick,
)
from crossbook.book.reader import OrderState, read_order
from crossbook.chain import (
    MAX_UINT,
    Sender,
    TransactionFailed,
    contract_at,
    send_transaction,
    sender_address,
)
from crossbook.manifest import Manifest

DEFAULT_STEPS = 64
#: Attempts of `BookClient.cancel` when its hole hint went stale (see there).
CANCEL_ATTEMPTS = 3


@dataclass(frozen=True)
class PlaceResult:
    order_id: int | None  # None when nothing rests (IOC, FOK, or fully taken)
    taken_lots: int
    tx_hash: str
    gas_used: int


@dataclass(frozen=True)
class MakerBalance:
    """A maker's book balances, in token base units."""

    base: int
    quote: int


@dataclass(frozen=True)
class TakeResult:
    lots: int
    paid: int
    received: int
    fee: int
    tx_hash: str
    gas_used: int


def book_key(symbol: str) -> str:
    """The manifest entry of a market's book, e.g. ``book:WETH/USDC``."""
    return f"book:{symbol}"


class BookClient:
    """One book. ``sender`` is an unlocked node account (devnet) or a local signer
    (`crossbook.chain.Sender`); a revert raises `TransactionFailed` naming the book's error."""

    def __init__(self, w3: Web3, address: str, spec: MarketSpec) -> None:
        self.w3 = w3
        self.spec = spec
        self.contract: Contract = contract_at(w3, "OrderBook", address)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def at(cls, w3: Web3, address: str, symbol: str = "") -> BookClient:
        """Reads the grid and the token decimals from the chain."""
        book = contract_at(w3, "OrderBook", address)
        if not w3.eth.get_code(book.address):
            raise BookNotFound(f"no contract at {address}; is the book deployed on this chain?")
        base = str(book.functions.base().call())
        quote = str(book.functions.quote().call())
        decimals = [
            int(contract_at(w3, "MockERC20", t).functions.decimals().call()) for t in (base, quote)
        ]
        spec = MarketSpec(
            symbol=symbol or f"{base}/{quote}",
            base=base,
            quote=quote,
            base_decimals=decimals[0],
            quote_decimals=decimals[1],
            tick_size=int(book.functions.tickSize().call()),
            lot_size=int(book.functions.lotSize().call()),
            min_lots=int(book.functions.minLots().call()),
        )
        return cls(w3, address, spec)

    @classmethod
    def from_manifest(cls, w3: Web3, manifest: Manifest, symbol: str) -> BookClient:
        """The book of ``symbol`` (e.g. ``WETH/USDC``) recorded in the deployment manifest."""
        entry = manifest.contracts.get(book_key(symbol))
        if entry is None:
            known = sorted(
                k.removeprefix("book:") for k in manifest.contracts if k.startswith("book:")
            )
            raise BookNotFound(
                f"no book for {symbol!r} on chain {manifest.chain_id} "
                f"(books: {', '.join(known) or 'none'})"
            )
        return cls.at(w3, entry.address, symbol)

    # -- transactions ----------------------------------------------------------------------
    def approve(self, sender: Sender, amount: int = MAX_UINT) -> None:
        """Lets the book pull both tokens from ``sender``."""
        for token in (self.spec.base, self.spec.quote):
            erc20 = contract_at(self.w3, "MockERC20", token)
            self._send(erc20.functions.approve(self.contract.address, amount), sender)

    def ensure_allowance(self, sender: Sender, token: str, amount: int) -> None:
        """Approves the book for exactly ``amount`` of ``token`` if its allowance is lower."""
        erc20 = contract_at(self.w3, "MockERC20", self.token_address(token))
        owner = sender_address(sender)
        if int(erc20.functions.allowance(owner, self.contract.address).call()) < amount:
            self._send(erc20.functions.approve(self.contract.address, amount), sender)

    def place(
        self,
        sender: Sender,
        side: Side,
        tick: int,
        lots: int,
        kind: Kind = Kind.GTC,
        expiry: int = 0,
        max_steps: int = DEFAULT_STEPS,
        from_balance: bool = False,
    ) -> PlaceResult:
        """Places an order. ``from_balance``: fund it from the sender's book balance (see
        ``deposit``) and credit what its crossing part buys there: no token transfer."""
        check_tick(tick)
        check_lots(lots, resting=kind in (Kind.GTC, Kind.POST_ONLY), min_lots=self.spec.min_lots)
        functions = self.contract.functions
        entry = functions.placeFromBalance if from_balance else functions.place
        fn = entry(int(side), tick, lots, int(kind), expiry, max_steps)
        receipt = self._send(fn, sender)
        placed = self.contract.events.OrderPlaced().process_receipt(receipt, errors=DISCARD)
        takes = self.contract.events.Take().process_receipt(receipt, errors=DISCARD)
        return PlaceResult(
            order_id=int(placed[0]["args"]["id"]) if placed else None,
            taken_lots=sum(int(t["args"]["lots"]) for t in takes),
            tx_hash=receipt["transactionHash"].hex(),
            gas_used=int(receipt["gasUsed"]),
        )

    def take(
        self,
        sender: Sender,
        side: Side,
        limit_tick: int,
        max_lots: int,
        min_lots: int = 0,
        max_steps: int = DEFAULT_STEPS,
        deadline: int | None = None,
    ) -> TakeResult:
        """Market order: ``side`` BID buys base, ASK sells base, no worse than ``limit_tick``."""
        check_tick(limit_tick)
        if max_lots < 1 or not 0 <= min_lots <= max_lots:
            raise BookError(
                f"need 1 <= max_lots and 0 <= min_lots <= max_lots ({min_lots}, {max_lots})"
            )
        if deadline is None:
            deadline = int(time.time()) + 600
        fn = self.contract.functions.take(
            int(side), limit_tick, max_lots, min_lots, max_steps, deadline
        )
        receipt = self._send(fn, sender)
        swaps = self.contract.events.Swap().process_receipt(receipt, errors=DISCARD)
        args = swaps[0]["args"] if swaps else {"lots": 0, "paid": 0, "received": 0, "fee": 0}
        return TakeResult(
            lots=int(args["lots"]),
            paid=int(args["paid"]),
            received=int(args["received"]),
            fee=int(args["fee"]),
            tx_hash=receipt["transactionHash"].hex(),
            gas_used=int(receipt["gasUsed"]),
        )

    def cancel(
        self,
        sender: Sender,
        order_id: int,
        max_lots: int = MAX_ORDER_LOTS,
        hint: int | None = None,
        to_balance: bool = False,
    ) -> int:
        """Cancels up to ``max_lots`` unfilled lots; returns the lots cancelled. ``to_balance``
        (the owner only): the refund is credited to the owner's book balance.

        ``hint`` (default: read from the book) is the nearest hole before the order. Anyone
        who cancels many orders between that hole and this one (``HoleHintTooFar``), or just
        before this cancel is mined (it reverts on chain), makes the hint stale: the cancel is
        then retried with a fresh hint, up to ``CANCEL_ATTEMPTS`` times."""
        functions = self.contract.functions
        entry = functions.cancelToBalance if to_balance else functions.cancel
        attempt = 1
        while True:
            if hint is None:
                hint = self.hole_hint(order_id)
            try:
                receipt = self._send(entry(order_id, max_lots, hint), sender)
                break
            except TransactionFailed as exc:
                # Simulated first, so an untyped failure reverted on chain: a race, which the
                # next attempt's simulation either survives or reports with its typed error.
                raced = exc.name is None and exc.tx_hash is not None
                if not (exc.name == "HoleHintTooFar" or raced) or attempt == CANCEL_ATTEMPTS:
                    raise
                attempt += 1
                hint = None
        events = self.contract.events.OrderCancelled().process_receipt(receipt, errors=DISCARD)
        return sum(int(e["args"]["lots"]) for e in events)

    def hole_hint(self, order_id: int) -> int:
        """The book's hint for cancelling ``order_id``: the nearest hole before it."""
        return int(self.contract.functions.holeHint(order_id).call())

    def claim(self, sender: Sender, order_ids: list[int], to_balance: bool = False) -> int:
        """Pays the filled lots of ``order_ids`` to their owners; returns the lots claimed.
        ``to_balance``: the sender's own orders only, proceeds credited to its book balance."""
        functions = self.contract.functions
        entry = functions.claimToBalance if to_balance else functions.claim
        receipt = self._send(entry(order_ids), sender)
        events = self.contract.events.OrderClaimed().process_receipt(receipt, errors=DISCARD)
        return sum(int(e["args"]["lots"]) for e in events)

    # -- maker balances --------------------------------------------------------------------
    def token_address(self, token: str) -> str:
        """``base``/``quote``, the token's symbol in the market (``WETH`` of ``WETH/USDC``) or
        its address; the checksummed address of the book's token."""
        symbols = self.spec.symbol.split("/")
        named = {"base": self.spec.base, "quote": self.spec.quote}
        if len(symbols) == 2:
            named[symbols[0].lower()] = self.spec.base
            named[symbols[1].lower()] = self.spec.quote
        address = named.get(token.lower(), token)
        if Web3.is_address(address):
            checked = Web3.to_checksum_address(address)
            if checked in (
                Web3.to_checksum_address(self.spec.base),
                Web3.to_checksum_address(self.spec.quote),
            ):
                return str(checked)
        raise BookError(
            f"{token!r} is not a token of the {self.spec.symbol} book: use base, quote, "
            f"{' or '.join(symbols)}, or one of their addresses"
        )

    def deposit(self, sender: Sender, token: str, amount: int) -> int:
        """Moves ``amount`` base units of ``token`` from the sender's wallet into its book
        balance (approve the book first); returns the new balance."""
        if amount < 1:
            raise BookError(f"deposit amount must be positive, got {amount}")
        address = self.token_address(token)
        receipt = self._send(self.contract.functions.deposit(address, amount), sender)
        events = self.contract.events.Deposited().process_receipt(receipt, errors=DISCARD)
        return int(events[-1]["args"]["balance"])

    def withdraw(self, sender: Sender, token: str, amount: int, to: str | None = None) -> int:
        """Sends ``amount`` base units of ``token`` from the sender's book balance to ``to``
        (default: the sender); returns the balance left."""
        if amount < 1:
            raise BookError(f"withdrawal amount must be positive, got {amount}")
        address = self.token_address(token)
        recipient = Web3.to_checksum_address(to) if to else sender_address(sender)
        fn = self.contract.functions.withdraw(address, amount, recipient)
        receipt = self._send(fn, sender)
        events = self.contract.events.Withdrawn().process_receipt(receipt, errors=DISCARD)
        return int(events[-1]["args"]["balance"])

    def balance(self, owner: str) -> MakerBalance:
        """``owner``'s book balances of the base and quote token."""
        owner = Web3.to_checksum_address(owner)
        functions = self.contract.functions
        return MakerBalance(
            base=int(functions.balanceOf(owner, self.spec.base).call()),
            quote=int(functions.balanceOf(owner, self.spec.quote).call()),
        )

    # -- views -----------------------------------------------------------------------------
    def order(self, order_id: int) -> OrderState:
        return read_order(self.contract, order_id)

    def best_bid(self) -> int | None:
        tick, found = self.contract.functions.bestBid().call()
        return int(tick) if found else None

    def best_ask(self) -> int | None:
        tick, found = self.contract.functions.bestAsk().call()
        return int(tick) if found else None

    # -- plumbing --------------------------------------------------------------------------
    def _send(self, fn: ContractFunction, sender: Sender) -> dict[str, Any]:
        return send_transaction(self.w3, fn, sender, f"order book {fn.fn_name}").receipt
