"""Shared ape fixtures: role accounts and token factories on ape's own Anvil."""

import os
import tempfile
from pathlib import Path

import pytest

# The wallet SDK remembers the nonces it handed out (`crossbook.client.nonces`); tests keep
# that file out of the user's home.
os.environ.setdefault(
    "CROSSBOOK_NONCE_FILE", str(Path(tempfile.mkdtemp(prefix="crossbook-nonces-")) / "nonces.json")
)


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def maker(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def taker(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def relayer(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def create_token(project, deployer):
    def create(symbol: str = "TKN", decimals: int = 18):
        return project.MockERC20.deploy(f"{symbol} token", symbol, decimals, sender=deployer)

    return create


# A chain with the suite deployed and a real relayer, for tests/client and tests/cli.
from tests.stacks import devnet_stack, testnet_stack  # noqa: E402, F401
