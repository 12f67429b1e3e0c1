"""Settlement fixtures on ape's Anvil: the contract, funded makers with known keys, batches."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from crossbook.order import Domain, Order
from crossbook.settlement import Fill, build_batch
from crossbook.signing import address_of, sign_order

MAX_UINT = 2**256 - 1


@pytest.fixture(scope="session")
def fee_recipient(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def settlement(project, deployer, relayer, fee_recipient):
    contract = project.Settlement.deploy(deployer, fee_recipient, sender=deployer)
    contract.setRelayer(relayer, True, sender=deployer)
    return contract


@pytest.fixture(scope="module")
def domain(settlement, chain):
    return Domain(chain_id=chain.chain_id, verifying_contract=settlement.address)


@pytest.fixture(scope="module")
def weth(create_token):
    return create_token("WETH", 18)


@pytest.fixture(scope="module")
def usdc(create_token):
    return create_token("USDC", 6)


class KeyedAccount:
    """A maker whose private key the test holds (to sign orders in Python)."""

    def __init__(self, key: bytes, ape_account):
        self.key = key
        self.address = address_of(key)
        self.ape = ape_account


@pytest.fixture(scope="module")
def create_maker(accounts, settlement, weth, usdc):
    counter = iter(range(10_000))

    def create(weth_amount: int = 10 * 10**18, usdc_amount: int = 100_000 * 10**6):
        key = keccak(f"crossbook/tests/maker/{next(counter)}".encode())
        address = address_of(key)
        ape_account = accounts[address]  # impersonated on Anvil
        accounts[0].transfer(ape_account, 10**18)
        for token, amount in ((weth, weth_amount), (usdc, usdc_amount)):
            token.mint(address, amount, sender=accounts[0])
            token.approve(settlement, MAX_UINT, sender=ape_account)
        return KeyedAccount(key, ape_account)

    return create


@pytest.fixture(scope="module")
def make_order(weth, usdc):
    def make(owner, sells_weth: bool = True, **overrides):
        fields = dict(
            owner=owner.address,
            sell_token=weth.address if sells_weth else usdc.address,
            buy_token=usdc.address if sells_weth else weth.address,
            sell_amount=10**18 if sells_weth else 2_000 * 10**6,
            buy_amount=1_990 * 10**6 if sells_weth else 99 * 10**16,
            valid_to=2**32 - 1,
            nonce=0,
        )
        fields.update(overrides)
        return Order(**fields)

    return make


@pytest.fixture(scope="module")
def settle_fills(settlement, relayer, weth, usdc):
    def settle(fills, prices=None):
        prices = prices or {weth.address: 2_000 * 10**6, usdc.address: 10**18}
        batch = build_batch(fills, prices)
        return settlement.settle(*batch.args(), sender=relayer)

    return settle


@pytest.fixture(scope="module")
def signed_fill(domain):
    def fill(order: Order, maker, executed: int | None = None) -> Fill:
        sig = sign_order(order, domain, maker.key)
        return Fill(order, sig, order.sell_amount if executed is None else executed)

    return fill
