"""`crossbook book ...` against a devnet harness (its own Anvil, chain id 42_428): a maker
funds its book balance, rests an ask from it, a taker crosses it, the maker claims, cancels
the rest and withdraws; and the mistakes a user makes are one-line errors."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crossbook.book import BookClient
from crossbook.chain import contract_at
from crossbook.cli import main
from crossbook.devnet import AnvilConfig, Devnet
from crossbook.manifest import manifest_path

pytestmark = pytest.mark.devnet
CHAIN_ID = 42_428
MARKET = "WETH/USDC"


@pytest.fixture(scope="module")
def devnet():
    with Devnet.launch(AnvilConfig(chain_id=CHAIN_ID)) as dn:
        try:
            yield dn
        finally:
            manifest_path(CHAIN_ID).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def sdk(devnet) -> BookClient:
    return BookClient.from_manifest(devnet.w3, devnet.manifest, MARKET)


def book(devnet, *args: str, ok: bool = True) -> Result:
    result = CliRunner(mix_stderr=False).invoke(
        main, ["book", *args, "--rpc-url", devnet.node.rpc_url]
    )
    assert (result.exit_code == 0) is ok, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def error(devnet, *args: str) -> str:
    """The one line a mistake prints (exit code 1, nothing on stdout)."""
    result = book(devnet, *args, ok=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def units(amount: str, decimals: int) -> int:
    return int(Decimal(amount).scaleb(decimals))


def test_deposit_place_take_claim_cancel_withdraw(devnet, sdk):
    maker, taker, payee = (devnet.accounts[i].address for i in (1, 2, 3))
    spec = sdk.spec

    deposited = as_json(book(devnet, "deposit", MARKET, "WETH", "1", "--from", "1", "--json"))
    assert deposited == {
        "deposited": "1 WETH",
        "owner": maker,
        "balance WETH": "1",
        "balance USDC": "0",
    }
    assert sdk.balance(maker).base == 10**18

    ask = as_json(
        book(
            devnet,
            *("place", MARKET, "ask", "2500", "0.05", "--from-balance", "--from", "1", "--json"),
        )
    )
    assert (ask["tick"], ask["lots"], ask["taken_lots"]) == (25_000, 50, 0)
    assert ask["funded_from"] == "book balance"
    order_id = ask["order_id"]
    assert sdk.order(order_id).open_lots == 50
    assert sdk.balance(maker).base == units("0.95", 18)

    for how in ((), ("--from-events",)):
        shown = book(devnet, "show", MARKET, *how).stdout
        assert f"{MARKET} book at {sdk.address}" in shown
        rows = [line.split() for line in shown.splitlines() if line.startswith("ask")]
        assert rows == [["ask", "25000", f"{spec.human_price(25_000)}", "0.05"]]

    book(devnet, "deposit", MARKET, "quote", "100", "--from", "2")
    taken = as_json(
        book(
            devnet,
            *("place", MARKET, "bid", "2500", "0.02", "--kind", "ioc", "--from-balance"),
            *("--from", "2", "--json"),
        )
    )
    assert (taken["order_id"], taken["taken_lots"]) == ("-", 20)
    assert sdk.balance(taker).base == units("0.02", 18)

    claimed = as_json(
        book(devnet, "claim", MARKET, str(order_id), "--to-balance", "--from", "1", "--json")
    )
    assert claimed == {"claimed_lots": 20, "paid_to": "book balance"}
    proceeds = sdk.balance(maker).quote
    assert proceeds >= 20 * 25_000 * spec.tick_size  # 0.02 WETH at 2,500 (plus the rebate)

    weth = contract_at(devnet.w3, "MockERC20", spec.base)
    before = int(weth.functions.balanceOf(maker).call())
    cancelled = as_json(book(devnet, "cancel", MARKET, str(order_id), "--from", "1", "--json"))
    assert cancelled == {"cancelled_lots": 30, "refund_to": "wallet"}
    assert int(weth.functions.balanceOf(maker).call()) == before + units("0.03", 18)

    shown = as_json(book(devnet, "balance", MARKET, "--address", maker, "--json"))
    assert shown["balance WETH"] == "0.95"
    assert units(shown["balance USDC"], 6) == proceeds

    paid_before = int(weth.functions.balanceOf(payee).call())
    withdrawn = as_json(
        book(
            devnet,
            *("withdraw", MARKET, "base", "0.95", "--to", payee, "--from", "1", "--json"),
        )
    )
    assert (withdrawn["withdrawn"], withdrawn["balance WETH"]) == ("0.95 WETH", "0")
    assert int(weth.functions.balanceOf(payee).call()) == paid_before + units("0.95", 18)
    assert "(empty)" in book(devnet, "show", MARKET).stdout


def test_mistakes_are_one_line_errors(devnet, sdk):
    place = ("place", MARKET, "ask", "--from", "4")
    assert "'two' is not a number (price)" in error(devnet, *place, "two", "0.05")
    assert "the size must be positive, got 0" in error(devnet, *place, "2500", "0")
    step = sdk.spec.human_price(1)
    assert f"not on the WETH/USDC grid (step {step})" in error(devnet, *place, "2500.05", "0.05")
    assert "not a whole number of WETH/USDC lots" in error(devnet, *place, "2500", "0.0105")
    assert "not a token of the WETH/USDC book" in error(
        devnet, "deposit", MARKET, "DAI", "1", "--from", "4"
    )
    stranger = devnet.accounts[4].address
    # more than the book balance holds: the contract's typed error, decoded before sending
    assert "order book withdraw would revert: InsufficientBalance(" in error(
        devnet, "withdraw", MARKET, "WETH", "1", "--from", "4"
    )
    # without --from-balance the escrow comes from the wallet, which has not approved the book
    assert "order book place would revert: TransferFromFailed()" in error(
        devnet, "place", MARKET, "bid", "2000", "0.01", "--from", "4"
    )
    assert "a resting order needs at least 10 lots, got 1" in error(
        devnet, "place", MARKET, "ask", "2000", "0.001", "--from", "4"
    )
    assert "BookNotFound: no book for 'DAI/USDC'" in error(devnet, "show", "DAI/USDC")

    book(devnet, "deposit", MARKET, "WETH", "0.01", "--from", "5")
    placed = book(
        devnet,
        *("place", MARKET, "ask", "3000", "0.01", "--from-balance", "--from", "5", "--json"),
    )
    mine = as_json(placed)["order_id"]
    assert "order book cancel would revert: NotOrderOwner(" in error(
        devnet, "cancel", MARKET, str(mine), "--from", "4"
    )
    assert f"order book claimToBalance would revert: NothingToClaim({mine})" in error(
        devnet, "claim", MARKET, str(mine), "--to-balance", "--from", "5"
    )
    assert sdk.order(mine).open_lots == 10
    held = sdk.balance(stranger)
    assert (held.base, held.quote) == (0, 0)  # nothing moved by any of the failures
