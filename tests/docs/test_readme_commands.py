"""The commands of the README's wallet, auditor and operator sections, run as written so they
stay true (the "Deploy to a testnet" section is the testnet rehearsal,
tests/deploy/test_rehearsal.py).

What the test changes, and only this: the ports 8545 and 8080 become free ones (other runs
share the machine), state lives in a temporary checkout (`CROSSBOOK_ROOT`: its own
`.devnet/` and `deployments/`, the real build and node_modules linked in), the wallet commands
get `CROSSBOOK_RELAYER_URL` for the moved relayer port, `make` targets run as `make -n` (a
dry run: `make test` inside `make test` would recurse) and `ape test` with `--collect-only`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossbook.devnet import AnvilConfig, Devnet
from tests.docs.readme import BIN, ROOT, Shell, free_port, section_commands

pytestmark = pytest.mark.devnet


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A scratch checkout: its own .devnet/ and deployments/, the real build linked in."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in (".build", "node_modules", "ape-config.yaml"):
        (root / name).symlink_to(ROOT / name)
    return root


@pytest.fixture
def shell(tmp_path: Path, checkout: Path) -> Iterator[Shell]:
    rpc, api = str(free_port()), str(free_port())
    env = {
        **os.environ,
        "CROSSBOOK_ROOT": str(checkout),
        "CROSSBOOK_RELAYER_URL": f"http://127.0.0.1:{api}",
        "PATH": f"{ROOT / 'node_modules' / '.bin'}:{BIN}:{os.environ['PATH']}",
    }
    for name in (
        "CROSSBOOK_PRIVATE_KEY",
        "CROSSBOOK_RPC_URL",
        "CROSSBOOK_MANIFEST_DIR",
        "CROSSBOOK_DEPLOYMENTS_DIR",
        "CROSSBOOK_DATABASE_URL",
    ):
        env.pop(name, None)
    sh = Shell(checkout, env, {"8545": rpc, "8080": api})
    yield sh
    sh.stop()
    if (checkout / ".devnet" / "state.json").exists():
        subprocess.run(
            [str(BIN / "crossbook"), "devnet", "down"],
            cwd=checkout,
            env=env,
            capture_output=True,
            timeout=60,
        )


def test_wallet_section(shell: Shell) -> None:
    lines = section_commands("Wallet")
    assert lines[0].startswith("crossbook devnet up --detach")
    shell.run(lines[0])
    assert (Path(shell.env["CROSSBOOK_ROOT"]) / "deployments" / "31337.json").is_file()
    shell.run(lines[1])  # the relayer, in the background
    shell.wait_http(f"{shell.env['CROSSBOOK_RELAYER_URL']}/health")
    outputs = {line: shell.run(line) for line in lines[2:]}
    by_start = {line.split("crossbook ", 1)[-1]: out for line, out in outputs.items()}
    assert "WETH" in by_start["balance"] and "allowance" in by_start["balance"]
    waited = next(o for c, o in by_start.items() if c.endswith("--wait"))
    assert "status        filled" in waited
    assert "filled" in by_start["order list"]
    assert "relayer" in by_start["order quote 100 USDC WETH"]
    assert "internal   0.2" in by_start["deposit WETH 0.2"]
    assert (
        "funded_from    book balance"
        in by_start["book place WETH/USDC ask 2500 0.05 --from-balance --from 1"]
    )
    assert "balance WETH   0.05" in by_start["book balance WETH/USDC --from 1"]
    exported = json.loads((shell.cwd / "order.json").read_text())
    assert exported["primaryType"] == "Order"


def test_auditor_section(tmp_path: Path) -> None:
    lines = section_commands("Auditor")
    env = {**os.environ, "PATH": f"{ROOT / 'node_modules' / '.bin'}:{BIN}:{os.environ['PATH']}"}
    shell = Shell(ROOT, env, {})
    for line in lines:
        words = shlex.split(line)
        if words[0] == "make":
            dry = shell.run(f"make -n {' '.join(words[1:])}")
            assert dry.strip(), f"`{line}` does nothing"
        else:
            assert words[:2] == ["ape", "test"], line
            collected = shell.run(f"{line} --collect-only -q -p no:cacheprovider")
            assert re.search(r"\d+ tests? collected", collected), collected


def test_operator_section(shell: Shell, checkout: Path) -> None:
    lines = section_commands("Operator")
    with Devnet.launch(
        AnvilConfig(port=int(shell.ports["8545"])), manifest_dir=checkout / "deployments"
    ):
        shell.run(lines[0])
        api = f"http://127.0.0.1:{shell.ports['8080']}"
        shell.wait_http(f"{api}/health")
        assert '"chainId":31337' in shell.run(lines[1]).replace(" ", "")
        assert "crossbook_relayer" in shell.run(lines[2])
        dsn = os.environ.get("CROSSBOOK_TEST_POSTGRES_DSN")
        if dsn:  # the PostgreSQL line, with the placeholder DSN filled in
            shell.stop()
            shell.background.clear()
            shell.run(lines[3].replace("postgresql://USER:PASSWORD@HOST/DB", dsn))
            shell.wait_http(f"{api}/health")
        shell.stop()
