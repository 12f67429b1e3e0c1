"""`crossbook pool ...` against a devnet harness (its own Anvil, chain id 4_2424)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crossbook.cli import main
from crossbook.devnet import AnvilConfig, Devnet
from crossbook.manifest import manifest_path

pytestmark = pytest.mark.devnet
CHAIN_ID = 42_424


@pytest.fixture(scope="module")
def devnet():
    dn = Devnet.launch(AnvilConfig(chain_id=CHAIN_ID))
    try:
        yield dn
    finally:
        dn.stop()
        manifest_path(CHAIN_ID).unlink(missing_ok=True)


def run(devnet, *args: str, ok: bool = True):
    result = CliRunner().invoke(main, ["pool", *args, "--rpc-url", devnet.node.rpc_url])
    assert (result.exit_code == 0) is ok, result.output
    return result


def test_quote_swap_add_remove_json(devnet):
    quote = json.loads(run(devnet, "quote", "WETH", "USDC", "1.5", "--json").output)
    assert quote["amount_in_base_units"] == 15 * 10**17
    assert quote["amount_out"].endswith("USDC")
    swap = json.loads(run(devnet, "swap", "WETH", "USDC", "1.5", "--from", "1", "--json").output)
    assert swap["bought"] == quote["amount_out"]
    exact = json.loads(
        run(devnet, "swap", "USDC", "WETH", "0.1", "--exact-out", "--from", "1", "--json").output
    )
    assert exact["bought"] == "0.100000000000000000 WETH"
    added = json.loads(
        run(devnet, "add", "WETH", "USDC", "1", "5000", "--from", "2", "--json").output
    )
    assert added["deposited_a"] == "1.000000000000000000"
    removed = json.loads(
        run(devnet, "remove", "WETH", "USDC", "all", "--from", "2", "--json").output
    )
    assert float(removed["received_a"]) > 0.99


def test_create_then_duplicate_and_errors(devnet):
    created = json.loads(run(devnet, "create", "WETH", "DAI", "--fee", "100", "--json").output)
    assert created["fee_bps"] == 100
    assert "PoolExists" in run(devnet, "create", "DAI", "WETH", "--fee", "100", ok=False).output
    assert "UnknownToken" in run(devnet, "quote", "NOPE", "USDC", "1", ok=False).output
    assert "InvalidAmount" in run(devnet, "quote", "USDC", "WETH", "0.0000001", ok=False).output
    assert (
        "PoolNotFound" in run(devnet, "quote", "WETH", "USDC", "1", "--fee", "5", ok=False).output
    )
    assert (
        "ZeroReserves" in run(devnet, "quote", "WETH", "DAI", "1", "--fee", "100", ok=False).output
    )
