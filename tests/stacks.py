"""A chain with the suite deployed plus a real relayer in front of it, for the wallet SDK and
CLI tests (tests/client, tests/cli). Two kinds:

- `devnet_stack`: the devnet harness (chain 31337, dev keys allowed);
- `testnet_stack`: Anvil as chain 11155111 ("Sepolia"), the suite deployed by `crossbook
  deploy` (= `ape run deploy`) from an ape keystore account, mock tokens recorded with
  `--token`, a relayer with a key of its own; wallets are fresh keys.

The relayer is the relayer tests' harness: `crossbook.relayer.service.build` served by
`tests.relayer.helpers.serve`. Both read the deployment manifest. Session-scoped: tests/client
and tests/cli share one of each.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from eth_account import Account
from pydantic import SecretStr
from web3 import Web3

from crossbook.artifacts import load_artifact
from crossbook.chain import wait_for_receipt
from crossbook.devnet import AnvilConfig, AnvilNode, Devnet
from crossbook.manifest import Manifest, read_manifest
from tests.relayer.helpers import serve

if TYPE_CHECKING:
    from crossbook.relayer.settings import RelayerSettings

ROOT = Path(__file__).resolve().parents[1]
TESTNET_CHAIN_ID = 11_155_111
CROSSBOOK = Path(sys.executable).with_name("crossbook")


@dataclass
class Trader:
    address: str
    key: bytes

    @property
    def key_hex(self) -> str:
        return "0x" + self.key.hex()


@dataclass
class Stack:
    name: str
    rpc_url: str
    relayer_url: str
    chain_id: int
    manifest_dir: Path
    w3: Web3
    traders: list[Trader]  # funded with ether and tokens; none has approved anything yet
    ape_data: Path | None = None  # testnet: APE_DATA_FOLDER holding the deployer's keystore
    deployer: str | None = None

    @property
    def manifest(self) -> Manifest:
        return read_manifest(self.chain_id, self.manifest_dir)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for the CLI against this stack."""
        return {
            "CROSSBOOK_RPC_URL": self.rpc_url,
            "CROSSBOOK_RELAYER_URL": self.relayer_url,
            "CROSSBOOK_MANIFEST_DIR": str(self.manifest_dir),
            **extra,
        }


def relayer_settings(rpc_url: str, manifest_dir: Path, db: str, **kw: Any) -> RelayerSettings:
    from crossbook.relayer.settings import RelayerSettings

    return RelayerSettings(
        rpc_url=rpc_url,
        manifest_dir=manifest_dir,
        database_url=db,
        batch_interval_s=0.3,
        receipt_poll_s=0.05,
        rate_limit_ip_per_s=0,
        rate_limit_owner_per_s=0,
        **kw,
    )


def mint(w3: Web3, manifest: Manifest, to: str, sender: str, units: int = 10_000) -> None:
    abi = load_artifact("MockERC20").abi
    for info in manifest.tokens.values():
        token = w3.eth.contract(address=Web3.to_checksum_address(info.address), abi=abi)
        tx = token.functions.mint(to, units * 10**info.decimals).transact({"from": sender})
        wait_for_receipt(w3, tx, "mint")


@pytest.fixture(scope="session")
def devnet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    manifest_dir = tmp_path_factory.mktemp("devnet-manifests")
    db = tmp_path_factory.mktemp("devnet-relayer") / "relayer.db"
    from crossbook.relayer.service import build

    with Devnet.launch(manifest_dir=manifest_dir) as dn:
        relayer = build(relayer_settings(dn.node.rpc_url, manifest_dir, f"sqlite:///{db}"))
        with serve(relayer.app) as url:
            traders = [Trader(a.address, a.private_key) for a in dn.accounts[1:7]]
            yield Stack(
                "devnet", dn.node.rpc_url, url, dn.manifest.chain_id, manifest_dir, dn.w3, traders
            )


def run_crossbook_deploy(
    rpc_url: str, manifest_dir: Path, ape_data: Path, alias: str, passphrase: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """`crossbook deploy --network ethereum:local:foundry --account <alias> ARGS`."""
    env = {
        **os.environ,
        "APE_DATA_FOLDER": str(ape_data),
        "APE_FOUNDRY_HOST": rpc_url,
        f"APE_ACCOUNTS_{alias}_PASSPHRASE": passphrase,
        "CROSSBOOK_DEPLOYMENTS_DIR": str(manifest_dir),
    }
    return subprocess.run(
        [
            str(CROSSBOOK),
            "deploy",
            "--network",
            "ethereum:local:foundry",
            "--account",
            alias,
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ape_keystore(data_folder: Path, alias: str, passphrase: str) -> Any:
    """A fresh account stored as ape's keystore `alias` under `data_folder`."""
    account = Account.create()
    (data_folder / "accounts").mkdir(parents=True, exist_ok=True)
    keyfile = Account.encrypt(account.key, passphrase)
    (data_folder / "accounts" / f"{alias}.json").write_text(json.dumps(keyfile))
    return account


@pytest.fixture(scope="session")
def testnet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from crossbook.relayer.service import build

    base = tmp_path_factory.mktemp("testnet")
    manifest_dir, ape_data = base / "deployments", base / "ape-data"
    with AnvilNode(AnvilConfig(chain_id=TESTNET_CHAIN_ID)) as node:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
        fund = [hex(10**21)]
        deployer = ape_keystore(ape_data, "sepolia-deployer", "correct horse")
        relayer_key = Account.create()
        traders = [Account.create() for _ in range(6)]
        token_owner = Account.create()
        for account in (deployer, relayer_key, token_owner, *traders):
            node.rpc("anvil_setBalance", [account.address, *fund])
        # tokens "already on the testnet": mock ERC-20s deployed by someone else
        node.rpc("anvil_impersonateAccount", [token_owner.address])
        artifact = load_artifact("MockERC20")
        tokens = []
        for symbol, decimals in (("WETH", 18), ("USDC", 6)):
            factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
            tx = factory.constructor(f"{symbol} (test)", symbol, decimals).transact(
                {"from": token_owner.address}
            )
            address = wait_for_receipt(w3, tx, f"deploy {symbol}")["contractAddress"]
            tokens.append(f"{symbol}={address}")
        result = run_crossbook_deploy(
            node.rpc_url,
            manifest_dir,
            ape_data,
            "sepolia-deployer",
            "correct horse",
            "--relayer",
            relayer_key.address,
            *(a for t in tokens for a in ("--token", t)),
            "--yes",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        manifest = read_manifest(TESTNET_CHAIN_ID, manifest_dir)
        for trader in traders:
            mint(w3, manifest, trader.address, token_owner.address)
        db = base / "relayer.db"
        settings = relayer_settings(
            node.rpc_url,
            manifest_dir,
            f"sqlite:///{db}",
            relayer_key=SecretStr(relayer_key.key.hex()),
        )
        relayer = build(settings)
        with serve(relayer.app) as url:
            yield Stack(
                "testnet",
                node.rpc_url,
                url,
                TESTNET_CHAIN_ID,
                manifest_dir,
                w3,
                [Trader(t.address, bytes(t.key)) for t in traders],
                ape_data,
                deployer.address,
            )
        with contextlib.suppress(Exception):
            node.rpc("anvil_stopImpersonatingAccount", [token_owner.address])
