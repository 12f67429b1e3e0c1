"""The commands of the README's wallet, deployer, auditor and operator sections, run as
written so they stay true.

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
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account

from crossbook.devnet import AnvilConfig, AnvilNode, Devnet

pytestmark = pytest.mark.devnet
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
README = ROOT / "README.md"


def section_commands(prefix: str) -> list[str]:
    """The lines of the ```sh blocks of the README section whose heading starts with prefix."""
    text = README.read_text()
    match = re.search(rf"^## {prefix}.*?(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, f"README has no '## {prefix}' section"
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", match.group(0), flags=re.S):
        lines += [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines, f"the {prefix} section has no commands"
    return lines


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Shell:
    """Runs README lines: `export`, `VAR=value cmd`, a trailing `&` for background."""

    def __init__(self, cwd: Path, env: dict[str, str], ports: dict[str, str]) -> None:
        self.cwd, self.env, self.ports = cwd, env, ports
        self.background: list[subprocess.Popen[str]] = []
        self.outputs: list[str] = []

    def argv(self, line: str) -> tuple[list[str], dict[str, str], bool]:
        for old, new in self.ports.items():
            line = line.replace(old, new)
        background = line.endswith("&")
        words = shlex.split(line.rstrip("&").strip())
        env = dict(self.env)
        if words[0] == "export":
            for word in words[1:]:
                name, _, value = word.partition("=")
                self.env[name] = value
            return [], env, False
        while re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        tool = {"crossbook": str(BIN / "crossbook"), "ape": str(BIN / "ape")}.get(words[0])
        if tool:
            words[0] = tool
        return words, env, background

    def run(self, line: str, timeout: float = 300) -> str:
        words, env, background = self.argv(line)
        if not words:
            return ""
        if Path(words[0]).name == "curl":
            reply = httpx.get(words[-1], timeout=10)
            assert reply.status_code == 200, f"{line}: {reply.status_code} {reply.text}"
            return reply.text
        if background:
            log = open(self.cwd / f"bg{len(self.background)}.log", "w")  # noqa: SIM115
            proc = subprocess.Popen(
                words, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
            )
            self.background.append(proc)
            return ""
        done = subprocess.run(
            words, cwd=self.cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"`{line}` exited {done.returncode}:\n{output}"
        assert "Traceback" not in output, output
        self.outputs.append(output)
        return output

    def wait_http(self, url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert all(p.poll() is None for p in self.background), self.logs()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{url} did not come up: {self.logs()}")

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.cwd.glob("bg*.log")))

    def stop(self) -> None:
        for proc in self.background:
            proc.terminate()
        for proc in self.background:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


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


def test_deployer_section(tmp_path: Path) -> None:
    lines = section_commands("Deployer")
    data = tmp_path / "ape"
    (data / "accounts").mkdir(parents=True)
    deployer = Account.create()
    (data / "accounts" / "deployer.json").write_text(
        json.dumps(Account.encrypt(deployer.key, "pw"))
    )
    with AnvilNode(AnvilConfig(chain_id=11_155_111)) as node:  # Anvil standing in for Sepolia
        node.rpc("anvil_setBalance", [deployer.address, hex(10**20)])
        env = {
            **os.environ,
            "APE_DATA_FOLDER": str(data),
            "APE_FOUNDRY_HOST": node.rpc_url,
            "APE_ACCOUNTS_deployer_PASSPHRASE": "pw",
            "CROSSBOOK_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
            "PATH": f"{ROOT / 'node_modules' / '.bin'}:{BIN}:{os.environ['PATH']}",
        }
        shell = Shell(ROOT, env, {})
        first = shell.run(lines[0])
        assert first.count("  deploy\n") == 5 and "wrote" in first
        second = shell.run(lines[1])
        assert second.count("already deployed, skip") == 5
    manifest = json.loads((tmp_path / "deployments" / "11155111.json").read_text())
    assert {"Settlement", "Factory", "Router", "BookFactory", "HybridRouter"} <= set(
        manifest["contracts"]
    )


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
