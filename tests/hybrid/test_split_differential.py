"""The Python split equals what the HybridRouter does on chain, to the wei (Hypothesis).

Each example seeds the pool and the book at random (reserves from dust to uint112-sized, up to
six levels around the pool's price, both sides), picks a direction, exact in or out, an amount
and a level budget, quotes the split in Python from the chain's views, then sends the real
swap and compares the `HybridSwap` event with the quote field by field; where the Python quote
raises, the swap must revert. Everything runs inside a chain snapshot that is restored after.
"""

from __future__ import annotations

from math import isqrt

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.logs import DISCARD

from crossbook.amm.errors import PoolMathError
from crossbook.artifacts import load_artifact
from crossbook.chain import decode_revert
from crossbook.hybrid.errors import InvalidSplitRequest
from crossbook.hybrid.split import quote_exact_in, quote_exact_out

from .conftest import FEE, LOT, MIN_LOTS, TICK_SIZE

DEADLINE = 2**32 - 1
EXAMPLES = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
REVERTS = (ContractCustomError, ContractLogicError, ContractPanicError)

levels = st.lists(
    st.tuples(st.integers(-400, 300), st.integers(MIN_LOTS, 5_000)), min_size=0, max_size=6
)
# (WETH reserve, price factor: 1,000 is 2,000 USDC per WETH)
realistic = st.tuples(st.integers(10**17, 10**22), st.integers(500, 2_000))
reserves = st.one_of(
    realistic,
    realistic,
    realistic,
    realistic,
    realistic,
    st.tuples(st.integers(10**7, 10**33), st.integers(1, 10**9)),  # dust to uint112-sized
)
# An amount as parts per million of the pool's reserve of the exact token, or raw units.
ppm = st.tuples(st.just("ppm"), st.integers(1, 10**6))
amounts = st.one_of(
    ppm,
    ppm,
    ppm,
    st.tuples(
        st.just("raw"),
        st.one_of(st.integers(1, 10**4), st.integers(1, 10**22), st.integers(1, 10**36)),
    ),
)


def _send(w3, fn, sender):
    tx = {"from": sender, "gas": 3_000_000}
    fn.call(tx)  # raises the revert
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact(tx))
    assert receipt["status"] == 1
    return receipt


ALLOWED_EXECUTION_REVERTS = {
    # the split is right but the chain cannot execute it: the pool's balance would pass
    # uint112, or the taker cannot pay an astronomically priced exact output
    "BalanceOverflow",
    "TransferFromFailed",
}


@EXAMPLES
@given(
    seed=reserves,
    book=levels,
    buy_base=st.booleans(),
    exact_out=st.booleans(),
    amount=amounts,
    max_levels=st.sampled_from([0, 1, 2, 3, 6, 32, 32, 32]),
)
def test_swap_equals_python_quote(
    chain,
    w3,
    client,
    amm_router,
    weth,
    usdc,
    maker,
    taker,
    seed,
    book,
    buy_base,
    exact_out,
    amount,
    max_levels,
):
    snap = chain.snapshot()
    try:
        _run_example(
            w3,
            client,
            amm_router,
            weth,
            usdc,
            maker,
            taker,
            seed,
            book,
            buy_base,
            exact_out,
            amount,
            max_levels,
        )
    finally:
        chain.restore(snap)


def _run_example(
    w3,
    client,
    amm_router,
    weth,
    usdc,
    maker,
    taker,
    seed,
    book,
    buy_base,
    exact_out,
    amount,
    max_levels,
):
    weth_reserve, price_factor = seed
    usdc_reserve = max(1, weth_reserve * price_factor // 10**12 * 2)
    assume(isqrt(weth_reserve * usdc_reserve) > 1000 and usdc_reserve < 2**112)
    kind, value = amount
    if kind == "ppm":
        exact_token_reserve = usdc_reserve if buy_base != exact_out else weth_reserve
        amount = max(1, exact_token_reserve * value // 10**6)
    else:
        amount = value
    router = w3.eth.contract(address=amm_router.address, abi=load_artifact("Router").abi)
    params = (weth.address, usdc.address, FEE, weth_reserve, usdc_reserve, 0, 0, maker.address)
    _send(w3, router.functions.addLiquidity((*params, DEADLINE)), maker.address)
    # The pool's price as a tick (quote units per lot / tick size); levels within about 10%,
    # more of them on the side that beats the pool (negative offsets: cheaper asks, dearer bids).
    mid = max(1, min(65_535, usdc_reserve * LOT // (weth_reserve * TICK_SIZE)))
    maker_side = 1 if buy_base else 0  # asks are taken to buy base, bids to sell it
    sign = 1 if buy_base else -1
    for offset, lots in book:
        tick = max(1, min(65_535, mid + sign * offset * max(1, mid // 4000)))
        place = client.book.contract.functions.place(maker_side, tick, lots, 0, 0, 64)
        _send(w3, place, maker.address)

    pool_snap, book_snap = client.snapshot(buy_base, max_levels)

    model = quote_exact_out if exact_out else quote_exact_in
    try:
        quote = model(amount, buy_base, pool_snap, book_snap)
    except (PoolMathError, InvalidSplitRequest) as exc:
        event(f"model raises {type(exc).__name__}")
        quote = None
    market = (weth.address, usdc.address, TICK_SIZE, LOT, MIN_LOTS)
    fns = client.router.functions
    if exact_out:
        view = fns.quoteExactOut(market, FEE, buy_base, amount, max_levels)
        swap = fns.swapExactOut(
            (market, FEE, buy_base, amount, 2**256 - 1, max_levels, taker.address, DEADLINE)
        )
    else:
        view = fns.quoteExactIn(market, FEE, buy_base, amount, max_levels)
        swap = fns.swapExactIn(
            (market, FEE, buy_base, amount, 0, max_levels, taker.address, DEADLINE)
        )
    if quote is None:
        with pytest.raises(REVERTS):
            view.call()
        with pytest.raises(REVERTS):
            _send(w3, swap, taker.address)
        return
    want = (
        quote.book_lots,
        quote.limit_tick,
        quote.levels,
        quote.book_in,
        quote.book_out,
        quote.pool_in,
        quote.pool_out,
    )
    assert tuple(view.call()) == want
    event(
        "split"
        if quote.book_lots and quote.pool_in
        else "book only"
        if quote.book_lots
        else "pool only"
        if quote.pool_in
        else "nothing"
    )
    try:
        receipt = _send(w3, swap, taker.address)
    except REVERTS as exc:
        decoded = decode_revert(exc)
        assert decoded is not None and decoded.name in ALLOWED_EXECUTION_REVERTS, exc
        event(f"execution reverts {decoded.name}")
        return
    args = client.router.events.HybridSwap().process_receipt(receipt, errors=DISCARD)[0]["args"]
    got = (args["bookLots"], args["bookIn"], args["bookOut"], args["poolIn"], args["poolOut"])
    assert got == (quote.book_lots, quote.book_in, quote.book_out, quote.pool_in, quote.pool_out)
