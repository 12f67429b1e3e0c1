"""The devnet harness and `crossbook deploy` (= `ape run deploy`) deploy one plan: the same
contracts, wired the same way, by the same steps in the same order."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from crossbook.artifacts import load_artifact
from crossbook.deploy import ExistingToken, PlannedCall, PlannedContract, SuiteConfig, suite_plan
from crossbook.devnet import AnvilNode, Devnet
from crossbook.devnet.deploy import Roles, devnet_config
from crossbook.manifest import Manifest, read_manifest
from tests.deploy.helpers import deployer_transactions, run_deploy, wiring

pytestmark = pytest.mark.devnet
ZERO = "0x0000000000000000000000000000000000000000"


def by_name(wired: dict[str, Any], manifest: Manifest) -> dict[str, Any]:
    """`wired` with each address of the deployment replaced by its manifest entry."""
    names = {c.address.lower(): name for name, c in manifest.contracts.items()}
    names.update({t.address.lower(): f"token:{s}" for s, t in manifest.tokens.items()})
    names.update({a.lower(): f"role:{r}" for r, a in manifest.roles.items() if a})
    return {k: names.get(v.lower(), v) if isinstance(v, str) else v for k, v in wired.items()}


def existing_tokens(w3: Web3, deployer: str) -> list[str]:
    """WETH and USDC deployed by someone else, as `--token` options."""
    artifact = load_artifact("MockERC20")
    out = []
    for symbol, decimals in (("WETH", 18), ("USDC", 6), ("DAI", 18)):
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx = factory.constructor(symbol, symbol, decimals).transact({"from": deployer})
        out.append(f"--token={symbol}={w3.eth.wait_for_transaction_receipt(tx)['contractAddress']}")
    return out


def test_devnet_and_crossbook_deploy_run_the_same_plan(tmp_path):
    with Devnet.launch(manifest_dir=tmp_path / "devnet") as dn:
        accounts = [a.address for a in dn.accounts]
        deployer, guardian, relayer = accounts[0], accounts[-2], accounts[-1]
        devnet = dn.manifest
        devnet_wiring = wiring(dn.w3, devnet)
        devnet_txs = deployer_transactions(dn.w3, deployer)
        roles = ("--guardian", guardian, "--relayer", relayer)
        # the script against the devnet it did not deploy, reading the devnet's manifest:
        # with the same placement, everything is already there
        again = run_deploy(
            "crossbook",
            dn.node.rpc_url,
            tmp_path / "ape",
            tmp_path / "devnet",
            *("--account", "TEST::0", "--placement", "create", *roles),
            *(f"--token={s}={t.address}" for s, t in devnet.tokens.items()),
            "--yes",
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert "0 of 10 steps to send" in again.stdout
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
        tokens = existing_tokens(w3, w3.eth.accounts[1])
        result = run_deploy(
            "crossbook",
            node.rpc_url,
            tmp_path / "ape",
            tmp_path / "script",
            *("--account", "TEST::0", *roles, *tokens, "--yes"),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        script = read_manifest(31337, tmp_path / "script")
        script_wiring = wiring(w3, script)

    # the same contracts (at CREATE2 addresses here), wired the same way
    assert set(script.contracts) == {n for n in devnet.contracts if not n.startswith("token:")}
    assert by_name(script_wiring, script) == by_name(devnet_wiring, devnet)
    assert set(script.tokens) == set(devnet.tokens)
    assert script.roles == devnet.roles
    # the same steps in the same order; the devnet's plan also deploys its tokens and funds
    devnet_plan = suite_plan(
        devnet_config(Roles(deployer, guardian, relayer, deployer), (deployer,))
    )
    existing = tuple(ExistingToken(s, t.address, t.decimals) for s, t in devnet.tokens.items())
    script_plan = suite_plan(
        SuiteConfig(deployer, deployer, deployer, guardian, (relayer,), existing)
    )

    def steps(plan: Any) -> list[str]:
        return [
            s.name if isinstance(s, PlannedContract) else f"{s.target}.{s.function}"
            for s in plan.steps
            if not (isinstance(s, PlannedContract) and s.name.startswith("token:"))
            and not (isinstance(s, PlannedCall) and s.function in ("mint", "approve"))
            and not (isinstance(s, PlannedCall) and s.function == "addLiquidity")
        ]

    assert steps(script_plan) == steps(devnet_plan)
    assert len(script_plan.steps) == 10
