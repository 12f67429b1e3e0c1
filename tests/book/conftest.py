"""A WETH(18)/USDC(6) book on ape's Anvil, driven through the Python SDK (web3)."""

import pytest
from web3 import Web3

from crossbook.book import BookClient

LOT = 10**15
TICK_SIZE = 100
MIN_LOTS = 10


@pytest.fixture
def book_factory(project, deployer):
    return project.BookFactory.deploy(deployer, deployer, 500, -100, sender=deployer)


@pytest.fixture
def weth(create_token):
    return create_token("WETH", 18)


@pytest.fixture
def usdc(create_token):
    return create_token("USDC", 6)


@pytest.fixture
def w3(chain):
    return Web3(Web3.HTTPProvider(chain.provider.uri))


@pytest.fixture
def client(w3, book_factory, weth, usdc, deployer, maker, taker):
    book_factory.createBook(weth, usdc, TICK_SIZE, LOT, MIN_LOTS, sender=deployer)
    market = book_factory.marketId(weth, usdc, TICK_SIZE, LOT, MIN_LOTS)
    sdk = BookClient.at(w3, book_factory.bookOf(market), "WETH/USDC")
    for account in (maker, taker):
        weth.mint(account, 1_000 * 10**18, sender=deployer)
        usdc.mint(account, 10_000_000 * 10**6, sender=deployer)
        sdk.approve(account.address)
    return sdk
