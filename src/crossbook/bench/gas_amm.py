"""Gas scenarios of the AMM pools and the AMM router (figures in snapshots/gas.json).

All run against the devnet's seeded WETH/USDC 0.30% pool (100 WETH / 200,000 USDC from the
deployer). Steady state: the trader or LP already holds both tokens and the LP shares involved,
has approved the router (unlimited), and has done the same action once before; the pool has
traded before. Before the measured transaction the chain moves 12 seconds forward, so the
pool's price accumulator is updated in it, as at the first pool action of a real block (that
makes the figure deterministic too: Anvil may otherwise reuse a timestamp).
"""

from __future__ import annotations

from web3 import Web3
from web3.contract import Contract

from crossbook.amm import math
from crossbook.artifacts import load_artifact
from crossbook.bench.gas import scenario, token_contract
from crossbook.chain import wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.devnet.deploy import AMM_SEED_POOL

MAX_UINT = 2**256 - 1
DEADLINE = 2**32 - 1
FEE = AMM_SEED_POOL[2]


def _contract(dn: Devnet, name: str, address: str) -> Contract:
    return dn.w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=load_artifact(name).abi
    )


def _pool(dn: Devnet) -> Contract:
    a, b, fee = AMM_SEED_POOL
    return _contract(dn, "Pool", dn.manifest.address(f"pool:{a}/{b}/{fee}"))


def _router(dn: Devnet) -> Contract:
    return _contract(dn, "Router", dn.manifest.address("Router"))


def _next_block_later(dn: Devnet) -> None:
    dn.node.rpc("evm_increaseTime", [12])


def _send(dn: Devnet, fn: object, sender: str, what: str) -> int:
    tx = fn.transact({"from": sender})  # type: ignore[attr-defined]
    return int(wait_for_receipt(dn.w3, tx, what)["gasUsed"])


def _approve_router(dn: Devnet, who: str) -> None:
    router = _router(dn)
    for symbol in ("WETH", "USDC"):
        _send(
            dn,
            token_contract(dn, symbol).functions.approve(router.address, MAX_UINT),
            who,
            "approve",
        )


def _weth_to_usdc_out(dn: Devnet, amount_in: int) -> int:
    pool = _pool(dn)
    r0, r1, _ = pool.functions.getReserves().call()
    weth = dn.manifest.tokens["WETH"].address
    weth_is_0 = int(weth, 16) == int(pool.functions.token0().call(), 16)
    reserve_in, reserve_out = (r0, r1) if weth_is_0 else (r1, r0)
    return math.get_amount_out(amount_in, reserve_in, reserve_out, FEE)


def _direct_swap(dn: Devnet, trader: str) -> int:
    """Send 1 WETH to the pool, then call `swap` for the quoted USDC; gas of `swap` only."""
    pool, weth = _pool(dn), token_contract(dn, "WETH")
    amount_in = 10**18
    out = _weth_to_usdc_out(dn, amount_in)
    _send(dn, weth.functions.transfer(pool.address, amount_in), trader, "transfer to pool")
    weth_is_0 = int(weth.address, 16) == int(pool.functions.token0().call(), 16)
    amounts = (0, out) if weth_is_0 else (out, 0)
    _next_block_later(dn)
    return _send(dn, pool.functions.swap(*amounts, trader), trader, "pool swap")


@scenario(
    "amm_swap_direct",
    "Pool.swap 1 WETH -> USDC with the input already sent (steady state); the swap tx only",
    target=62_000,
)
def _amm_swap_direct(dn: Devnet) -> int:
    trader = dn.accounts[1].address
    _direct_swap(dn, trader)  # warm-up
    return _direct_swap(dn, trader)


def _router_swap(dn: Devnet, trader: str) -> int:
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    amount_in = 10**18
    out = _weth_to_usdc_out(dn, amount_in)
    params = (weth, usdc, FEE, amount_in, out, trader, DEADLINE)
    _next_block_later(dn)
    return _send(dn, _router(dn).functions.swapExactInSingle(params), trader, "router swap")


@scenario(
    "amm_router_swap_exact_in",
    "Router.swapExactInSingle 1 WETH -> USDC, approved trader, steady state",
    target=85_000,
)
def _amm_router_swap_exact_in(dn: Devnet) -> int:
    trader = dn.accounts[1].address
    _approve_router(dn, trader)
    _router_swap(dn, trader)  # warm-up
    return _router_swap(dn, trader)


def _add(dn: Devnet, lp: str) -> int:
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    amount_weth, amount_usdc = 10**18, 2_100 * 10**6  # USDC side capped by the pool's ratio
    params = (weth, usdc, FEE, amount_weth, amount_usdc, 0, 0, lp, DEADLINE)
    _next_block_later(dn)
    return _send(dn, _router(dn).functions.addLiquidity(params), lp, "addLiquidity")


@scenario(
    "amm_add_liquidity",
    "Router.addLiquidity 1 WETH + matching USDC by an existing LP, steady state",
    target=100_000,
)
def _amm_add_liquidity(dn: Devnet) -> int:
    lp = dn.accounts[2].address
    _approve_router(dn, lp)
    _add(dn, lp)  # becomes an LP
    return _add(dn, lp)


@scenario(
    "amm_remove_liquidity",
    "Router.removeLiquidity of a quarter of an LP's shares (LP approved), steady state",
    target=100_000,
)
def _amm_remove_liquidity(dn: Devnet) -> int:
    lp = dn.accounts[2].address
    _approve_router(dn, lp)
    _add(dn, lp)
    _add(dn, lp)
    pool, router = _pool(dn), _router(dn)
    _send(dn, pool.functions.approve(router.address, MAX_UINT), lp, "approve LP shares")
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address

    def remove() -> int:
        shares = int(pool.functions.balanceOf(lp).call()) // 4
        params = (weth, usdc, FEE, shares, 0, 0, lp, DEADLINE)
        _next_block_later(dn)
        return _send(dn, router.functions.removeLiquidity(params), lp, "removeLiquidity")

    remove()  # warm-up
    return remove()
