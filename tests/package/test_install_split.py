"""The package's parts: a base install (the wallet SDK and commands) that never imports the
relayer's or the deploy tooling's dependencies, the extras that hold them, and the version."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

import pytest
from click.testing import CliRunner

import crossbook
from crossbook.cli import main
from crossbook.extras import extra_requirements, missing_requirements

#: what a wallet imports: the SDK, the command tree and each wallet-side command group, and
#: what they import lazily at run time (off-chain cancellation, the well-known key check)
WALLET_MODULES = (
    "crossbook.client",
    "crossbook.cli",
    "crossbook.cli.wallet",
    "crossbook.cli.pool",
    "crossbook.cli.book",
    "crossbook.cli.swap",
    "crossbook.amm",
    "crossbook.book",
    "crossbook.hybrid",
    "crossbook.chain",
    "crossbook.manifest",
    "crossbook.relayer.cancellation",
    "crossbook.devnet.accounts",
)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_modules(extra: str) -> set[str]:
    """The importable top-level names of the distributions `extra` adds."""
    names = {normalized(n) for n in extra_requirements(extra)}
    return {
        module
        for module, dists in metadata.packages_distributions().items()
        if any(normalized(d) in names for d in dists)
    }


@pytest.mark.parametrize("extra", ["relayer", "deploy"])
def test_the_wallet_imports_nothing_of_an_extra(extra: str) -> None:
    forbidden = top_level_modules(extra)
    assert {"relayer": "fastapi", "deploy": "ape"}[extra] in forbidden
    code = (
        "import importlib, sys\n"
        f"for name in {WALLET_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported = set(out.stdout.split())
    assert "web3" in imported and "crossbook" in imported
    assert not imported & forbidden, f"the wallet imports {sorted(imported & forbidden)}"


def test_extras_split_the_dependencies() -> None:
    requirements = metadata.requires("crossbook") or []
    base = {normalized(re.split(r"[\[<>=!~ ]", r)[0]) for r in requirements if ";" not in r}
    relayer = {normalized(n) for n in extra_requirements("relayer")}
    deploy = {normalized(n) for n in extra_requirements("deploy")}
    assert {"web3", "eth-account", "httpx", "click", "pydantic"} <= base
    assert {"fastapi", "sqlalchemy", "alembic", "uvicorn", "psycopg"} <= relayer
    assert {"eth-ape", "ape-solidity", "ape-foundry"} <= deploy
    assert not base & (relayer | deploy)
    # `make setup` installs `.[dev]`: the checkout gets both extras and the test tools
    dev = [r for r in requirements if 'extra == "dev"' in r]
    assert any(r.startswith("crossbook[deploy,relayer]") for r in dev), dev
    assert missing_requirements("dev") == missing_requirements("relayer") == []


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"crossbook, version {crossbook.__version__}\n"
    assert metadata.version("crossbook") == crossbook.__version__
