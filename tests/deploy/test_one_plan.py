"""The devnet harness and `crossbook deploy` (= `ape run deploy`) deploy one plan: the same
contracts at the same addresses, wired the same way, by the same transactions in the same
order."""

from __future__ import annotations

import pytest
from web3 import Web3

from crossbook.chain import RawCall, send_transaction
from crossbook.deploy import DETERMINISTIC_DEPLOYER, deploy_calldata, suite_plan
from crossbook.devnet import AnvilNode, Devnet
from crossbook.devnet.deploy import DEVNET_TOKENS, Roles, devnet_config
from crossbook.manifest import read_manifest
from tests.deploy.helpers import deployer_transactions, run_deploy, wiring

pytestmark = pytest.mark.devnet
ZERO = "0x0000000000000000000000000000000000000000"


def test_devnet_and_crossbook_deploy_run_the_same_plan(tmp_path):
    with Devnet.launch(manifest_dir=tmp_path / "devnet") as dn:
        accounts = [a.address for a in dn.accounts]
        deployer, guardian, relayer = accounts[0], accounts[-2], accounts[-1]
        devnet = dn.manifest
        devnet_wiring = wiring(dn.w3, devnet)
        devnet_txs = deployer_transactions(dn.w3, deployer)
        # the script against the devnet it did not deploy: everything is already there
        again = run_deploy(
            "crossbook",
            dn.node.rpc_url,
            tmp_path / "ape",
            tmp_path / "again",
            "--account",
            "TEST::0",
            "--guardian",
            guardian,
            "--relayer",
            relayer,
            *(f"--token={s}={t.address}" for s, t in devnet.tokens.items()),
            "--yes",
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert "0 of 13 steps to send" in again.stdout
        assert deployer_transactions(dn.w3, deployer) == devnet_txs

    # the expected wiring, read from the devnet's own contracts
    assert devnet_wiring == {
        "Settlement.owner": deployer,
        "Settlement.pendingOwner": ZERO,
        "Settlement.guardian": guardian,
        "Settlement.feeRecipient": deployer,
        "Settlement.isRelayer(relayer)": True,
        "Settlement.ammFactory": devnet.address("Factory"),
        "Settlement.bookFactory": devnet.address("BookFactory"),
        "Factory.owner": deployer,
        "Router.factory": devnet.address("Factory"),
        "BookFactory.owner": deployer,
        "BookFactory.feeRecipient": deployer,
        "BookFactory.takerFeePpm": 500,
        "BookFactory.makerFeePpm": -100,
        "BookFactory.bookCount": 1,
        "HybridRouter.factory": devnet.address("Factory"),
        "HybridRouter.bookFactory": devnet.address("BookFactory"),
        "Factory.getPool(WETH, USDC, 30)": devnet.address("pool:WETH/USDC/30"),
        "BookFactory.bookOf(WETH/USDC)": devnet.address("book:WETH/USDC"),
        "book.takerFeePpm": 500,
        "book.makerFeePpm": -100,
    }

    with AnvilNode() as node:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        # the devnet's tokens, deployed as its plan deploys them, stand in for existing ones
        plan = suite_plan(devnet_config(Roles(deployer, guardian, relayer, deployer)))
        for token in DEVNET_TOKENS:
            data = deploy_calldata(plan.initcodes[f"token:{token.symbol}"])
            send_transaction(w3, RawCall(DETERMINISTIC_DEPLOYER, data), deployer)
        result = run_deploy(
            "crossbook",
            node.rpc_url,
            tmp_path / "ape",
            tmp_path / "script",
            "--account",
            "TEST::0",
            "--guardian",
            guardian,
            "--relayer",
            relayer,
            *(f"--token={s}={t.address}" for s, t in devnet.tokens.items()),
            "--yes",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        script = read_manifest(31337, tmp_path / "script")
        assert wiring(w3, script) == devnet_wiring
        script_txs = deployer_transactions(w3, deployer)

    # the same contracts at the same addresses, the same tokens and roles
    devnet_contracts = {
        name: c.address for name, c in devnet.contracts.items() if not name.startswith("token:")
    }
    assert {name: c.address for name, c in script.contracts.items()} == devnet_contracts
    assert set(devnet_contracts) == {
        "Settlement",
        "Factory",
        "Router",
        "BookFactory",
        "HybridRouter",
        "pool:WETH/USDC/30",
        "book:WETH/USDC",
    }
    assert script.tokens == devnet.tokens
    assert script.roles == devnet.roles
    # the same transactions in the same order (the tokens, then the 10 steps a fresh chain
    # needs: the constructors already set the fee recipients and book fees); the devnet then
    # mints and seeds its pool
    assert len(script_txs) == 13
    assert devnet_txs[: len(script_txs)] == script_txs
