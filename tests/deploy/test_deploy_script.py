"""`ape run deploy` against Anvil standing in for a testnet (chain id 11155111)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from crossbook.deploy import create2_address, suite_plan
from crossbook.devnet import AnvilConfig, AnvilNode

pytestmark = pytest.mark.devnet
TESTNET_CHAIN_ID = 11155111
ROOT = Path(__file__).resolve().parents[2]
APE = Path(sys.executable).with_name("ape")


@pytest.fixture
def testnet():
    with AnvilNode(AnvilConfig(chain_id=TESTNET_CHAIN_ID)) as node:
        yield node


@pytest.fixture
def keystore(tmp_path, testnet):
    """An ape keystore account (not a well-known key), funded on the testnet."""
    account = Account.create()
    data = tmp_path / "ape-data"
    (data / "accounts").mkdir(parents=True)
    keyfile = Account.encrypt(account.key, "correct horse")
    (data / "accounts" / "ci-deployer.json").write_text(json.dumps(keyfile))
    testnet.rpc("anvil_setBalance", [account.address, hex(10**20)])
    return account.address, data


def run_deploy(testnet, tmp_path, data_folder, *args):
    env = {
        **os.environ,
        "APE_DATA_FOLDER": str(data_folder),
        "APE_FOUNDRY_HOST": testnet.rpc_url,
        "APE_ACCOUNTS_ci-deployer_PASSPHRASE": "correct horse",
        "CROSSBOOK_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
        "PATH": f"{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
    }
    return subprocess.run(
        [str(APE), "run", "deploy", "--network", "ethereum:local:foundry", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_deploy_then_rerun_changes_nothing(testnet, keystore, tmp_path):
    deployer, data = keystore
    relayer = Account.create().address
    first = run_deploy(
        testnet, tmp_path, data, "--account", "ci-deployer", "--relayer", relayer, "--yes"
    )
    assert first.returncode == 0, first.stdout + first.stderr
    manifest = json.loads((tmp_path / "deployments" / f"{TESTNET_CHAIN_ID}.json").read_text())
    address = manifest["contracts"]["Settlement"]["address"]
    w3 = Web3(Web3.HTTPProvider(testnet.rpc_url))
    assert len(w3.eth.get_code(address)) > 0
    assert manifest["chain_id"] == TESTNET_CHAIN_ID
    # the address is the deterministic CREATE2 address of the planned init code
    from crossbook.artifacts import load_artifact

    planned = suite_plan(deployer, deployer)[0]
    assert address == create2_address(planned.initcode(load_artifact("Settlement").bytecode))
    nonce_after_first = w3.eth.get_transaction_count(deployer)

    second = run_deploy(
        testnet, tmp_path, data, "--account", "ci-deployer", "--relayer", relayer, "--yes"
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already deployed, skip" in second.stdout
    assert w3.eth.get_transaction_count(deployer) == nonce_after_first  # nothing broadcast


def test_well_known_devnet_key_is_refused_on_a_testnet(testnet, tmp_path):
    result = run_deploy(testnet, tmp_path, tmp_path / "ape-empty", "--account", "TEST::0", "--yes")
    assert result.returncode != 0
    assert "refusing to deploy on chain 11155111 with a well-known devnet key" in (
        result.stdout + result.stderr
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "deployments").exists()
