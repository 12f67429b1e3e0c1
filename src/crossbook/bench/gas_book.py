"""Gas scenarios of the on-chain order book (figures in snapshots/gas.json).

Steady state, as in the settlement scenarios: every account already holds both tokens and has
approved the book, the book already holds both tokens and has accrued fees, and the ask side
keeps another level in the same bitmap word (a live book is rarely empty). The WETH/USDC book
of the devnet is used: a lot is 0.001 WETH, tick 20,000 is 2,000 USDC per WETH.

The ``..._from_balance`` / ``..._to_balance`` scenarios are the same operations against the
maker's book balance (``deposit`` once, then no token transfer per order); in their steady state
the maker already holds a balance of both tokens that stays nonzero.
"""

from __future__ import annotations

from web3 import Web3

from crossbook.bench.gas import scenario, token_contract
from crossbook.book.client import BookClient
from crossbook.book.market import Side
from crossbook.chain import MAX_UINT, wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.hashing import keccak

MARKET = "WETH/USDC"
TICK = 20_000
LOTS = 10
STEPS = 64
#: a fixed deadline: one from the clock (now + 600) would change how many calldata bytes are
#: zero, and so the gas, from one run to the next
DEADLINE = 2**32 - 1


def _book(dn: Devnet) -> BookClient:
    return BookClient.from_manifest(dn.w3, dn.manifest, MARKET)


def _fund(dn: Devnet, book: BookClient, account: str, impersonate: bool) -> None:
    """Both tokens minted and approved to the book (impersonating bench-only accounts)."""
    if impersonate:
        dn.node.rpc("anvil_setBalance", [account, hex(10**20)])
        dn.node.rpc("anvil_impersonateAccount", [account])
    for symbol, amount in (("WETH", 1_000 * 10**18), ("USDC", 10_000_000 * 10**6)):
        token = token_contract(dn, symbol)
        # each awaited: Anvil's automine may not have mined a transaction when the hash returns
        wait_for_receipt(
            dn.w3,
            token.functions.mint(account, amount).transact({"from": dn.deployer.address}),
            "minting for a book account",
        )
        wait_for_receipt(
            dn.w3,
            token.functions.approve(book.address, MAX_UINT).transact({"from": account}),
            "funding a book account",
        )


def _warm(dn: Devnet, book: BookClient) -> tuple[str, str]:
    """A maker and a taker with balances and approvals; one warm-up trade (fees accrued, book
    balances nonzero); one resting ask at TICK + 5 keeps the bitmap word nonzero."""
    maker, taker = dn.accounts[1].address, dn.accounts[2].address
    _fund(dn, book, maker, impersonate=False)
    _fund(dn, book, taker, impersonate=False)
    book.place(maker, Side.BID, TICK - 50, LOTS)
    book.place(maker, Side.ASK, TICK + 5, LOTS)
    book.place(maker, Side.ASK, TICK - 1, LOTS)
    book.take(taker, Side.BID, TICK - 1, LOTS, deadline=DEADLINE)
    return maker, taker


def _makers(count: int) -> list[str]:
    return [
        Web3.to_checksum_address(keccak(f"crossbook/bench/book-maker/{i}".encode())[:20])
        for i in range(count)
    ]


@scenario(
    "book_place_new_level",
    "place a GTC ask at a tick with no orders (new level; its bitmap word already in use)",
    target=90_000,
)
def _place_new_level(dn: Devnet) -> int:
    book = _book(dn)
    maker, _ = _warm(dn, book)
    return book.place(maker, Side.ASK, TICK + 3, LOTS).gas_used


@scenario(
    "book_place_existing_level",
    "place a GTC ask behind another order at the same tick",
    target=90_000,
)
def _place_existing_level(dn: Devnet) -> int:
    book = _book(dn)
    maker, _ = _warm(dn, book)
    book.place(maker, Side.ASK, TICK, LOTS)
    return book.place(maker, Side.ASK, TICK, LOTS).gas_used


@scenario(
    "book_cancel",
    "cancel a whole resting order that has orders queued behind it (the oldest of its level)",
    target=50_000,
)
def _cancel_middle(dn: Devnet) -> int:
    book = _book(dn)
    maker, _ = _warm(dn, book)
    first = book.place(maker, Side.ASK, TICK, LOTS).order_id
    book.place(maker, Side.ASK, TICK, LOTS)
    assert first is not None
    hint = book.hole_hint(first)
    tx = book.contract.functions.cancel(first, 2**32 - 1, hint).transact({"from": maker})
    return int(wait_for_receipt(dn.w3, tx, "cancel")["gasUsed"])


@scenario(
    "book_cancel_middle",
    "cancel a whole resting order with orders queued before and behind it (leaves a hole)",
    target=50_000,
)
def _cancel_between(dn: Devnet) -> int:
    book = _book(dn)
    maker, _ = _warm(dn, book)
    book.place(maker, Side.ASK, TICK, LOTS)
    middle = book.place(maker, Side.ASK, TICK, LOTS).order_id
    book.place(maker, Side.ASK, TICK, LOTS)
    assert middle is not None
    hint = book.hole_hint(middle)
    tx = book.contract.functions.cancel(middle, 2**32 - 1, hint).transact({"from": maker})
    return int(wait_for_receipt(dn.w3, tx, "cancel")["gasUsed"])


@scenario(
    "book_cancel_tail",
    "cancel the last order of a level that keeps other orders (shortens the queue)",
    target=50_000,
)
def _cancel_tail(dn: Devnet) -> int:
    book = _book(dn)
    maker, _ = _warm(dn, book)
    book.place(maker, Side.ASK, TICK, LOTS)
    last = book.place(maker, Side.ASK, TICK, LOTS).order_id
    assert last is not None
    tx = book.contract.functions.cancel(last, 2**32 - 1, 0).transact({"from": maker})
    return int(wait_for_receipt(dn.w3, tx, "cancel")["gasUsed"])


def _take_n(dn: Devnet, count: int) -> int:
    book = _book(dn)
    _, taker = _warm(dn, book)
    for maker in _makers(count):
        _fund(dn, book, maker, impersonate=True)
        book.place(maker, Side.ASK, TICK, LOTS)
        dn.node.rpc("anvil_stopImpersonatingAccount", [maker])
    result = book.take(taker, Side.BID, TICK, count * LOTS, count * LOTS, STEPS, DEADLINE)
    return result.gas_used


@scenario(
    "book_take_1",
    "market buy consuming the 1 resting ask of one level (the level empties)",
    target=120_000,
)
def _take_1(dn: Devnet) -> int:
    return _take_n(dn, 1)


@scenario(
    "book_take_10",
    "market buy consuming 10 resting asks of 10 makers at one level",
    target=120_000,
)
def _take_10(dn: Devnet) -> int:
    return _take_n(dn, 10)


@scenario(
    "book_take_100",
    "market buy consuming 100 resting asks of 100 makers at one level",
    target=120_000,
)
def _take_100(dn: Devnet) -> int:
    return _take_n(dn, 100)


# -- maker balances ------------------------------------------------------------------------


def _warm_balance(dn: Devnet, book: BookClient) -> tuple[str, str]:
    """`_warm`, then the maker deposits 100 WETH and 1,000,000 USDC into its book balance."""
    maker, taker = _warm(dn, book)
    book.deposit(maker, "base", 100 * 10**18)
    book.deposit(maker, "quote", 1_000_000 * 10**6)
    return maker, taker


@scenario(
    "book_place_new_level_from_balance",
    "book_place_new_level funded from the maker's book balance (placeFromBalance)",
    target=90_000,
)
def _place_new_level_from_balance(dn: Devnet) -> int:
    book = _book(dn)
    maker, _ = _warm_balance(dn, book)
    return book.place(maker, Side.ASK, TICK + 3, LOTS, from_balance=True).gas_used


@scenario(
    "book_place_existing_level_from_balance",
    "book_place_existing_level funded from the maker's book balance (placeFromBalance)",
    target=90_000,
)
def _place_existing_level_from_balance(dn: Devnet) -> int:
    book = _book(dn)
    maker, _ = _warm_balance(dn, book)
    book.place(maker, Side.ASK, TICK, LOTS, from_balance=True)
    return book.place(maker, Side.ASK, TICK, LOTS, from_balance=True).gas_used


@scenario(
    "book_cancel_to_balance",
    "book_cancel with the refund credited to the maker's book balance (cancelToBalance)",
    target=50_000,
)
def _cancel_to_balance(dn: Devnet) -> int:
    book = _book(dn)
    maker, _ = _warm_balance(dn, book)
    first = book.place(maker, Side.ASK, TICK, LOTS, from_balance=True).order_id
    book.place(maker, Side.ASK, TICK, LOTS, from_balance=True)
    assert first is not None
    hint = book.hole_hint(first)
    tx = book.contract.functions.cancelToBalance(first, 2**32 - 1, hint).transact({"from": maker})
    return int(wait_for_receipt(dn.w3, tx, "cancelToBalance")["gasUsed"])


def _claim_filled(dn: Devnet, to_balance: bool) -> int:
    """The maker's ask of LOTS at TICK taken whole, then claimed (its word is deleted)."""
    book = _book(dn)
    maker, taker = _warm_balance(dn, book)
    placed = book.place(maker, Side.ASK, TICK, LOTS).order_id
    assert placed is not None
    book.take(taker, Side.BID, TICK, LOTS, deadline=DEADLINE)
    functions = book.contract.functions
    fn = functions.claimToBalance if to_balance else functions.claim
    tx = fn([placed]).transact({"from": maker})
    return int(wait_for_receipt(dn.w3, tx, "claim")["gasUsed"])


@scenario("book_claim", "claim one filled order's proceeds to the maker's wallet")
def _claim(dn: Devnet) -> int:
    return _claim_filled(dn, to_balance=False)


@scenario(
    "book_claim_to_balance",
    "claim one filled order's proceeds to the maker's book balance (claimToBalance)",
)
def _claim_to_balance(dn: Devnet) -> int:
    return _claim_filled(dn, to_balance=True)
