"""End-to-end router flows on Anvil, through the Python SDK where it applies."""

from __future__ import annotations

from math import isqrt

import ape
import pytest

from crossbook.amm import math
from crossbook.amm.client import AmmClient
from crossbook.amm.errors import InvalidPath, PoolExists, PoolNotFound
from crossbook.chain import TransactionFailed
from crossbook.manifest import DeployedContract, TokenInfo, new_manifest

from .conftest import DEADLINE, FEE


@pytest.fixture(scope="module")
def client(chain, factory, router, weth, usdc, dai, funded):
    manifest = new_manifest(chain.chain_id)
    manifest.contracts["Factory"] = DeployedContract(address=factory.address, block=0)
    manifest.contracts["Router"] = DeployedContract(address=router.address, block=0)
    for token, decimals in ((weth, 18), (usdc, 6), (dai, 18)):
        symbol = token.symbol()
        manifest.tokens[symbol] = TokenInfo(address=token.address, symbol=symbol, decimals=decimals)
    return AmmClient(chain.provider.web3, manifest)


def test_sdk_create_add_swap_remove(client, taker, weth, dai):
    a, b = client.token("weth"), client.token("DAI")
    with pytest.raises(PoolNotFound):
        client.pool(a, b, 100)
    address = client.create_pool(a, b, 100, taker.address)
    with pytest.raises(PoolExists):
        client.create_pool(b, a, 100, taker.address)
    added = client.add_liquidity(a, b, 100, a.to_units("10"), b.to_units("20000"), taker.address)
    assert added["liquidity"] == isqrt(10 * 10**18 * 20_000 * 10**18) - 1000
    assert added["liquidity"] == math.liquidity_for_amounts(10 * 10**18, 20_000 * 10**18, 0, 0, 0)
    state = client.pool(a, b, 100)
    assert state.address == address

    quoted = client.quote_exact_in(a, b, 100, a.to_units("0.5"))
    before = dai.balanceOf(taker)
    swapped = client.swap_exact_in(a, b, 100, a.to_units("0.5"), taker.address)
    assert swapped["amount_out"] == quoted == dai.balanceOf(taker) - before

    need = client.quote_exact_out(b, a, 100, a.to_units("0.25"))
    weth_before = weth.balanceOf(taker)
    bought = client.swap_exact_out(b, a, 100, a.to_units("0.25"), taker.address)
    assert bought["amount_in"] == need
    assert weth.balanceOf(taker) - weth_before == a.to_units("0.25")

    state = client.pool(a, b, 100)
    shares = client.lp_balance(state, taker.address)
    removed = client.remove_liquidity(a, b, 100, shares, taker.address)
    assert removed["amount_a"] > 0 and removed["amount_b"] > 0
    assert client.lp_balance(client.pool(a, b, 100), taker.address) == 0


def test_sdk_names_the_revert(client, taker, weth_usdc):
    a, b = client.token("WETH"), client.token("USDC")
    with pytest.raises(TransactionFailed, match="InsufficientOutput"):
        client.swap_exact_in(a, b, FEE, 10**18, taker.address, slippage_bps=-1)


def test_multi_hop_exact_in_and_out(router, weth_usdc, usdc_dai, weth, usdc, dai, taker):
    path = math.encode_path([weth.address, usdc.address, dai.address], [FEE, 5])
    hops = []
    for pool, token_in in ((weth_usdc, weth), (usdc_dai, usdc)):
        r0, r1, _ = pool.getReserves()
        fee = pool.fee()
        hops.append(
            math.Hop(r0, r1, fee) if pool.token0() == token_in.address else math.Hop(r1, r0, fee)
        )
    amounts = math.get_amounts_out(10**18, hops)
    assert list(router.getAmountsOut(10**18, path)) == amounts
    before = dai.balanceOf(taker)
    router.swapExactIn((path, 10**18, amounts[-1], taker.address, DEADLINE), sender=taker)
    assert dai.balanceOf(taker) - before == amounts[-1]

    want = 500 * 10**18
    needed = list(router.getAmountsIn(want, path))
    hops = []
    for pool, token_in in ((weth_usdc, weth), (usdc_dai, usdc)):
        r0, r1, _ = pool.getReserves()
        hops.append(
            math.Hop(r0, r1, pool.fee())
            if pool.token0() == token_in.address
            else math.Hop(r1, r0, pool.fee())
        )
    assert needed == math.get_amounts_in(want, hops)
    before_weth, before_dai = weth.balanceOf(taker), dai.balanceOf(taker)
    router.swapExactOut((path, want, needed[0], taker.address, DEADLINE), sender=taker)
    assert before_weth - weth.balanceOf(taker) == needed[0]
    assert dai.balanceOf(taker) - before_dai == want


def test_slippage_and_deadline_reverts(router, weth_usdc, weth, usdc, taker, chain):
    r0, r1, _ = weth_usdc.getReserves()
    weth_is_0 = weth_usdc.token0() == weth.address
    r_in, r_out = (r0, r1) if weth_is_0 else (r1, r0)
    out = math.get_amount_out(10**18, r_in, r_out, FEE)
    with ape.reverts(router.InsufficientOutput):
        router.swapExactInSingle(
            (weth.address, usdc.address, FEE, 10**18, out + 1, taker.address, DEADLINE),
            sender=taker,
        )
    with ape.reverts(router.DeadlineExpired):
        router.swapExactInSingle(
            (
                weth.address,
                usdc.address,
                FEE,
                10**18,
                0,
                taker.address,
                chain.pending_timestamp - 10,
            ),
            sender=taker,
        )
    with ape.reverts(router.PoolNotFound):
        router.swapExactInSingle(
            (weth.address, usdc.address, 100, 10**18, 0, taker.address, DEADLINE), sender=taker
        )


def test_first_mint_locks_minimum_liquidity(weth_usdc):
    assert weth_usdc.balanceOf("0x0000000000000000000000000000000000000000") == 1000


def test_bad_paths_are_refused_before_any_call(weth, usdc) -> None:
    with pytest.raises(InvalidPath, match="n >= 2 tokens and n - 1 fees, got 2/2"):
        math.encode_path([weth.address, usdc.address], [FEE, FEE])
    with pytest.raises(InvalidPath, match="is not a 20-byte address"):
        math.encode_path([weth.address, "0x1234"], [FEE])
    with pytest.raises(InvalidPath, match="fee 65536 does not fit uint16"):
        math.encode_path([weth.address, usdc.address], [2**16])


def test_protocol_fee_and_deposit_shares_match_the_pool(
    factory, router, weth_usdc, weth, usdc, deployer, taker
):
    """With the protocol fee on, a swap grows k; the next deposit mints the fee's shares to
    `feeTo` and the depositor's shares, each as the Python model says, to the wei."""
    snapshot = ape.chain.snapshot()
    try:
        factory.setFeeTo(deployer, sender=deployer)
        factory.setProtocolFee(weth_usdc, True, sender=deployer)
        k_last = weth_usdc.kLast()
        params = (weth.address, usdc.address, FEE, 5 * 10**18, 0, taker.address, DEADLINE)
        router.swapExactInSingle(params, sender=taker)
        r0, r1, _ = weth_usdc.getReserves()
        supply = weth_usdc.totalSupply()
        fee_shares = math.protocol_fee_liquidity(r0 * r1, k_last, supply)
        assert fee_shares > 0
        assert math.protocol_fee_liquidity(k_last, k_last, supply) == 0

        weth_is_0 = weth_usdc.token0() == weth.address
        r_weth, r_usdc = (r0, r1) if weth_is_0 else (r1, r0)
        # 1,000 USDC is worth less than 1 WETH here: all of it, and the WETH that matches it
        usdc_in = 1_000 * 10**6
        deposit = math.optimal_deposit(10**18, usdc_in, r_weth, r_usdc)
        assert deposit.amount_b == usdc_in and deposit.amount_a < 10**18
        before = weth_usdc.balanceOf(taker)
        params = (weth.address, usdc.address, FEE, 10**18, usdc_in, 0, 0, taker.address, DEADLINE)
        router.addLiquidity(params, sender=taker)
        amounts = (deposit.amount_a, deposit.amount_b)
        amount0, amount1 = amounts if weth_is_0 else amounts[::-1]
        expected = math.liquidity_for_amounts(amount0, amount1, r0, r1, supply + fee_shares)
        assert weth_usdc.balanceOf(taker) - before == expected > 0
        assert weth_usdc.balanceOf(deployer) == fee_shares
    finally:
        ape.chain.restore(snapshot)
