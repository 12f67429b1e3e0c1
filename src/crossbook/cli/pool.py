"""`crossbook pool`: create pools, add/remove liquidity, swap and quote on a deployment.

Amounts are in token units (``1.5`` WETH), converted with each token's decimals; LP share
amounts have 18 decimals. Tokens are manifest symbols (``WETH``) or 0x addresses. The chain's
manifest (``deployments/<chain-id>.json``) names the Factory and Router. ``--json`` prints one
JSON object. A user mistake or a would-be revert prints one line and exits 1.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import click

from crossbook.cli.common import (
    NodeCommand,
    NodeSession,
    exact_out_option,
    fee_option,
    slippage_option,
)

if TYPE_CHECKING:
    from crossbook.amm.client import AmmClient


def amm(node: NodeSession) -> AmmClient:
    from crossbook.amm.client import AmmClient

    return AmmClient(node.w3, node.manifest)


@click.group()
def pool() -> None:
    """Constant-product pools: create, add, remove, swap, quote."""


@pool.command("create", cls=NodeCommand)
@click.argument("token_a")
@click.argument("token_b")
@fee_option
def pool_create(node: NodeSession, token_a: str, token_b: str, fee: int) -> None:
    """Create the TOKEN_A/TOKEN_B pool at a fee tier."""
    client = amm(node)
    a, b = client.token(token_a), client.token(token_b)
    address = client.create_pool(a, b, fee, node.sender())
    node.emit({"pool": address, "token_a": a.symbol, "token_b": b.symbol, "fee_bps": fee})


@pool.command("add", cls=NodeCommand)
@click.argument("token_a")
@click.argument("token_b")
@click.argument("amount_a")
@click.argument("amount_b")
@fee_option
@slippage_option
def pool_add(
    node: NodeSession,
    token_a: str,
    token_b: str,
    amount_a: str,
    amount_b: str,
    fee: int,
    slippage_bps: int,
) -> None:
    """Add up to AMOUNT_A and AMOUNT_B at the pool's ratio (unlimited approvals as needed)."""
    client = amm(node)
    a, b = client.token(token_a), client.token(token_b)
    result = client.add_liquidity(
        a, b, fee, a.to_units(amount_a), b.to_units(amount_b), node.sender(), slippage_bps
    )
    node.emit(
        {
            "deposited_a": str(a.from_units(result["amount_a"])),
            "deposited_b": str(b.from_units(result["amount_b"])),
            "lp_shares": str(Decimal(result["liquidity"]).scaleb(-18)),
        }
    )


@pool.command("remove", cls=NodeCommand)
@click.argument("token_a")
@click.argument("token_b")
@click.argument("shares")
@fee_option
@slippage_option
def pool_remove(
    node: NodeSession, token_a: str, token_b: str, shares: str, fee: int, slippage_bps: int
) -> None:
    """Burn SHARES LP shares (18 decimals; or 'all') for both tokens."""
    from crossbook.amm.client import LP_DECIMALS
    from crossbook.chain import parse_units

    client = amm(node)
    a, b = client.token(token_a), client.token(token_b)
    who = node.sender()
    state = client.pool(a, b, fee)
    liquidity = (
        client.lp_balance(state, who)
        if shares == "all"
        else parse_units(shares, LP_DECIMALS, "LP shares")
    )
    result = client.remove_liquidity(a, b, fee, liquidity, who, slippage_bps)
    node.emit(
        {
            "received_a": str(a.from_units(result["amount_a"])),
            "received_b": str(b.from_units(result["amount_b"])),
            "lp_shares_burned": str(Decimal(liquidity).scaleb(-18)),
        }
    )


@pool.command("swap", cls=NodeCommand)
@click.argument("token_in")
@click.argument("token_out")
@click.argument("amount")
@exact_out_option
@fee_option
@slippage_option
def pool_swap(
    node: NodeSession,
    token_in: str,
    token_out: str,
    amount: str,
    exact_out: bool,
    fee: int,
    slippage_bps: int,
) -> None:
    """Swap AMOUNT of TOKEN_IN for TOKEN_OUT (or for exactly AMOUNT of it with --exact-out)."""
    client = amm(node)
    tin, tout = client.token(token_in), client.token(token_out)
    who = node.sender()
    if exact_out:
        result = client.swap_exact_out(tin, tout, fee, tout.to_units(amount), who, slippage_bps)
    else:
        result = client.swap_exact_in(tin, tout, fee, tin.to_units(amount), who, slippage_bps)
    node.emit(
        {
            "sold": f"{tin.from_units(result['amount_in'])} {tin.symbol}",
            "bought": f"{tout.from_units(result['amount_out'])} {tout.symbol}",
        }
    )


@pool.command("quote", cls=NodeCommand, sender=False)
@click.argument("token_in")
@click.argument("token_out")
@click.argument("amount")
@exact_out_option
@fee_option
def pool_quote(
    node: NodeSession, token_in: str, token_out: str, amount: str, exact_out: bool, fee: int
) -> None:
    """Quote a swap at the pool's current reserves (no transaction)."""
    client = amm(node)
    tin, tout = client.token(token_in), client.token(token_out)
    state = client.pool(tin, tout, fee)
    if exact_out:
        amount_out = tout.to_units(amount)
        amount_in = client.quote_exact_out(tin, tout, fee, amount_out)
    else:
        amount_in = tin.to_units(amount)
        amount_out = client.quote_exact_in(tin, tout, fee, amount_in)
    node.emit(
        {
            "pool": state.address,
            "amount_in": f"{tin.from_units(amount_in)} {tin.symbol}",
            "amount_out": f"{tout.from_units(amount_out)} {tout.symbol}",
            "amount_in_base_units": amount_in,
            "amount_out_base_units": amount_out,
        }
    )
