"""Hybrid router fixtures on ape's Anvil: the AMM, a WETH(18)/USDC(6) book, the router.

The pool is created empty; each differential example seeds it (and the book) itself inside a
chain snapshot, so examples do not see each other's state.
"""

from __future__ import annotations

import pytest
from web3 import Web3

from crossbook.book import BookClient
from crossbook.hybrid.client import HybridClient

MAX_UINT = 2**256 - 1
FEE = 30
LOT = 10**15
TICK_SIZE = 100
MIN_LOTS = 10
TAKER_FEE_PPM = 500
MAKER_FEE_PPM = -100


@pytest.fixture(scope="module")
def w3(chain):
    return Web3(Web3.HTTPProvider(chain.provider.uri))


@pytest.fixture(scope="module")
def weth(create_token):
    return create_token("WETH", 18)


@pytest.fixture(scope="module")
def usdc(create_token):
    return create_token("USDC", 6)


@pytest.fixture(scope="module")
def amm_factory(project, deployer):
    return project.Factory.deploy(deployer, sender=deployer)


@pytest.fixture(scope="module")
def amm_router(project, amm_factory, deployer):
    return project.Router.deploy(amm_factory, sender=deployer)


@pytest.fixture(scope="module")
def book_factory(project, deployer):
    return project.BookFactory.deploy(
        deployer, deployer, TAKER_FEE_PPM, MAKER_FEE_PPM, sender=deployer
    )


@pytest.fixture(scope="module")
def hybrid(project, amm_factory, book_factory, deployer):
    return project.HybridRouter.deploy(amm_factory, book_factory, sender=deployer)


@pytest.fixture(scope="module")
def venues(amm_factory, amm_router, book_factory, hybrid, weth, usdc, deployer, maker, taker):
    """An empty pool and an empty book; maker approved to both, taker to the hybrid router."""
    amm_factory.createPool(weth, usdc, FEE, sender=deployer)
    book_factory.createBook(weth, usdc, TICK_SIZE, LOT, MIN_LOTS, sender=deployer)
    book = book_factory.bookOf(book_factory.marketId(weth, usdc, TICK_SIZE, LOT, MIN_LOTS))
    for account in (maker, taker):
        for token in (weth, usdc):
            token.mint(account, 10**40, sender=deployer)
    for token in (weth, usdc):
        token.approve(amm_router, MAX_UINT, sender=maker)
        token.approve(book, MAX_UINT, sender=maker)
        token.approve(hybrid, MAX_UINT, sender=taker)
    return book


@pytest.fixture(scope="module")
def client(w3, venues, hybrid):
    return HybridClient(w3, hybrid.address, BookClient.at(w3, venues, "WETH/USDC"), FEE)
