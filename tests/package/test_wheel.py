"""The SDK as its users get it: `python -m build` makes a wheel; installed with its base
dependencies into a fresh virtualenv outside the checkout (no ape, no `.build`, no node, no
relayer), `crossbook` and `crossbook.client` trade against a real node and relayer.

The README's "Install the SDK" commands build and install it, in a copy of the checkout's
package files whose known deployments are the test stack's (Anvil as chain 11155111, deployed
by `crossbook deploy`), written the way `make build` writes them: the installed wallet finds
the contracts with no `--manifest-dir`. pip installs the base dependencies from the package
registry as pip is configured on this machine; its cache makes repeats quick.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

import crossbook
from crossbook.chain import contract_at, send_transaction
from crossbook.client import LocalSigner
from crossbook.extras import extra_requirements
from crossbook.manifest import write_shipped_manifests
from tests.docs.test_readme_commands import section_commands
from tests.stacks import TESTNET_CHAIN_ID, Stack

pytestmark = [pytest.mark.devnet, pytest.mark.wheel]
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Installed:
    """The wheel, the virtualenv it is installed in, and a folder outside the checkout that
    the commands run in (their working directory and HOME)."""

    wheel: Path
    source: Path  # the package tree the wheel was built from
    venv: Path
    home: Path

    def env(self, stack: Stack, **extra: str) -> dict[str, str]:
        """Nothing of the checkout or of the test's own environment: the venv on PATH, the
        stack's node and relayer."""
        return {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.home),
            "CROSSBOOK_NONCE_FILE": str(self.home / "nonces.json"),
            "CROSSBOOK_RPC_URL": stack.rpc_url,
            "CROSSBOOK_RELAYER_URL": stack.relayer_url,
            **extra,
        }

    def run(
        self, argv: list[str], env: dict[str, str], code: int = 0
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            argv, cwd=self.home, env=env, capture_output=True, text=True, timeout=120
        )
        output = done.stdout + done.stderr
        assert done.returncode == code, f"{argv} exited {done.returncode}:\n{output}"
        assert "Traceback" not in output, output
        return done

    def crossbook(
        self, stack: Stack, *args: str, key: str | None = None, code: int = 0
    ) -> subprocess.CompletedProcess[str]:
        env = self.env(stack, **({"CROSSBOOK_PRIVATE_KEY": key} if key else {}))
        return self.run([str(self.venv / "bin" / "crossbook"), *args], env, code)

    def python(self, stack: Stack, code: str) -> subprocess.CompletedProcess[str]:
        return self.run([str(self.venv / "bin" / "python"), "-c", code], self.env(stack))


def pip_environment() -> dict[str, str]:
    """The test's environment (pip's settings on this machine) without its virtualenv."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(ROOT))
    )
    return env


@pytest.fixture(scope="module")
def installed(testnet_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The README's "Install the SDK" commands, run in a copy of the checkout's package
    files: build, a fresh virtualenv (here in a temporary folder), install, `--version`."""
    base = tmp_path_factory.mktemp("wheel")
    source, venv, home = base / "checkout", base / "venv", base / "home"
    (source / "src").mkdir(parents=True)
    home.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    package = source / "src" / "crossbook"
    shutil.copytree(
        ROOT / "src" / "crossbook", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    write_shipped_manifests(testnet_stack.manifest_dir, package / "deployments")

    lines = section_commands("Install the SDK")
    assert [shlex.split(line)[1:3] for line in lines[:2]] == [["-m", "build"], ["-m", "venv"]]
    env = pip_environment()
    outputs = []
    for line in lines:
        line = line.replace(".venv/bin/python", sys.executable).replace("/tmp/wallet", str(venv))
        done = subprocess.run(
            shlex.split(line), cwd=source, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, (
            f"`{line}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
        outputs.append(done.stdout)
    assert outputs[-1] == f"crossbook, version {crossbook.__version__}\n"
    (wheel,) = (source / "dist").glob("crossbook-*.whl")
    return Installed(wheel, package, venv, home)


def fresh_trader(stack: Stack) -> LocalAccount:
    """A key of nobody's, with ether and 10,000 of each of the stack's tokens."""
    account: LocalAccount = Account.create()
    stack.w3.provider.make_request("anvil_setBalance", [account.address, hex(10**20)])
    signer = LocalSigner(bytes(account.key))
    for info in stack.manifest.tokens.values():
        token = contract_at(stack.w3, "MockERC20", info.address)
        mint = token.functions.mint(account.address, 10_000 * 10**info.decimals)
        send_transaction(stack.w3, mint, signer, f"mint {info.symbol}")
    return account


def test_the_wheel_carries_every_file_of_the_package(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    files = {
        "crossbook/" + p.relative_to(installed.source).as_posix()
        for p in installed.source.rglob("*")
        if p.is_file()
    }
    assert files - names == set(), "package-data in pyproject.toml misses these"
    assert f"crossbook/deployments/{TESTNET_CHAIN_ID}.json" in names
    assert {"crossbook/chain/abis/Settlement.json", "crossbook/py.typed"} <= names


def test_a_base_install_has_no_relayer_no_ape(installed: Installed, testnet_stack: Stack) -> None:
    listed = installed.python(
        testnet_stack,
        "import importlib.metadata as m, crossbook\n"
        "print(crossbook.__file__)\n"
        "print(' '.join(d.metadata['Name'].lower() for d in m.distributions()))",
    ).stdout.splitlines()
    assert listed[0].startswith(str(installed.venv))  # not the checkout's crossbook
    installed_names = {n.replace("_", "-") for n in listed[1].split()}
    assert {"crossbook", "web3", "eth-account", "httpx"} <= installed_names
    extras = {n.lower() for e in ("relayer", "deploy") for n in extra_requirements(e)}
    assert {"fastapi", "sqlalchemy", "eth-ape"} <= extras
    assert not installed_names & extras
    path = installed.env(testnet_stack)["PATH"]
    assert shutil.which("anvil", path=path) is None and shutil.which("ape", path=path) is None


def test_the_installed_cli_and_sdk_trade(installed: Installed, testnet_stack: Stack) -> None:
    stack = testnet_stack
    seller, buyer = fresh_trader(stack), fresh_trader(stack)
    seller_key = "0x" + bytes(seller.key).hex()
    installed.crossbook(stack, "approve", "WETH", key=seller_key)
    placed = json.loads(
        installed.crossbook(
            stack, "order", "place", "0.5", "WETH", "1000", "USDC", "--json", key=seller_key
        ).stdout
    )
    ask = httpx.get(f"{stack.relayer_url}/v1/orders/{placed['uid']}", timeout=10).json()
    assert ask["owner"] == seller.address and ask["status"] == "open"

    sdk = installed.python(
        stack,
        "import json\n"
        "from crossbook.client import LocalSigner, Wallet\n"
        f"with Wallet.connect(LocalSigner({bytes(buyer.key)!r}), rpc_url={stack.rpc_url!r},\n"
        f"                    relayer_url={stack.relayer_url!r}) as wallet:\n"
        "    wallet.approve('USDC')\n"
        "    placed = wallet.place('USDC', '1000', 'WETH', '0.5')\n"
        "    print(json.dumps({'uid': placed.uid, **wallet.wait(placed.uid)}))\n",
    )
    bid = json.loads(sdk.stdout)
    assert bid["status"] == "filled", bid
    ask = httpx.get(f"{stack.relayer_url}/v1/orders/{placed['uid']}", timeout=10).json()
    assert ask["status"] == "filled", ask


def test_another_network_takes_its_manifest_folder(
    installed: Installed, devnet_stack: Stack
) -> None:
    key = "0x" + bytes(Account.create().key).hex()
    refused = installed.crossbook(devnet_stack, "balance", key=key, code=1).stderr
    assert refused.startswith("Error: WrongNetwork: the node at ")
    assert f"the package knows the deployments of chains: {TESTNET_CHAIN_ID}" in refused
    assert refused.count("\n") == 1
    folder = ("--manifest-dir", str(devnet_stack.manifest_dir))
    shown = installed.crossbook(devnet_stack, "balance", *folder, key=key).stdout
    assert "WETH" in shown and "USDC" in shown
    quote = installed.crossbook(
        devnet_stack, "pool", "quote", "WETH", "USDC", "1", *folder, "--json"
    )
    assert json.loads(quote.stdout)["amount_out"].endswith(" USDC")


ERRORS = {
    "relayer run": "Error: MissingExtra: `crossbook relayer run` needs the 'relayer' extra (not",
    "devnet up": "Error: CheckoutRequired: `crossbook devnet up` runs from a crossbook checkout",
    "deploy --yes": "Error: CheckoutRequired: `crossbook deploy` runs from a crossbook checkout",
    "bench gas": "Error: CheckoutRequired: `crossbook bench gas` runs from a crossbook checkout",
}


@pytest.mark.parametrize("command", list(ERRORS))
def test_the_checkouts_tooling_says_what_it_needs(
    installed: Installed, testnet_stack: Stack, command: str
) -> None:
    done = installed.crossbook(testnet_stack, *command.split(), code=1)
    assert done.stderr.startswith(ERRORS[command]) and done.stderr.count("\n") == 1, done.stderr
    if command == "relayer run":
        assert done.stderr.endswith("pip install 'crossbook[relayer]'\n")
    assert (
        "Usage: crossbook " in installed.crossbook(testnet_stack, *command.split(), "--help").stdout
    )


def test_deploy_from_a_checkout_names_the_deploy_extra(
    installed: Installed, testnet_stack: Stack
) -> None:
    env = installed.env(testnet_stack, CROSSBOOK_ROOT=str(ROOT))
    done = installed.run([str(installed.venv / "bin" / "crossbook"), "deploy", "--yes"], env, 1)
    missing = ", ".join(extra_requirements("deploy"))
    assert done.stderr == (
        f"Error: MissingExtra: `crossbook deploy` needs the 'deploy' extra (not installed: "
        f"{missing}): pip install 'crossbook[deploy]'\n"
    )
