"""Gas scenario of the hybrid router (figure in snapshots/gas.json).

The devnet's WETH/USDC book and 0.30% pool (100 WETH / 200,000 USDC). Steady state, as in the
book and AMM scenarios: the maker and the trader hold both tokens and have approved the book and
the router; the trader has swapped through the router once before (so the router's allowance to
the book is set and the book has accrued fees); the chain moves 12 s forward before the measured
swap so the pool's price accumulator updates in it.
"""

from __future__ import annotations

from crossbook.bench.gas import scenario, token_contract
from crossbook.bench.gas_book import DEADLINE
from crossbook.book.client import BookClient
from crossbook.book.market import Side
from crossbook.chain import MAX_UINT, wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.devnet.deploy import AMM_SEED_POOL
from crossbook.hybrid.client import ROUTER_KEY, HybridClient

MARKET = "WETH/USDC"


def _fund(dn: Devnet, account: str, spenders: tuple[str, ...]) -> None:
    for symbol, amount in (("WETH", 1_000 * 10**18), ("USDC", 10_000_000 * 10**6)):
        token = token_contract(dn, symbol)
        wait_for_receipt(
            dn.w3,
            token.functions.mint(account, amount).transact({"from": dn.deployer.address}),
            "minting for a router account",
        )
        for spender in spenders:
            wait_for_receipt(
                dn.w3,
                token.functions.approve(spender, MAX_UINT).transact({"from": account}),
                "approving for a router account",
            )


@scenario(
    "hybrid_swap_book_and_pool",
    "HybridRouter exact-in buy of 3,000 USDC: two ask levels taken whole, a third partly, "
    "the rest swapped in the pool",
)
def _hybrid_swap(dn: Devnet) -> int:
    book = BookClient.from_manifest(dn.w3, dn.manifest, MARKET)
    hybrid = HybridClient.from_manifest(dn.w3, dn.manifest, MARKET, AMM_SEED_POOL[2])
    maker, trader = dn.accounts[1].address, dn.accounts[2].address
    router = dn.manifest.address(ROUTER_KEY)
    _fund(dn, maker, (book.address,))
    _fund(dn, trader, (router,))
    # Asks at 1,995 and 1,998 beat the pool's ~2,006 marginal price; 2,020 (2,021 with the taker
    # fee) only once the pool has moved: the swap takes part of it, then the pool catches up.
    book.place(maker, Side.ASK, 19_950, 500)
    book.place(maker, Side.ASK, 19_980, 500)
    book.place(maker, Side.ASK, 20_200, 500)
    # The warm-up swap lands in a later second than the pool's seeding, so it writes the pool's
    # price accumulator (zero until then): the measured swap finds it nonzero, whatever the
    # wall clock did (otherwise the figure varies by a zero-to-nonzero SSTORE, 17.1k).
    dn.node.rpc("evm_increaseTime", [12])
    # a fixed deadline: one from the clock changes the calldata's zero bytes, so the gas
    warm = hybrid.swap(trader, True, 100 * 10**6, deadline=DEADLINE)  # part of the first level
    assert warm.split.book_lots > 0, warm
    dn.node.rpc("evm_increaseTime", [12])
    result = hybrid.swap(trader, True, 3_000 * 10**6, deadline=DEADLINE)
    split = result.split
    assert split.levels == 3 and split.pool_in > 0 and split == result.quoted, result
    return result.gas_used
