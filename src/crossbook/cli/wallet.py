"""The wallet commands: `crossbook order place|submit|cancel|list|status|quote`, `balance`,
`approve`, `deposit` and `withdraw`.

Amounts are token units (``1.5`` WETH) converted with the token's decimals; tokens are symbols
from the chain's deployment manifest (``deployments/<chain-id>.json``) or 0x addresses. The
signing key comes from ``--key-file``, ``--account <ape alias>`` or ``CROSSBOOK_PRIVATE_KEY``;
the public test mnemonic's keys are refused on a chain that is not a devnet. ``--json`` prints
JSON. A user mistake prints one line ``Error: <Type>: <what to do>`` and exits 1 (2 for a
usage error); never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crossbook.cli.common import WalletCommand, WalletSession, table
from crossbook.errors import CrossbookError

if TYPE_CHECKING:
    from crossbook.client import Quote, Token, Wallet

#: A signer for the commands that read but never sign (status, quote).
READ_ONLY_ADDRESS = "0x" + "00" * 19 + "01"


def allowance_text(token: Token, units: int) -> str:
    from crossbook.chain import MAX_UINT

    return "unlimited" if units >= MAX_UINT // 2 else f"{token.format(units)}"


def tx_hash(receipt: dict[str, Any]) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def describe(wallet: Wallet, row: dict[str, Any]) -> dict[str, Any]:
    """An order row of the relayer with token units and symbols."""
    sell, buy = wallet.token(str(row["sellToken"])), wallet.token(str(row["buyToken"]))
    out = {
        "uid": row["uid"],
        "status": row["status"],
        "sell": f"{sell.format(int(row['sellAmount']))} {sell.symbol}",
        "buy_at_least": f"{buy.format(int(row['buyAmount']))} {buy.symbol}",
        "sold": f"{sell.format(int(row.get('executedSellAmount') or 0))} {sell.symbol}",
        "bought": f"{buy.format(int(row.get('executedBuyAmount') or 0))} {buy.symbol}",
    }
    if "flags" in row:
        out["kind"] = "partial" if int(row["flags"]) & 1 else "fill-or-kill"
    if row.get("reason"):
        out["reason"] = row["reason"]
    return out


# ---------------------------------------------------------------- order


@click.group()
def order() -> None:
    """Signed orders through the relayer: place, submit, cancel, list, status, quote."""


@order.command("place", cls=WalletCommand)
@click.argument("sell_amount")
@click.argument("sell_token")
@click.argument("buy_amount")
@click.argument("buy_token")
@click.option("--partial", is_flag=True, help="Partially fillable (default: fill-or-kill).")
@click.option("--fee", default="0", show_default=True, help="Max fee, in SELL_TOKEN units.")
@click.option(
    "--valid-for",
    type=click.IntRange(min=1),
    default=3600,
    show_default=True,
    help="Seconds until the order expires.",
)
@click.option("--receiver", default=None, help="Who receives the bought tokens (default: you).")
@click.option("--from-internal", is_flag=True, help="Sell from your internal balance.")
@click.option("--to-internal", is_flag=True, help="Credit the bought tokens internally.")
@click.option("--nonce", type=click.IntRange(min=0), default=None, help="Default: a fresh one.")
@click.option("--wait", is_flag=True, help="Follow the order until it is final.")
@click.option("--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True)
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the EIP-712 typed data (eth_signTypedData_v4) to this file ('-': stdout) "
    "instead of signing; then `order submit`.",
)
@click.option("--owner", default=None, help="With --export and no key: the signing address.")
def order_place(
    conn: WalletSession,
    sell_amount: str,
    sell_token: str,
    buy_amount: str,
    buy_token: str,
    partial: bool,
    fee: str,
    valid_for: int,
    receiver: str | None,
    from_internal: bool,
    to_internal: bool,
    nonce: int | None,
    wait: bool,
    timeout: float,
    export_path: Path | None,
    owner: str | None,
) -> None:
    """Sell SELL_AMOUNT of SELL_TOKEN for at least BUY_AMOUNT of BUY_TOKEN.

    \b
    crossbook order place 1 WETH 2000 USDC            # sell 1 WETH, limit 2000 USDC
    crossbook order place 4000 USDC 2 WETH --partial  # buy up to 2 WETH at <= 2000 USDC
    """
    if owner is not None and export_path is None:
        raise click.UsageError("--owner only goes with --export (signing elsewhere)")
    if owner is not None and (conn.key_file or conn.account):
        raise click.UsageError("--owner signs elsewhere: drop --key-file / --account")
    with conn.wallet(address=owner) as wallet:
        placed_order = wallet.build_order(
            sell_token,
            sell_amount,
            buy_token,
            buy_amount,
            fee=fee,
            partially_fillable=partial,
            valid_for_s=valid_for,
            receiver=receiver,
            nonce=nonce,
            sell_from_internal=from_internal,
            buy_to_internal=to_internal,
        )
        if export_path is not None:
            typed = json.dumps(wallet.prepare_order(placed_order), indent=2)
            if str(export_path) == "-":
                click.echo(typed)
            else:
                export_path.write_text(typed + "\n")
                click.echo(
                    f"wrote {export_path}: sign it with eth_signTypedData_v4, then "
                    f"`crossbook order submit {export_path} --signature 0x...`",
                    err=True,
                )
            return
        placed = wallet.place_order(placed_order)
        row = {**placed_order.to_json_dict(), "uid": placed.uid, "status": "open"}
        summary = describe(wallet, row)
        summary["created"] = placed.created
        if wait:
            final = wallet.wait(placed.uid, timeout=timeout)
            summary.update(describe(wallet, {**row, **final}))
        conn.emit(summary)


@order.command("submit", cls=WalletCommand)
@click.argument("typed_data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--signature", required=True, help="The 0x... signature eth_signTypedData_v4 gave.")
def order_submit(conn: WalletSession, typed_data_file: Path, signature: str) -> None:
    """Post an order exported with `order place --export`, signed elsewhere."""
    from crossbook.chain.errors import WrongNetwork
    from crossbook.order import Order

    try:
        typed = json.loads(typed_data_file.read_text())
        message, domain = typed["message"], typed["domain"]
    except (ValueError, KeyError, TypeError):
        raise click.ClickException(
            f"{typed_data_file} is not an exported order (eth_signTypedData_v4 JSON)"
        ) from None
    parsed = Order.from_json_dict(message)
    with conn.wallet(address=parsed.owner) as wallet:
        if (int(domain.get("chainId", 0)), str(domain.get("verifyingContract", "")).lower()) != (
            wallet.domain.chain_id,
            wallet.domain.verifying_contract.lower(),
        ):
            raise WrongNetwork(
                f"{typed_data_file} was exported for chain {domain.get('chainId')} and "
                f"settlement {domain.get('verifyingContract')}; this network is chain "
                f"{wallet.domain.chain_id}, settlement {wallet.domain.verifying_contract}"
            )
        wallet.check_funds(parsed)
        placed = wallet.submit_signed(parsed, signature)
        summary = describe(wallet, {**message, "uid": placed.uid, "status": "open"})
        summary["created"] = placed.created
        conn.emit(summary)


@order.command("cancel", cls=WalletCommand)
@click.argument("uid")
@click.option(
    "--on-chain",
    is_flag=True,
    help="Settlement.cancelOrder (a transaction; final even for an order in flight).",
)
def order_cancel(conn: WalletSession, uid: str, on_chain: bool) -> None:
    """Cancel order UID: signed off-chain at the relayer (default) or on chain."""
    with conn.wallet() as wallet:
        if on_chain:
            receipt = wallet.cancel_on_chain(uid)
            result = {"uid": uid, "cancelled": "on chain", "tx": tx_hash(receipt)}
        else:
            status = wallet.cancel(uid)
            result = {"uid": uid, "cancelled": "at the relayer", "status": status["status"]}
        conn.emit(result, width=10)


@order.command("list", cls=WalletCommand)
@click.option(
    "--status",
    "status_filter",
    default=None,
    type=click.Choice(["open", "pending", "filled", "cancelled", "expired", "invalid"]),
)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--address", default=None, help="Whose orders (default: the key's address).")
def order_list(
    conn: WalletSession, status_filter: str | None, limit: int, address: str | None
) -> None:
    """Your orders at the relayer, newest first."""
    with conn.wallet(address=address) as wallet:
        rows = [describe(wallet, r) for r in wallet.orders(status=status_filter, limit=limit)]
        if conn.as_json:
            conn.echo_json(rows)
            return
        if not rows:
            click.echo(f"no orders of {wallet.address}")
            return
        headers = ["uid", "status", "kind", "sell", "buy at least", "sold", "bought"]
        keys = ["status", "kind", "sell", "buy_at_least", "sold", "bought"]
        click.echo(table(headers, [[r["uid"][:18] + "…", *(r[k] for k in keys)] for r in rows]))


@order.command("status", cls=WalletCommand)
@click.argument("uid")
@click.option("--wait", is_flag=True, help="Follow (event stream) until the order is final.")
@click.option("--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True)
def order_status(conn: WalletSession, uid: str, wait: bool, timeout: float) -> None:
    """The status and executed amounts of order UID."""
    with conn.wallet(key=False, address=READ_ONLY_ADDRESS) as wallet:
        row = wallet.relayer.order(uid)
        if wait:
            for update in wallet.follow(uid, timeout=timeout):
                row.update(update)
                if not conn.as_json:
                    click.echo(f"{update['status']}", err=True)
        conn.emit(describe(wallet, row))


@order.command("quote", cls=WalletCommand)
@click.argument("amount")
@click.argument("token_in")
@click.argument("token_out")
@click.option("--fee", "fee_bps", type=int, default=30, show_default=True, help="AMM fee tier.")
def order_quote(
    conn: WalletSession, amount: str, token_in: str, token_out: str, fee_bps: int
) -> None:
    """What selling AMOUNT of TOKEN_IN buys of TOKEN_OUT: relayer book and AMM pool."""
    with conn.wallet(key=False, address=READ_ONLY_ADDRESS) as wallet:
        tin, tout = wallet.token(token_in), wallet.token(token_out)
        quotes: list[Quote] = []
        sources: list[Callable[[], Quote]] = [
            lambda: wallet.quote_relayer(tin, tout, amount),
            lambda: wallet.quote_amm(tin, tout, amount, fee_bps),
        ]
        for source in sources:
            try:
                quotes.append(source())
            except ConnectionError:  # no relayer or no node answers: nothing to quote from
                raise
            except CrossbookError as exc:  # no market or pool: say so, keep the other quote
                click.echo(f"({type(exc).__name__}: {exc})", err=True)
        rows = [
            {
                "source": q.source,
                "in": f"{q.token_in.format(q.filled_in)} {q.token_in.symbol}",
                "out": f"{q.token_out.format(q.amount_out)} {q.token_out.symbol}",
                "price": format(round(q.price, 10).normalize(), "f")
                if q.price is not None
                else "-",
            }
            for q in quotes
        ]
        if conn.as_json:
            conn.echo_json(rows)
        else:
            click.echo(table(["source", "in", "out", "price"], [list(r.values()) for r in rows]))


# ---------------------------------------------------------------- funds


@click.command(cls=WalletCommand)
@click.argument("tokens", nargs=-1)
@click.option("--address", default=None, help="Whose balances (default: the key's address).")
def balance(conn: WalletSession, tokens: tuple[str, ...], address: str | None) -> None:
    """Wallet and internal balances and Settlement allowance, per token (default: all)."""
    with conn.wallet(address=address, relayer=False) as wallet:
        rows = wallet.balances(list(tokens) or None)
        eth = wallet.chain.native_balance(wallet.address)
        if conn.as_json:
            conn.echo_json(
                {
                    "address": wallet.address,
                    "chain_id": wallet.chain.chain_id,
                    "eth": f"{eth / 10**18:f}",
                    "tokens": [
                        {
                            "token": r["token"].symbol,
                            "wallet": r["token"].format(r["wallet"]),
                            "internal": r["token"].format(r["internal"]),
                            "allowance": allowance_text(r["token"], r["allowance"]),
                        }
                        for r in rows
                    ],
                }
            )
            return
        click.echo(f"{wallet.address} on chain {wallet.chain.chain_id}")
        cells = [
            [
                r["token"].symbol,
                r["token"].format(r["wallet"]),
                r["token"].format(r["internal"]),
                allowance_text(r["token"], r["allowance"]),
            ]
            for r in rows
        ]
        eth_cells = ["ETH", f"{eth / 10**18:f}".rstrip("0").rstrip("."), "-", "-"]
        click.echo(table(["token", "wallet", "internal", "allowance"], [*cells, eth_cells]))


@click.command(cls=WalletCommand)
@click.argument("token")
@click.argument("amount", required=False)
@click.option("--permit", is_flag=True, help="Sign an EIP-2612 permit instead of approve().")
@click.option(
    "--sponsored",
    is_flag=True,
    help="With --permit: the relayer submits the permit and pays its gas (POST /v1/permits).",
)
def approve(
    conn: WalletSession, token: str, amount: str | None, permit: bool, sponsored: bool
) -> None:
    """Let the settlement contract spend AMOUNT of TOKEN (default: unlimited)."""
    from crossbook.chain import MAX_UINT

    if sponsored and not permit:
        raise click.UsageError("--sponsored needs --permit (the relayer submits permits only)")
    with conn.wallet(relayer=sponsored) as wallet:
        tok = wallet.token(token)
        value = MAX_UINT if amount in (None, "unlimited") else tok.to_units(str(amount))
        receipt = wallet.approve(tok, value, permit=permit, sponsored=sponsored)
        conn.emit(
            {
                "token": tok.symbol,
                "spender": wallet.chain.settlement.address,
                "allowance": allowance_text(tok, value),
                "via": ("sponsored permit" if sponsored else "permit") if permit else "approve",
                "tx": tx_hash(receipt) if receipt["transactionHash"] is not None else None,
            },
            width=10,
        )


@click.command(cls=WalletCommand)
@click.argument("token")
@click.argument("amount")
def deposit(conn: WalletSession, token: str, amount: str) -> None:
    """Move AMOUNT of TOKEN from your wallet into your internal balance."""
    with conn.wallet(relayer=False) as wallet:
        tok = wallet.token(token)
        receipt = wallet.deposit(tok, amount)
        held = wallet.chain.internal_balance(wallet.address, tok)
        conn.emit(
            {
                "deposited": f"{amount} {tok.symbol}",
                "internal": tok.format(held),
                "tx": tx_hash(receipt),
            },
            width=10,
        )


@click.command(cls=WalletCommand)
@click.argument("token")
@click.argument("amount")
@click.option("--to", "to", default=None, help="Recipient (default: you).")
def withdraw(conn: WalletSession, token: str, amount: str, to: str | None) -> None:
    """Send AMOUNT of TOKEN from your internal balance to your wallet (or --to)."""
    with conn.wallet(relayer=False) as wallet:
        tok = wallet.token(token)
        receipt = wallet.withdraw(tok, amount, to)
        held = wallet.chain.internal_balance(wallet.address, tok)
        conn.emit(
            {
                "withdrawn": f"{amount} {tok.symbol}",
                "internal": tok.format(held),
                "tx": tx_hash(receipt),
            },
            width=10,
        )
