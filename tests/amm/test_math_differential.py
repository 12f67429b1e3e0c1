"""The Python pool math equals the contract's to the wei (Hypothesis, >= 1,000 examples each)."""

from __future__ import annotations

import ape
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crossbook.amm import math
from crossbook.amm.errors import PoolMathError

from .conftest import DEADLINE, FEE

EXAMPLES = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

# Wide ranges, edges included: zero, tiny, realistic and uint112-sized values.
amounts = st.one_of(
    st.integers(0, 10), st.integers(0, 2**64), st.integers(0, 2**112), st.integers(0, 2**140)
)
reserves = st.one_of(st.integers(0, 10), st.integers(1, 2**112 - 1))
fees = st.one_of(st.sampled_from([0, 1, 5, 30, 100, 1000, 9999, 10_000]), st.integers(0, 2**16 - 1))


def _contract(call):
    """The contract's answer, or None when it reverts."""
    try:
        return call()
    except ape.exceptions.ContractLogicError:
        return None


def _python(fn, *args):
    try:
        return fn(*args)
    except PoolMathError:
        return None


@EXAMPLES
@given(amount_in=amounts, reserve_in=reserves, reserve_out=reserves, fee=fees)
def test_get_amount_out_matches(router, amount_in, reserve_in, reserve_out, fee):
    expected = _python(math.get_amount_out, amount_in, reserve_in, reserve_out, fee)
    got = _contract(lambda: router.getAmountOut(amount_in, reserve_in, reserve_out, fee))
    assert got == expected


@EXAMPLES
@given(amount_out=amounts, reserve_in=reserves, reserve_out=reserves, fee=fees)
def test_get_amount_in_matches(router, amount_out, reserve_in, reserve_out, fee):
    expected = _python(math.get_amount_in, amount_out, reserve_in, reserve_out, fee)
    got = _contract(lambda: router.getAmountIn(amount_out, reserve_in, reserve_out, fee))
    assert got == expected


@EXAMPLES
@given(amount=amounts, reserve_a=reserves, reserve_b=reserves)
def test_quote_matches(router, amount, reserve_a, reserve_b):
    expected = _python(math.quote, amount, reserve_a, reserve_b)
    got = _contract(lambda: router.quote(amount, reserve_a, reserve_b))
    assert got == expected


def test_python_errors_name_the_contract_error(router):
    with pytest.raises(math.ZeroQuoteAmount):
        math.get_amount_out(0, 1, 1, FEE)
    with ape.reverts(router.ZeroAmount):
        router.getAmountOut(0, 1, 1, FEE)
    with pytest.raises(math.AmountOutExceedsReserve):
        math.get_amount_in(5, 10, 5, FEE)
    with ape.reverts(router.AmountOutExceedsReserve):
        router.getAmountIn(5, 10, 5, FEE)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    weth_in=st.integers(10**9, 50 * 10**18),
    usdc_out=st.integers(1, 50_000 * 10**6),
    exact_out=st.booleans(),
)
def test_actual_swaps_match_python(
    router, weth_usdc, weth, usdc, taker, weth_in, usdc_out, exact_out
):
    """Real swaps on Anvil move exactly what the Python model predicts (then state is undone)."""
    r0, r1, _ = weth_usdc.getReserves()
    weth_is_0 = weth_usdc.token0() == weth.address
    reserve_weth, reserve_usdc = (r0, r1) if weth_is_0 else (r1, r0)
    assume(math.get_amount_out(weth_in, reserve_weth, reserve_usdc, FEE) > 0)
    before_weth, before_usdc = weth.balanceOf(taker), usdc.balanceOf(taker)
    snap = ape.chain.snapshot()
    try:
        if exact_out:
            need = math.get_amount_in(usdc_out, reserve_weth, reserve_usdc, FEE)
            params = (weth.address, usdc.address, FEE, usdc_out, need, taker.address, DEADLINE)
            router.swapExactOutSingle(params, sender=taker)
            assert before_weth - weth.balanceOf(taker) == need
            assert usdc.balanceOf(taker) - before_usdc == usdc_out
        else:
            out = math.get_amount_out(weth_in, reserve_weth, reserve_usdc, FEE)
            params = (weth.address, usdc.address, FEE, weth_in, out, taker.address, DEADLINE)
            router.swapExactInSingle(params, sender=taker)
            assert usdc.balanceOf(taker) - before_usdc == out
            assert before_weth - weth.balanceOf(taker) == weth_in
    finally:
        ape.chain.restore(snap)
