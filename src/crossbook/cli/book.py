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
from typing import TYPE_CHECKING, Any

import click

from crossbook.cli.common import NodeCommand, NodeSession
from crossbook.errors import InvalidOrder

if TYPE_CHECKING:
    from crossbook.book import BookClient, MarketSpec


@click.group()
def book() -> None:
    """The on-chain central limit order book."""


def book_client(node: NodeSession, market: str) -> BookClient:
    from crossbook.book import BookClient

    return BookClient.from_manifest(node.w3, node.manifest, market)


@book.command("show", cls=NodeCommand, sender=False, json=False)
@click.argument("market")
@click.option("--levels", type=click.IntRange(1, 200), default=10, show_default=True)
@click.option("--from-events", is_flag=True, help="Rebuild the depth from events, not views.")
def book_show(node: NodeSession, market: str, levels: int, from_events: bool) -> None:
    """Print the depth of MARKET (e.g. WETH/USDC): best asks above, best bids below."""
    from crossbook.book import depth_from_events, read_depth

    client = book_client(node, market)
    if from_events:
        depth = depth_from_events(client.contract).top(levels)
    else:
        depth = read_depth(client.contract, levels)
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


def positive_decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidOrder(f"{text!r} is not a number ({what})") from None
    if not value.is_finite() or value <= 0:
        raise InvalidOrder(f"the {what} must be positive, got {text}")
    return value


def symbols(spec: MarketSpec) -> tuple[str, str]:
    """The base and quote symbols of a market spec (``WETH/USDC``)."""
    names = spec.symbol.split("/")
    return (names[0], names[1]) if len(names) == 2 else ("base", "quote")


def token_units(client: BookClient, token: str, amount: str) -> tuple[str, int, str]:
    """(address, base units, symbol) of AMOUNT of one of the book's two tokens."""
    from crossbook.chain import parse_units

    address = client.token_address(token)
    spec = client.spec
    is_base = address.lower() == spec.base.lower()
    decimals = spec.base_decimals if is_base else spec.quote_decimals
    symbol = symbols(spec)[0 if is_base else 1]
    return address, parse_units(amount, decimals, symbol), symbol


def human(units: int, decimals: int) -> str:
    return f"{Decimal(units).scaleb(-decimals).normalize():f}"


def balance_rows(client: BookClient, owner: str) -> dict[str, Any]:
    spec = client.spec
    held = client.balance(owner)
    base_sym, quote_sym = symbols(spec)
    return {
        "owner": owner,
        f"balance {base_sym}": human(held.base, spec.base_decimals),
        f"balance {quote_sym}": human(held.quote, spec.quote_decimals),
    }


@book.command("deposit", cls=NodeCommand)
@click.argument("market")
@click.argument("token")
@click.argument("amount")
def book_deposit(node: NodeSession, market: str, token: str, amount: str) -> None:
    """Move AMOUNT of TOKEN (base, quote or its symbol) into your MARKET book balance.

    Approves the book for exactly AMOUNT first if its allowance is lower."""
    client = book_client(node, market)
    who = node.sender()
    address, units, symbol = token_units(client, token, amount)
    client.ensure_allowance(who, address, units)
    client.deposit(who, address, units)
    node.emit({"deposited": f"{amount} {symbol}", **balance_rows(client, who)})


@book.command("withdraw", cls=NodeCommand)
@click.argument("market")
@click.argument("token")
@click.argument("amount")
@click.option("--to", "to", default=None, help="Recipient (default: you).")
def book_withdraw(node: NodeSession, market: str, token: str, amount: str, to: str | None) -> None:
    """Send AMOUNT of TOKEN from your MARKET book balance to your wallet (or --to)."""
    client = book_client(node, market)
    who = node.sender()
    address, units, symbol = token_units(client, token, amount)
    client.withdraw(who, address, units, to)
    node.emit({"withdrawn": f"{amount} {symbol}", **balance_rows(client, who)})


@book.command("balance", cls=NodeCommand)
@click.argument("market")
@click.option("--address", default=None, help="Whose balance (default: the --from account).")
def book_balance(node: NodeSession, market: str, address: str | None) -> None:
    """Print a maker's book balances of MARKET's two tokens."""
    client = book_client(node, market)
    node.emit(balance_rows(client, node.sender(address)))


@book.command("place", cls=NodeCommand)
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
def book_place(
    node: NodeSession,
    market: str,
    side: str,
    price: str,
    size: str,
    kind: str,
    from_balance: bool,
) -> None:
    """Place a SIDE order of SIZE base tokens at PRICE (quote per base token) on MARKET."""
    from crossbook.book import Kind, Side

    client = book_client(node, market)
    spec = client.spec
    tick = spec.tick_for(positive_decimal(price, "price"))
    lots = spec.lots_of(positive_decimal(size, "size"))
    kinds = {"gtc": Kind.GTC, "post-only": Kind.POST_ONLY, "ioc": Kind.IOC, "fok": Kind.FOK}
    result = client.place(
        node.sender(),
        Side.BID if side == "bid" else Side.ASK,
        tick,
        lots,
        kind=kinds[kind],
        from_balance=from_balance,
    )
    node.emit(
        {
            "order_id": result.order_id if result.order_id is not None else "-",
            "tick": tick,
            "lots": lots,
            "taken_lots": result.taken_lots,
            "funded_from": "book balance" if from_balance else "wallet",
            "tx": result.tx_hash,
            "gas_used": result.gas_used,
        }
    )


@book.command("cancel", cls=NodeCommand)
@click.argument("market")
@click.argument("order_id", type=int)
@click.option("--to-balance", is_flag=True, help="Credit the refund to your book balance.")
def book_cancel(node: NodeSession, market: str, order_id: int, to_balance: bool) -> None:
    """Cancel the unfilled lots of ORDER_ID on MARKET."""
    client = book_client(node, market)
    lots = client.cancel(node.sender(), order_id, to_balance=to_balance)
    node.emit({"cancelled_lots": lots, "refund_to": "book balance" if to_balance else "wallet"})


@book.command("claim", cls=NodeCommand)
@click.argument("market")
@click.argument("order_ids", type=int, nargs=-1, required=True)
@click.option("--to-balance", is_flag=True, help="Credit the proceeds to your book balance.")
def book_claim(
    node: NodeSession, market: str, order_ids: tuple[int, ...], to_balance: bool
) -> None:
    """Claim the filled lots of ORDER_IDS on MARKET."""
    client = book_client(node, market)
    lots = client.claim(node.sender(), list(order_ids), to_balance=to_balance)
    node.emit({"claimed_lots": lots, "paid_to": "book balance" if to_balance else "wallet"})
