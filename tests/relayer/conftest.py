"""Relayer fixtures: databases (SQLite always, PostgreSQL from CROSSBOOK_TEST_POSTGRES_DSN),
an API context with a fake chain (no Anvil), keyed wallets, and one approved devnet shared
by the tests that undo what they do to it (`shared_devnet`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_hash.auto import keccak
from sqlalchemy import text

from crossbook.devnet import Devnet, MiningMode
from crossbook.order import Domain
from crossbook.relayer.api import create_app
from crossbook.relayer.chain import ChainReadError
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.db import create_db_engine, migrate
from crossbook.relayer.matching import markets_for
from crossbook.relayer.settings import RelayerSettings
from crossbook.relayer.store import Store
from crossbook.relayer.validation import OrderValidator
from crossbook.signing import address_of
from tests.relayer.chain_helpers import approved_devnet

PG_DSN = os.environ.get("CROSSBOOK_TEST_POSTGRES_DSN")
WETH = "0x" + "11" * 20
USDC = "0x" + "22" * 20
DAI = "0x" + "33" * 20
SETTLEMENT = "0x" + "44" * 20
TOKENS = [("WETH", WETH), ("USDC", USDC), ("DAI", DAI)]


class Wallet:
    def __init__(self, seed: str) -> None:
        self.key = keccak(seed.encode())
        self.address = address_of(self.key)


class FakeChain:
    """Balances and allowances the tests set; EIP-1271 wallets that accept one signature."""

    def __init__(self) -> None:
        self.balances: dict[tuple[str, str], int] = {}
        self.allowances: dict[tuple[str, str], int] = {}
        self.default = 10**30
        self.wallets_1271: dict[str, bytes] = {}
        self.down = False  # the node is unreachable: nothing cached, every read fails

    def _read(self, table: dict[tuple[str, str], int], owner: str, token: str) -> int:
        if self.down:
            raise ChainReadError("connection refused (FakeChain.down)")
        return table.get((owner, token), self.default)

    def balance(self, owner: str, token: str) -> int:
        return self._read(self.balances, owner, token)

    def allowance(self, owner: str, token: str) -> int:
        return self._read(self.allowances, owner, token)

    def internal_balance(self, owner: str, token: str) -> int:
        return 0

    def is_valid_1271(self, owner: str, uid: bytes, signature: bytes) -> bool:
        return self.wallets_1271.get(owner) == signature

    def presigned(self, owner: str, uid: bytes) -> bool:
        return False

    def peek(self, kind: str, owner: str, token: str) -> int | None:
        if self.down:
            return None
        read = {"balance": self.balance, "allowance": self.allowance}.get(kind)
        return read(owner, token) if read is not None else self.internal_balance(owner, token)


def _fresh_postgres(dsn: str) -> Iterator[str]:
    """A private schema per test run, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(dsn)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in dsn else "?"
    yield f"{dsn}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


_NO_PG = "set CROSSBOOK_TEST_POSTGRES_DSN (.ci/postgres.sh prints one)"
DB_KINDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(PG_DSN is None, reason=_NO_PG)),
]


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/relayer.db"
    else:
        assert PG_DSN is not None
        yield from _fresh_postgres(PG_DSN)


@pytest.fixture
def domain() -> Domain:
    return Domain(chain_id=31337, verifying_contract=SETTLEMENT)


@pytest.fixture
def fake_chain() -> FakeChain:
    return FakeChain()


@pytest.fixture
def make_ctx(db_url: str, domain: Domain, fake_chain: FakeChain) -> Any:
    engines = []

    def make(**overrides: Any) -> RelayerContext:
        settings = RelayerSettings(database_url=db_url, run_worker=False, **overrides)
        engine = create_db_engine(db_url)
        engines.append(engine)
        migrate(engine)
        markets = markets_for(TOKENS)
        validator = OrderValidator(
            domain,
            markets,
            fake_chain,
            min_valid_for_s=settings.min_valid_for_s,
            check_balances=settings.check_balances,
        )
        return RelayerContext(
            settings=settings,
            domain=domain,
            markets=markets,
            symbols={a: s for s, a in TOKENS},
            store=Store(engine),
            validator=validator,
            decimals={WETH: 18, USDC: 6, DAI: 18},
        )

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def app_ctx(make_ctx: Any) -> Any:
    def make(**overrides: Any) -> tuple[Any, RelayerContext]:
        ctx = make_ctx(**overrides)
        return create_app(ctx), ctx

    return make


@pytest.fixture(scope="session")
def _approved_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    with approved_devnet(tmp_path_factory.mktemp("shared-manifests")) as dn:
        yield dn


@pytest.fixture
def shared_devnet(_approved_chain: Devnet) -> Iterator[Devnet]:
    """One approved devnet for the session (a launch and deploy costs seconds); what a test
    did to it (blocks, balances, mining mode) is undone afterwards (`evm_revert`)."""
    snapshot = _approved_chain.node.snapshot()
    yield _approved_chain
    _approved_chain.node.set_mining(MiningMode.AUTO)
    _approved_chain.node.revert(snapshot)
