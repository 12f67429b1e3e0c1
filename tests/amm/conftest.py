"""AMM fixtures on ape's Anvil: factory, router, tokens (18 and 6 decimals) and a seeded pool."""

from __future__ import annotations

import pytest

MAX_UINT = 2**256 - 1
FEE = 30
DEADLINE = 2**32 - 1


@pytest.fixture(scope="module")
def factory(project, deployer):
    return project.Factory.deploy(deployer, sender=deployer)


@pytest.fixture(scope="module")
def router(project, factory, deployer):
    return project.Router.deploy(factory, sender=deployer)


@pytest.fixture(scope="module")
def weth(create_token):
    return create_token("WETH", 18)


@pytest.fixture(scope="module")
def usdc(create_token):
    return create_token("USDC", 6)


@pytest.fixture(scope="module")
def dai(create_token):
    return create_token("DAI", 18)


@pytest.fixture(scope="module")
def funded(deployer, maker, taker, router, weth, usdc, dai):
    for account in (deployer, maker, taker):
        for token in (weth, usdc, dai):
            token.mint(account, 10**30, sender=deployer)
            token.approve(router, MAX_UINT, sender=account)
    return True


@pytest.fixture(scope="module")
def weth_usdc(project, factory, router, weth, usdc, maker, funded):
    factory.createPool(weth, usdc, FEE, sender=maker)
    pool = project.Pool.at(factory.getPool(weth, usdc, FEE))
    params = (weth.address, usdc.address, FEE, 100 * 10**18, 200_000 * 10**6, 0, 0, maker, DEADLINE)
    router.addLiquidity(params, sender=maker)
    return pool


@pytest.fixture(scope="module")
def usdc_dai(project, factory, router, usdc, dai, maker, funded):
    factory.createPool(usdc, dai, 5, sender=maker)
    pool = project.Pool.at(factory.getPool(usdc, dai, 5))
    params = (
        usdc.address,
        dai.address,
        5,
        1_000_000 * 10**6,
        1_000_000 * 10**18,
        0,
        0,
        maker,
        DEADLINE,
    )
    router.addLiquidity(params, sender=maker)
    return pool
