"""`ape run deploy` against Anvil standing in for a testnet (chain id 11155111)."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from web3 import Web3

from crossbook.artifacts import load_artifact
from crossbook.deploy import SuiteConfig, create2_address, suite_plan
from crossbook.devnet import AnvilConfig, AnvilNode
from crossbook.manifest import read_manifest
from tests.deploy.helpers import run_deploy, wiring
from tests.stacks import ape_keystore

pytestmark = pytest.mark.devnet
TESTNET_CHAIN_ID = 11155111
PASSPHRASE = {"APE_ACCOUNTS_ci-deployer_PASSPHRASE": "correct horse"}


@pytest.fixture
def testnet():
    with AnvilNode(AnvilConfig(chain_id=TESTNET_CHAIN_ID)) as node:
        yield node


@pytest.fixture
def keystore(tmp_path, testnet):
    """An ape keystore account (not a well-known key), funded on the testnet."""
    data = tmp_path / "ape-data"
    address = ape_keystore(data, "ci-deployer", "correct horse").address
    testnet.rpc("anvil_setBalance", [address, hex(10**20)])
    return address, data


def mock_tokens(testnet) -> list[str]:
    """WETH and USDC "already on the testnet", deployed by someone else; as --token options."""
    w3 = Web3(Web3.HTTPProvider(testnet.rpc_url))
    artifact = load_artifact("MockERC20")
    out = []
    for symbol, decimals in (("WETH", 18), ("USDC", 6)):
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx = factory.constructor(symbol, symbol, decimals).transact({"from": w3.eth.accounts[0]})
        address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        out.append(f"--token={symbol}={address}")
    return out


def test_deploy_then_rerun_changes_nothing(testnet, keystore, tmp_path):
    deployer, data = keystore
    relayer = Account.create().address
    args = ("--account", "ci-deployer", "--relayer", relayer, "--yes")
    first = run_deploy("ape", testnet.rpc_url, data, tmp_path / "deployments", *args, **PASSPHRASE)
    assert first.returncode == 0, first.stdout + first.stderr
    manifest = read_manifest(TESTNET_CHAIN_ID, tmp_path / "deployments")
    address = manifest.contracts["Settlement"].address
    w3 = Web3(Web3.HTTPProvider(testnet.rpc_url))
    assert len(w3.eth.get_code(address)) > 0
    # the address is the deterministic CREATE2 address of the planned init code
    plan = suite_plan(SuiteConfig(deployer, deployer, deployer, deployer, (relayer,)))
    assert address == create2_address(plan.initcodes["Settlement"])
    assert set(manifest.contracts) == {
        "Settlement",
        "Factory",
        "Router",
        "BookFactory",
        "HybridRouter",
    }
    nonce_after_first = w3.eth.get_transaction_count(deployer)

    second = run_deploy("ape", testnet.rpc_url, data, tmp_path / "deployments", *args, **PASSPHRASE)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("already deployed, skip") == 5
    assert "0 of 8 steps to send" in second.stdout
    assert w3.eth.get_transaction_count(deployer) == nonce_after_first  # nothing broadcast
    assert read_manifest(TESTNET_CHAIN_ID, tmp_path / "deployments").contracts == (
        manifest.contracts
    )


def test_testnet_suite_settles_with_liquidity(testnet, keystore, tmp_path):
    """The hybrid router, the settlement's liquidity sources, the default pool and book: a
    testnet deployment is wired like the devnet."""
    deployer, data = keystore
    relayer, guardian = Account.create().address, Account.create().address
    result = run_deploy(
        "ape",
        testnet.rpc_url,
        data,
        tmp_path / "deployments",
        *("--account", "ci-deployer", "--relayer", relayer, "--guardian", guardian),
        *mock_tokens(testnet),
        "--yes",
        **PASSPHRASE,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = read_manifest(TESTNET_CHAIN_ID, tmp_path / "deployments")
    w3 = Web3(Web3.HTTPProvider(testnet.rpc_url))
    wired = wiring(w3, manifest)
    assert wired["Settlement.ammFactory"] == manifest.address("Factory")
    assert wired["Settlement.bookFactory"] == manifest.address("BookFactory")
    assert wired["HybridRouter.factory"] == manifest.address("Factory")
    assert wired["Settlement.isRelayer(relayer)"] is True
    assert wired["Settlement.guardian"] == guardian
    assert wired["Factory.getPool(WETH, USDC, 30)"] == manifest.address("pool:WETH/USDC/30")
    assert wired["BookFactory.bookOf(WETH/USDC)"] == manifest.address("book:WETH/USDC")
    assert manifest.roles == {
        "owner": deployer,
        "guardian": guardian,
        "relayer": relayer,
        "fee_recipient": deployer,
    }
    assert json.loads(manifest.model_dump_json())["tokens"]["USDC"]["decimals"] == 6


def test_a_step_that_would_revert_is_named_without_a_traceback(testnet, keystore, tmp_path):
    deployer, data = keystore
    w3 = Web3(Web3.HTTPProvider(testnet.rpc_url))
    tokens = mock_tokens(testnet)

    def deploy(*args: str):
        return run_deploy(
            "ape",
            testnet.rpc_url,
            data,
            tmp_path / "deployments",
            *("--account", "ci-deployer", *tokens, *args, "--yes"),
            **PASSPHRASE,
        )

    result = deploy("--pool", "WETH/USDC/7")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "StepFailed: step 5 of 9 (create pool WETH/USDC/7): Factory.createPool(" in output
    assert "would revert: FeeTierNotEnabled(7)" in output
    # the dry run on a fork found it before anything was sent
    assert "(in the dry run on a fork; nothing was sent)" in output
    assert w3.eth.get_transaction_count(deployer) == 0
    assert not (tmp_path / "deployments").exists()

    sent = w3.eth.get_transaction_count(deployer)
    unplannable = deploy("--pool", "WETH/DAI/30")
    output = unplannable.stdout + unplannable.stderr
    assert unplannable.returncode == 1, output
    assert "PlanError: pool:WETH/DAI/30 needs token(s) DAI" in output
    assert "Traceback" not in output
    assert w3.eth.get_transaction_count(deployer) == sent


def test_well_known_devnet_key_is_refused_on_a_testnet(testnet, tmp_path):
    result = run_deploy(
        "ape",
        testnet.rpc_url,
        tmp_path / "ape-empty",
        tmp_path / "deployments",
        *("--account", "TEST::0", "--yes"),
    )
    assert result.returncode != 0
    assert "refusing to deploy on chain 11155111 with a well-known devnet key" in (
        result.stdout + result.stderr
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "deployments").exists()
