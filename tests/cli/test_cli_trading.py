"""A wallet trades end to end through the `crossbook` CLI against a real relayer on Anvil
standing in for a testnet (chain 11155111, deployed with `crossbook deploy`); keys from
CROSSBOOK_PRIVATE_KEY, --key-file and --account (an ape keystore)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from tests.cli.conftest import as_json, crossbook
from tests.stacks import Stack, run_crossbook_deploy

pytestmark = pytest.mark.devnet


@pytest.fixture(scope="module")
def stack(testnet_stack: Stack) -> Stack:
    return testnet_stack


def test_balance_approve_place_fill_status_list(stack: Stack) -> None:
    seller, buyer = stack.traders[4], stack.traders[5]
    balance = as_json(crossbook(stack, "balance", "--json", key=seller.key_hex))
    assert balance["address"] == seller.address and balance["chain_id"] == 11_155_111
    weth_row = next(t for t in balance["tokens"] if t["token"] == "WETH")
    assert weth_row["wallet"] == "10000" and weth_row["allowance"] == "0"

    table = crossbook(stack, "balance", key=seller.key_hex).stdout
    assert "token" in table and "WETH" in table and "10000" in table

    approved = as_json(crossbook(stack, "approve", "WETH", "--json", key=seller.key_hex))
    assert approved["allowance"] == "unlimited" and approved["via"] == "approve"
    permitted = as_json(
        crossbook(stack, "approve", "USDC", "5000", "--permit", "--json", key=buyer.key_hex)
    )
    assert permitted["via"] == "permit" and permitted["allowance"] == "5000"

    ask = as_json(
        crossbook(
            stack, "order", "place", "0.5", "WETH", "1000", "USDC", "--json", key=seller.key_hex
        )
    )
    assert ask["status"] == "open" and ask["sell"] == "0.5 WETH"
    assert ask["buy_at_least"] == "1000 USDC" and ask["created"] is True
    bid = as_json(
        crossbook(
            stack, *shlex.split("order place 1000 USDC 0.5 WETH --wait --json"), key=buyer.key_hex
        )
    )
    assert bid["status"] == "filled" and bid["bought"] == "0.5 WETH"

    status = as_json(crossbook(stack, "order", "status", ask["uid"], "--wait", "--json"))
    assert status["status"] == "filled" and status["sold"] == "0.5 WETH"
    assert status["bought"] == "1000 USDC"
    listed = as_json(crossbook(stack, "order", "list", "--json", key=seller.key_hex))
    assert {"uid": ask["uid"], "status": "filled"}.items() <= next(
        o for o in listed if o["uid"] == ask["uid"]
    ).items()
    table = crossbook(stack, "order", "list", "--address", seller.address).stdout
    assert "filled" in table and "0.5 WETH" in table

    after = as_json(crossbook(stack, "balance", "WETH", "USDC", "--json", key=seller.key_hex))
    holdings = {t["token"]: t["wallet"] for t in after["tokens"]}
    assert holdings == {"WETH": "9999.5", "USDC": "11000"}


def test_deposit_withdraw_and_cancel(stack: Stack, tmp_path: Path) -> None:
    trader = stack.traders[4]
    key_file = tmp_path / "key"
    key_file.write_text(trader.key_hex + "\n")
    deposited = as_json(
        crossbook(stack, "deposit", "WETH", "0.25", "--json", "--key-file", str(key_file))
    )
    assert deposited["internal"] == "0.25"
    withdrawn = as_json(
        crossbook(stack, "withdraw", "WETH", "0.25", "--json", "--key-file", str(key_file))
    )
    assert withdrawn["internal"] == "0"

    resting = as_json(
        crossbook(
            stack,
            *shlex.split("order place 0.1 WETH 1000000 USDC --partial --json"),
            key=trader.key_hex,
        )
    )
    off = as_json(crossbook(stack, "order", "cancel", resting["uid"], "--json", key=trader.key_hex))
    assert off["status"] == "cancelled"
    on = as_json(
        crossbook(
            stack, "order", "cancel", resting["uid"], "--on-chain", "--json", key=trader.key_hex
        )
    )
    assert on["cancelled"] == "on chain" and on["tx"].startswith("0x")


def test_ape_account_and_external_signer(stack: Stack, tmp_path: Path) -> None:
    trader = stack.traders[5]
    data = tmp_path / "ape"
    keyfile = Account.encrypt(trader.key, "hunter2")
    (data / "accounts").mkdir(parents=True)
    (data / "accounts" / "trader.json").write_text(json.dumps(keyfile))
    env: dict[str, str | None] = {
        "APE_DATA_FOLDER": str(data),
        "APE_ACCOUNTS_trader_PASSPHRASE": "hunter2",
    }
    shown = as_json(crossbook(stack, "balance", "--account", "trader", "--json", env=env))
    assert shown["address"] == trader.address
    crossbook(stack, "approve", "WETH", "--account", "trader", env=env)

    # sign elsewhere: export the eth_signTypedData_v4 JSON, sign it, submit the signature
    exported = tmp_path / "order.json"
    place = shlex.split("order place 0.1 WETH 1000000 USDC")
    crossbook(stack, *place, "--owner", trader.address, "--export", str(exported))
    typed = json.loads(exported.read_text())
    assert typed["primaryType"] == "Order" and typed["message"]["owner"] == trader.address
    signature = (
        "0x" + bytes(Account.sign_typed_data(trader.key, full_message=typed).signature).hex()
    )
    submitted = as_json(
        crossbook(stack, "order", "submit", str(exported), "--signature", signature, "--json")
    )
    assert submitted["created"] is True and submitted["status"] == "open"
    cancelled = as_json(
        crossbook(
            stack, "order", "cancel", submitted["uid"], "--account", "trader", "--json", env=env
        )
    )
    assert cancelled["status"] == "cancelled"


def test_quote_from_the_relayer_book(stack: Stack) -> None:
    trader = stack.traders[4]
    resting = as_json(
        crossbook(
            stack,
            *shlex.split("order place 0.2 WETH 500 USDC --partial --json"),
            key=trader.key_hex,
        )
    )
    try:
        quotes = as_json(crossbook(stack, "order", "quote", "250", "USDC", "WETH", "--json"))
        assert quotes[0] == {
            "source": "relayer",
            "in": "250 USDC",
            "out": "0.1 WETH",
            "price": "0.0004",
        }
    finally:
        crossbook(stack, "order", "cancel", resting["uid"], key=trader.key_hex)


def test_deploy_wrapper_rerun_changes_nothing(stack: Stack) -> None:
    assert stack.ape_data is not None and stack.deployer is not None
    w3 = Web3(Web3.HTTPProvider(stack.rpc_url))
    nonce = w3.eth.get_transaction_count(stack.deployer)
    before = stack.manifest
    result = run_crossbook_deploy(
        stack.rpc_url,
        stack.manifest_dir,
        stack.ape_data,
        "sepolia-deployer",
        "correct horse",
        "--yes",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("Settlement", "Factory", "Router", "BookFactory"):
        assert f"{name:<12} {before.address(name)}  already deployed, skip" in result.stdout
    assert w3.eth.get_transaction_count(stack.deployer) == nonce  # nothing broadcast
    assert stack.manifest.contracts == before.contracts
    assert stack.manifest.tokens == before.tokens  # recorded tokens survive a re-run


def test_deploy_wrapper_help_and_failure_exit_code(stack: Stack, tmp_path: Path) -> None:
    assert "ape run deploy" in crossbook(stack, "deploy", "--help").stdout
    # a well-known key on the testnet: the script refuses, the wrapper passes its exit code on
    failed = subprocess.run(
        [
            str(Path(sys.executable).with_name("crossbook")),
            "deploy",
            "--network",
            "ethereum:local:foundry",
            "--account",
            "TEST::0",
            "--yes",
        ],
        env={
            **os.environ,
            "APE_FOUNDRY_HOST": stack.rpc_url,
            "APE_DATA_FOLDER": str(tmp_path / "ape"),
            "CROSSBOOK_DEPLOYMENTS_DIR": str(tmp_path / "d"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert failed.returncode != 0
    assert "refusing to deploy on chain 11155111 with a well-known devnet key" in (
        failed.stdout + failed.stderr
    )
    assert not (tmp_path / "d").exists()
