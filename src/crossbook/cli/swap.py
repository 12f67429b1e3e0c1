"""`crossbook swap`: one swap split between a market's order book and its AMM pool.

``crossbook swap buy 5000 --market WETH/USDC`` spends 5,000 USDC on WETH; ``sell 2`` sells
2 WETH; ``--exact-out`` makes AMOUNT the output instead (``buy 2 --exact-out`` buys exactly
2 WETH). The split is quoted in Python from the pool's reserves and the book's depth (the
contract's own arithmetic) and sent with a slippage limit off that quote and a deadline.
``--quote`` prints the split without sending. The chain's manifest names the HybridRouter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from crossbook.cli.common import (
    NodeCommand,
    NodeSession,
    exact_out_option,
    fee_option,
    slippage_option,
)
from crossbook.hybrid.split import MAX_LEVELS, Split

if TYPE_CHECKING:
    from crossbook.hybrid.client import HybridClient


def describe(client: HybridClient, split: Split, buy_base: bool) -> dict[str, Any]:
    """The split in token units: what is sold and bought, through the book and the pool."""
    spec = client.spec
    base = (spec.base_decimals, spec.symbol.split("/")[0])
    quote = (spec.quote_decimals, spec.symbol.split("/")[-1])
    (din, sin), (dout, sout) = (quote, base) if buy_base else (base, quote)

    def fmt(units: int, decimals: int, symbol: str) -> str:
        return f"{Decimal(units).scaleb(-decimals)} {symbol}"

    return {
        "sold": fmt(split.amount_in, din, sin),
        "bought": fmt(split.amount_out, dout, sout),
        "book": f"{fmt(split.book_in, din, sin)} -> {fmt(split.book_out, dout, sout)} "
        f"({split.book_lots} lots, {split.levels} levels, worst tick {split.limit_tick})",
        "pool": f"{fmt(split.pool_in, din, sin)} -> {fmt(split.pool_out, dout, sout)}",
        "amount_in_base_units": split.amount_in,
        "amount_out_base_units": split.amount_out,
    }


@click.command("swap", cls=NodeCommand)
@click.argument("side", type=click.Choice(["buy", "sell"]))
@click.argument("amount")
@click.option("--market", default="WETH/USDC", show_default=True, help="Book market symbol.")
@fee_option
@exact_out_option
@slippage_option
@click.option(
    "--max-levels",
    type=click.IntRange(0, MAX_LEVELS),
    default=MAX_LEVELS,
    show_default=True,
    help="Book levels to consider (0: pool only).",
)
@click.option("--quote", "quote_only", is_flag=True, help="Print the split; send nothing.")
def swap(
    node: NodeSession,
    side: str,
    amount: str,
    market: str,
    fee: int,
    exact_out: bool,
    slippage_bps: int,
    max_levels: int,
    quote_only: bool,
) -> None:
    """Buy or sell a market's base token through its book and pool, split for the best price."""
    from crossbook.chain import parse_units
    from crossbook.hybrid.client import HybridClient

    client = HybridClient.from_manifest(node.w3, node.manifest, market, fee)
    spec = client.spec
    buy_base = side == "buy"
    # input: buy pays quote, sell pays base; --exact-out names the other token
    amount_is_base = buy_base == exact_out
    decimals = spec.base_decimals if amount_is_base else spec.quote_decimals
    units = parse_units(amount, decimals, spec.symbol)
    if quote_only:
        split = client.quote(buy_base, units, exact_out, max_levels)
        node.emit(describe(client, split, buy_base))
        return
    result = client.swap(
        node.sender(),
        buy_base,
        units,
        exact_out=exact_out,
        slippage_bps=slippage_bps,
        max_levels=max_levels,
    )
    data = describe(client, result.split, buy_base)
    data["limit_base_units"] = result.limit
    data["tx"] = result.tx_hash
    data["gas_used"] = result.gas_used
    node.emit(data)
