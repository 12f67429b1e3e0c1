"""`crossbook book ...`: read the on-chain order book, place / cancel / claim on it, and move
tokens into and out of a maker's book balance.

``crossbook book deposit WETH/USDC WETH 1.5`` moves 1.5 WETH into the sender's balance of the
WETH/USDC book; ``book place WETH/USDC ask 2000 0.01 --from-balance`` then rests an ask of
0.01 WETH at 2,000 USDC funded from it (no token transfer); ``book cancel``/``book claim`` take
``--to-balance``. Amounts are token units; prices are quote per whole base token and must lie
on the book's grid. The sender (``--from``) is an unlocked node account's index or address, as
for ``crossbook pool`` and ``crossbook swap``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import click

from crossbook.cli_common import connect_node, friendly_errors
from crossbook.cli_pool import _emit, _sender, from_option, json_option, rpc_option
from crossbook.errors import CrossbookError, InvalidOrder


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


def _client(rpc_url: str | None, market: str) -> Any:
    from crossbook.book import BookClient
    from crossbook.manifest import read_manifest

    w3, chain_id = connect_node(rpc_url, timeout=30)
    return BookClient.from_manifest(w3, read_manifest(chain_id), market)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidOrder(f"{text!r} is not a number ({what})") from None
    if not value.is_finite() or value <= 0:
        raise InvalidOrder(f"the {what} must be positive, got {text}")
    return value


def _token_units(client: Any, token: str, amount: str) -> tuple[str, int, str]:
    """(address, base units, label) of AMOUNT of one of the book's tokens."""
    from crossbook.chain import parse_units

    address = client.token_address(token)
    spec = client.spec
    is_base = address.lower() == spec.base.lower()
    decimals = spec.base_decimals if is_base else spec.quote_decimals
    symbol = _symbols(spec)[0 if is_base else 1]
    return address, parse_units(amount, decimals, symbol), symbol


def _symbols(spec: Any) -> tuple[str, str]:
    names = spec.symbol.split("/")
    return (names[0], names[1]) if len(names) == 2 else ("base", "quote")


def _balance_rows(client: Any, owner: str) -> dict[str, Any]:
    spec = client.spec
    held = client.balance(owner)
    base_sym, quote_sym = _symbols(spec)
    return {
        "owner": owner,
        f"balance {base_sym}": _human(held.base, spec.base_decimals),
        f"balance {quote_sym}": _human(held.quote, spec.quote_decimals),
    }


def _human(units: int, decimals: int) -> str:
    return f"{Decimal(units).scaleb(-decimals).normalize():f}"


@book.command("deposit")
@click.argument("market")
@click.argument("token")
@click.argument("amount")
@from_option
@rpc_option
@json_option
@friendly_errors
def book_deposit(
    market: str, token: str, amount: str, sender: str, rpc_url: str | None, as_json: bool
) -> None:
    """Move AMOUNT of TOKEN (base, quote or its symbol) into your MARKET book balance.

    Approves the book for exactly AMOUNT first if its allowance is lower."""
    client = _client(rpc_url, market)
    who = _sender(client, sender)
    address, units, symbol = _token_units(client, token, amount)
    client.ensure_allowance(who, address, units)
    client.deposit(who, address, units)
    _emit(as_json, {"deposited": f"{amount} {symbol}", **_balance_rows(client, who)})


@book.command("withdraw")
@click.argument("market")
@click.argument("token")
@click.argument("amount")
@click.option("--to", "to", default=None, help="Recipient (default: you).")
@from_option
@rpc_option
@json_option
@friendly_errors
def book_withdraw(
    market: str,
    token: str,
    amount: str,
    to: str | None,
    sender: str,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Send AMOUNT of TOKEN from your MARKET book balance to your wallet (or --to)."""
    client = _client(rpc_url, market)
    who = _sender(client, sender)
    address, units, symbol = _token_units(client, token, amount)
    client.withdraw(who, address, units, to)
    _emit(as_json, {"withdrawn": f"{amount} {symbol}", **_balance_rows(client, who)})


@book.command("balance")
@click.argument("market")
@click.option("--address", default=None, help="Whose balance (default: the --from account).")
@from_option
@rpc_option
@json_option
@friendly_errors
def book_balance(
    market: str, address: str | None, sender: str, rpc_url: str | None, as_json: bool
) -> None:
    """Print a maker's book balances of MARKET's two tokens."""
    client = _client(rpc_url, market)
    who = _sender(client, address or sender)
    _emit(as_json, _balance_rows(client, who))


@book.command("place")
@click.argument("market")
@click.argument("side", type=click.Choice(["bid", "ask"]))
@click.argument("price")
@click.argument("size")
@click.option(
    "--kind",
    type=click.Choice(["gtc", "post-only", "ioc", "fok"]),
    default="gtc",
    show_default=True,
    help="Order kind.",
)
@click.option("--from-balance", is_flag=True, help="Fund it from your book balance (no transfer).")
@from_option
@rpc_option
@json_option
@friendly_errors
def book_place(
    market: str,
    side: str,
    price: str,
    size: str,
    kind: str,
    from_balance: bool,
    sender: str,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Place a SIDE order of SIZE base tokens at PRICE (quote per base token) on MARKET."""
    from crossbook.book import Kind, Side

    client = _client(rpc_url, market)
    spec = client.spec
    tick = spec.tick_for(_decimal(price, "price"))
    lots = spec.lots_of(_decimal(size, "size"))
    kinds = {"gtc": Kind.GTC, "post-only": Kind.POST_ONLY, "ioc": Kind.IOC, "fok": Kind.FOK}
    result = client.place(
        _sender(client, sender),
        Side.BID if side == "bid" else Side.ASK,
        tick,
        lots,
        kind=kinds[kind],
        from_balance=from_balance,
    )
    _emit(
        as_json,
        {
            "order_id": result.order_id if result.order_id is not None else "-",
            "tick": tick,
            "lots": lots,
            "taken_lots": result.taken_lots,
            "funded_from": "book balance" if from_balance else "wallet",
            "tx": result.tx_hash,
            "gas_used": result.gas_used,
        },
    )


@book.command("cancel")
@click.argument("market")
@click.argument("order_id", type=int)
@click.option("--to-balance", is_flag=True, help="Credit the refund to your book balance.")
@from_option
@rpc_option
@json_option
@friendly_errors
def book_cancel(
    market: str, order_id: int, to_balance: bool, sender: str, rpc_url: str | None, as_json: bool
) -> None:
    """Cancel the unfilled lots of ORDER_ID on MARKET."""
    client = _client(rpc_url, market)
    lots = client.cancel(_sender(client, sender), order_id, to_balance=to_balance)
    refund_to = "book balance" if to_balance else "wallet"
    _emit(as_json, {"cancelled_lots": lots, "refund_to": refund_to})


@book.command("claim")
@click.argument("market")
@click.argument("order_ids", type=int, nargs=-1, required=True)
@click.option("--to-balance", is_flag=True, help="Credit the proceeds to your book balance.")
@from_option
@rpc_option
@json_option
@friendly_errors
def book_claim(
    market: str,
    order_ids: tuple[int, ...],
    to_balance: bool,
    sender: str,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Claim the filled lots of ORDER_IDS on MARKET."""
    client = _client(rpc_url, market)
    lots = client.claim(_sender(client, sender), list(order_ids), to_balance=to_balance)
    _emit(as_json, {"claimed_lots": lots, "paid_to": "book balance" if to_balance else "wallet"})
