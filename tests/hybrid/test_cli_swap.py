"""`crossbook swap ...` against a devnet harness (its own Anvil, chain id 42_426)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crossbook.book.client import BookClient
from crossbook.book.market import Side
from crossbook.cli import main
from crossbook.devnet import AnvilConfig, Devnet
from crossbook.manifest import manifest_path

pytestmark = pytest.mark.devnet
CHAIN_ID = 42_426


@pytest.fixture(scope="module")
def devnet():
    dn = Devnet.launch(AnvilConfig(chain_id=CHAIN_ID))
    try:
        book = BookClient.from_manifest(dn.w3, dn.manifest, "WETH/USDC")
        maker = dn.accounts[1].address
        book.approve(maker)
        book.place(maker, Side.ASK, 19_950, 500)  # 1,995 USDC per WETH: beats the pool
        book.place(maker, Side.BID, 19_800, 500)  # 1,980: worse than the pool's ~1,994
        yield dn
    finally:
        dn.stop()
        manifest_path(CHAIN_ID).unlink(missing_ok=True)


def run(devnet, *args: str, ok: bool = True):
    result = CliRunner().invoke(main, ["swap", *args, "--rpc-url", devnet.node.rpc_url])
    assert (result.exit_code == 0) is ok, result.output
    return result


def test_quote_then_swap_buy_splits_and_matches_the_quote(devnet):
    quote = json.loads(run(devnet, "buy", "3000", "--quote", "--json").output)
    assert quote["amount_in_base_units"] == 3_000 * 10**6
    assert "500 lots, 1 levels" in quote["book"]
    assert not quote["pool"].startswith("0E") and not quote["pool"].startswith("0 ")
    swap = json.loads(run(devnet, "buy", "3000", "--from", "2", "--json").output)
    assert swap["bought"] == quote["bought"]
    assert swap["gas_used"] > 0


def test_sell_exact_out_uses_the_pool_when_the_book_is_worse(devnet):
    swap = json.loads(run(devnet, "sell", "1000", "--exact-out", "--from", "2", "--json").output)
    assert swap["bought"] == "1000.000000 USDC"
    assert "0 lots" in swap["book"]


def test_errors_are_one_line(devnet):
    assert "InvalidAmount" in run(devnet, "buy", "0.0000001", ok=False).output
    assert "BookNotFound" in run(devnet, "buy", "1", "--market", "DAI/USDC", ok=False).output
    assert "HybridRouterError" in run(devnet, "buy", "1", "--fee", "100", ok=False).output
    out = run(devnet, "buy", "1", "--max-levels", "33", ok=False).output
    assert "33" in out
