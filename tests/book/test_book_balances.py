"""Maker balances through the Python SDK on Anvil: deposit once, place from the balance, cancel
and claim to it, withdraw; typed errors; the balances rebuilt from events equal the view."""

import pytest

from crossbook.book import BookError, Side, balances_from_events
from crossbook.chain import TransactionFailed

from .conftest import LOT
from .test_book_sdk import balances

MID = 20_000


def test_balance_cycle_moves_no_token_per_order(client, maker, taker):
    m = maker.address
    start = client.w3.eth.block_number
    weth0, usdc0 = balances(client, m)
    assert client.deposit(m, "WETH", 10**18) == 10**18
    assert client.balance(m).base == 10**18

    placed = client.place(m, Side.ASK, MID, 50, from_balance=True)
    assert placed.order_id is not None
    assert client.balance(m).base == 10**18 - 50 * LOT
    assert balances(client, m) == (weth0 - 10**18, usdc0)  # the wallet did not move

    client.take(taker.address, Side.BID, MID, 20)
    assert client.claim(m, [placed.order_id], to_balance=True) == 20
    price = client.spec.price_per_lot(MID)
    maker_unit = price + price * 100 // 1_000_000  # the fixture book's 0.01% rebate
    assert client.balance(m).quote == 20 * maker_unit
    assert client.cancel(m, placed.order_id, to_balance=True) == 30
    assert client.balance(m).base == 10**18 - 20 * LOT
    assert balances(client, m) == (weth0 - 10**18, usdc0)

    # Nothing pays twice: the cancelled and claimed order has nothing left for either path.
    with pytest.raises(TransactionFailed) as info:
        client.claim(m, [placed.order_id], to_balance=True)
    assert info.value.name == "NothingToClaim"
    with pytest.raises(TransactionFailed) as info:
        client.cancel(m, placed.order_id)
    assert info.value.name == "OrderNotFound"

    assert client.withdraw(m, "base", 10**18 - 20 * LOT) == 0
    assert client.withdraw(m, client.spec.quote, 20 * maker_unit) == 0
    assert balances(client, m) == (weth0 - 20 * LOT, usdc0 + 20 * maker_unit)

    rebuilt = balances_from_events(client.contract, from_block=start)
    assert rebuilt == {(m, client.spec.base): 0, (m, client.spec.quote): 0}


def test_typed_errors_of_the_balance_path(client, maker, taker):
    m = maker.address
    escrow = 10 * client.spec.price_per_lot(MID)
    client.deposit(m, "quote", escrow - 1)
    with pytest.raises(TransactionFailed) as info:
        client.place(m, Side.BID, MID, 10, from_balance=True)
    assert info.value.name == "InsufficientBalance"
    # eth-abi decodes addresses in lower case
    assert info.value.error_args == (m.lower(), client.spec.quote.lower(), escrow - 1, escrow)
    with pytest.raises(TransactionFailed) as info:
        client.withdraw(taker.address, "quote", 1)  # the taker has no balance of its own
    assert info.value.name == "InsufficientBalance"
    client.deposit(m, "quote", 1)
    bid = client.place(m, Side.BID, MID, 10, from_balance=True).order_id
    assert client.balance(m).quote == 0
    client.take(taker.address, Side.ASK, MID, 10)
    with pytest.raises(TransactionFailed) as info:
        client.claim(taker.address, [bid], to_balance=True)
    assert info.value.name == "NotOrderOwner"
    with pytest.raises(BookError):
        client.deposit(m, "DAI", 1)  # not a token of this book: caught locally


def test_events_rebuild_every_balance(client, maker, taker):
    start = client.w3.eth.block_number
    for who in (maker.address, taker.address):
        client.deposit(who, "base", 200 * LOT)
        client.deposit(who, "quote", 200 * client.spec.price_per_lot(MID + 5))
    ask = client.place(maker.address, Side.ASK, MID + 1, 40, from_balance=True).order_id
    bid = client.place(taker.address, Side.BID, MID - 1, 30, from_balance=True).order_id
    client.place(taker.address, Side.BID, MID + 1, 25, from_balance=True)  # crosses 25 lots
    client.claim(maker.address, [ask], to_balance=True)
    client.cancel(taker.address, bid, 10, to_balance=True)
    client.withdraw(maker.address, "quote", 1, to=taker.address)
    rebuilt = balances_from_events(client.contract, from_block=start)
    for who in (maker.address, taker.address):
        view = client.balance(who)
        assert rebuilt[(who, client.spec.base)] == view.base
        assert rebuilt[(who, client.spec.quote)] == view.quote
    assert client.balance(taker.address).base == 200 * LOT + 25 * LOT
