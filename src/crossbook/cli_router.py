"""`crossbook swap`: one swap split between a market's order book and its AMM pool.

``crossbook swap buy 5000 --market WETH/USDC`` spends 5,000 USDC on WETH; ``sell 2`` sells
2 WETH; ``--exact-out`` makes AMOUNT the output instead (``buy 2 --exact-out`` buys exactly
2 WETH). The split is quoted in Python from the pool's reserves and the book's depth (the
contract's own arithmetic) and sent with a slippage limit off that quote and a deadline.
``--quote`` prints the split without sending. The chain's manifest names the HybridRouter.
"""

from __future__ import annotations

from typing import Any

import click

from crossbook.cli_common import connect_node, friendly_errors
from crossbook.cli_pool import _emit, _sender
from crossbook.hybrid.split import MAX_LEVELS, Split


def _connect(rpc_url: str | None, market: str, fee: int) -> Any:
    from crossbook.hybrid.client import HybridClient
    from crossbook.manifest import read_manifest

    w3, chain_id = connect_node(rpc_url)
    return HybridClient.from_manifest(w3, read_manifest(chain_id), market, fee)


def _describe(client: Any, split: Split, buy_base: bool) -> dict[str, Any]:
    from decimal import Decimal

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


@click.command("swap")
@click.argument("side", type=click.Choice(["buy", "sell"]))
@click.argument("amount")
@click.option("--market", default="WETH/USDC", show_default=True, help="Book market symbol.")
@click.option(
    "--fee", type=click.IntRange(1, 1000), default=30, show_default=True, help="Pool fee tier, bps."
)
@click.option("--exact-out", is_flag=True, help="AMOUNT is the exact output, not the input.")
@click.option(
    "--slippage-bps",
    type=click.IntRange(0, 5000),
    default=50,
    show_default=True,
    help="Tolerated slippage against the quote, basis points.",
)
@click.option(
    "--max-levels",
    type=click.IntRange(0, MAX_LEVELS),
    default=MAX_LEVELS,
    show_default=True,
    help="Book levels to consider (0: pool only).",
)
@click.option("--quote", "quote_only", is_flag=True, help="Print the split; send nothing.")
@click.option(
    "--from",
    "sender",
    default="0",
    show_default=True,
    help="Sender: an unlocked account's index on the node, or its address.",
)
@click.option(
    "--rpc-url", envvar="CROSSBOOK_RPC_URL", default=None, help="Node RPC (default: the devnet)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def swap(
    side: str,
    amount: str,
    market: str,
    fee: int,
    exact_out: bool,
    slippage_bps: int,
    max_levels: int,
    quote_only: bool,
    sender: str,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Buy or sell a market's base token through its book and pool, split for the best price."""
    from crossbook.chain import parse_units

    client = _connect(rpc_url, market, fee)
    spec = client.spec
    buy_base = side == "buy"
    # input: buy pays quote, sell pays base; --exact-out names the other token
    amount_is_base = buy_base == exact_out
    decimals = spec.base_decimals if amount_is_base else spec.quote_decimals
    units = parse_units(amount, decimals, spec.symbol)
    if quote_only:
        _emit(
            as_json,
            _describe(client, client.quote(buy_base, units, exact_out, max_levels), buy_base),
        )
        return
    result = client.swap(
        _sender(client, sender),
        buy_base,
        units,
        exact_out=exact_out,
        slippage_bps=slippage_bps,
        max_levels=max_levels,
    )
    data = _describe(client, result.split, buy_base)
    data["limit_base_units"] = result.limit
    data["tx"] = result.tx_hash
    data["gas_used"] = result.gas_used
    _emit(as_json, data)
