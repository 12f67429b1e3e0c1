"""`crossbook pool`: create pools, add/remove liquidity, swap and quote on a deployment.

Amounts are in token units (``1.5`` WETH), converted with each token's decimals; LP share
amounts have 18 decimals. Tokens are manifest symbols (``WETH``) or 0x addresses. The chain's
manifest (``deployments/<chain-id>.json``) names the Factory and Router. ``--json`` prints one
JSON object. A user mistake or a would-be revert prints one line and exits 1.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import click

from crossbook.cli_common import connect_node, friendly_errors


def _connect(rpc_url: str | None) -> Any:
    from crossbook.amm.client import AmmClient
    from crossbook.manifest import read_manifest

    w3, chain_id = connect_node(rpc_url)
    return AmmClient(w3, read_manifest(chain_id))


def _sender(client: Any, ref: str) -> str:
    from web3 import Web3

    from crossbook.amm.errors import AmmError

    if ref.isdigit():
        accounts = client.w3.eth.accounts
        if int(ref) >= len(accounts):
            raise AmmError(
                f"the node has {len(accounts)} unlocked accounts; --from {ref} is not one"
            )
        return str(accounts[int(ref)])
    if not Web3.is_address(ref):
        raise AmmError(f"--from {ref!r} is neither an account index nor a 0x address")
    return str(Web3.to_checksum_address(ref))


def _emit(as_json: bool, data: dict[str, Any]) -> None:
    if as_json:
        click.echo(json.dumps(data, default=str, sort_keys=True))
    else:
        for key, value in data.items():
            click.echo(f"{key:<14} {value}")


rpc_option = click.option(
    "--rpc-url", envvar="CROSSBOOK_RPC_URL", default=None, help="Node RPC (default: the devnet)."
)
fee_option = click.option(
    "--fee", type=click.IntRange(1, 1000), default=30, show_default=True, help="Fee tier, bps."
)
from_option = click.option(
    "--from",
    "sender",
    default="0",
    show_default=True,
    help="Sender: an unlocked account's index on the node, or its address.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
slippage_option = click.option(
    "--slippage-bps",
    type=click.IntRange(0, 5000),
    default=50,
    show_default=True,
    help="Tolerated slippage against the quote, basis points.",
)


@click.group()
def pool() -> None:
    """Constant-product pools: create, add, remove, swap, quote."""


@pool.command("create")
@click.argument("token_a")
@click.argument("token_b")
@fee_option
@from_option
@rpc_option
@json_option
@friendly_errors
def pool_create(
    token_a: str, token_b: str, fee: int, sender: str, rpc_url: str | None, as_json: bool
) -> None:
    """Create the TOKEN_A/TOKEN_B pool at a fee tier."""
    client = _connect(rpc_url)
    a, b = client.token(token_a), client.token(token_b)
    address = client.create_pool(a, b, fee, _sender(client, sender))
    _emit(as_json, {"pool": address, "token_a": a.symbol, "token_b": b.symbol, "fee_bps": fee})


@pool.command("add")
@click.argument("token_a")
@click.argument("token_b")
@click.argument("amount_a")
@click.argument("amount_b")
@fee_option
@slippage_option
@from_option
@rpc_option
@json_option
@friendly_errors
def pool_add(
    token_a: str,
    token_b: str,
    amount_a: str,
    amount_b: str,
    fee: int,
    slippage_bps: int,
    sender: str,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Add up to AMOUNT_A and AMOUNT_B at the pool's ratio (unlimited approvals as needed)."""
    client = _connect(rpc_url)
    a, b = client.token(token_a), client.token(token_b)
    result = client.add_liquidity(
        a, b, fee, a.to_units(amount_a), b.to_units(amount_b), _sender(client, sender), slippage_bps
    )
    _emit(
        as_json,
        {
            "deposited_a": str(a.from_units(result["amount_a"])),
            "deposited_b": str(b.from_units(result["amount_b"])),
            "lp_shares": str(Decimal(result["liquidity"]).scaleb(-18)),
        },
    )


@pool.command("remove")
@click.argument("token_a")
@click.argument("token_b")
@click.argument("shares")
@fee_option
@slippage_option
@from_option
@rpc_option
@json_option
@friendly_errors
def pool_remove(
    token_a: str,
    token_b: str,
    shares: str,
    fee: int,
    slippage_bps: int,
    sender: str,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Burn SHARES LP shares (18 decimals; or 'all') for both tokens."""
    from crossbook.amm.client import LP_DECIMALS
    from crossbook.chain import parse_units

    client = _connect(rpc_url)
    a, b = client.token(token_a), client.token(token_b)
    who = _sender(client, sender)
    state = client.pool(a, b, fee)
    liquidity = (
        client.lp_balance(state, who)
        if shares == "all"
        else parse_units(shares, LP_DECIMALS, "LP shares")
    )
    result = client.remove_liquidity(a, b, fee, liquidity, who, slippage_bps)
    _emit(
        as_json,
        {
            "received_a": str(a.from_units(result["amount_a"])),
            "received_b": str(b.from_units(result["amount_b"])),
            "lp_shares_burned": str(Decimal(liquidity).scaleb(-18)),
        },
    )


@pool.command("swap")
@click.argument("token_in")
@click.argument("token_out")
@click.argument("amount")
@click.option("--exact-out", is_flag=True, help="AMOUNT is the exact output, not the input.")
@fee_option
@slippage_option
@from_option
@rpc_option
@json_option
@friendly_errors
def pool_swap(
    token_in: str,
    token_out: str,
    amount: str,
    exact_out: bool,
    fee: int,
    slippage_bps: int,
    sender: str,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Swap AMOUNT of TOKEN_IN for TOKEN_OUT (or for exactly AMOUNT of it with --exact-out)."""
    client = _connect(rpc_url)
    tin, tout = client.token(token_in), client.token(token_out)
    who = _sender(client, sender)
    if exact_out:
        result = client.swap_exact_out(tin, tout, fee, tout.to_units(amount), who, slippage_bps)
    else:
        result = client.swap_exact_in(tin, tout, fee, tin.to_units(amount), who, slippage_bps)
    _emit(
        as_json,
        {
            "sold": f"{tin.from_units(result['amount_in'])} {tin.symbol}",
            "bought": f"{tout.from_units(result['amount_out'])} {tout.symbol}",
        },
    )


@pool.command("quote")
@click.argument("token_in")
@click.argument("token_out")
@click.argument("amount")
@click.option("--exact-out", is_flag=True, help="AMOUNT is the desired output.")
@fee_option
@rpc_option
@json_option
@friendly_errors
def pool_quote(
    token_in: str,
    token_out: str,
    amount: str,
    exact_out: bool,
    fee: int,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Quote a swap at the pool's current reserves (no transaction)."""
    client = _connect(rpc_url)
    tin, tout = client.token(token_in), client.token(token_out)
    state = client.pool(tin, tout, fee)
    if exact_out:
        amount_out = tout.to_units(amount)
        amount_in = client.quote_exact_out(tin, tout, fee, amount_out)
    else:
        amount_in = tin.to_units(amount)
        amount_out = client.quote_exact_in(tin, tout, fee, amount_in)
    _emit(
        as_json,
        {
            "pool": state.address,
            "amount_in": f"{tin.from_units(amount_in)} {tin.symbol}",
            "amount_out": f"{tout.from_units(amount_out)} {tout.symbol}",
            "amount_in_base_units": amount_in,
            "amount_out_base_units": amount_out,
        },
    )
