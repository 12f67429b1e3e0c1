"""`crossbook book ...`: read the on-chain order book."""

from __future__ import annotations

import click

from crossbook.cli_common import connect_node
from crossbook.errors import CrossbookError


@click.group()
def book() -> None:
    """The on-chain central limit order book."""


@book.command("show")
@click.argument("market")
@click.option("--levels", type=click.IntRange(1, 200), default=10, show_default=True)
@click.option("--rpc-url", envvar="CROSSBOOK_RPC_URL", default=None, help="Node RPC URL.")
@click.option("--from-events", is_flag=True, help="Rebuild the depth from events, not views.")
def book_show(market: str, levels: int, rpc_url: str | None, from_events: bool) -> None:
    """Print the depth of MARKET (e.g. WETH/USDC): best asks above, best bids below."""
    from crossbook.book import BookClient, depth_from_events, read_depth
    from crossbook.manifest import read_manifest

    try:
        w3, chain_id = connect_node(rpc_url, timeout=30)
        client = BookClient.from_manifest(w3, read_manifest(chain_id), market)
        if from_events:
            depth = depth_from_events(client.contract).top(levels)
        else:
            depth = read_depth(client.contract, levels)
    except CrossbookError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    spec = client.spec
    base_sym, quote_sym = [*market.split("/"), "base", "quote"][:2]
    click.echo(f"{market} book at {client.address}")
    price_head, size_head = f"price ({quote_sym})", f"size ({base_sym})"
    click.echo(f"{'side':<5} {'tick':>6} {price_head:>18} {size_head:>18}")
    for level in reversed(depth.asks):
        price, size = spec.human_price(level.tick), spec.human_base(level.lots)
        click.echo(f"{'ask':<5} {level.tick:>6} {price:>18} {size:>18}")
    if not depth.asks and not depth.bids:
        click.echo("(empty)")
    else:
        click.echo("-" * 50)
    for level in depth.bids:
        price, size = spec.human_price(level.tick), spec.human_base(level.lots)
        click.echo(f"{'bid':<5} {level.tick:>6} {price:>18} {size:>18}")
