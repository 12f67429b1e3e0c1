"""The wallet commands: `crossbook order place|submit|cancel|list|status|quote`, `balance`,
`approve`, `deposit`, `withdraw`, and `crossbook deploy` (runs `ape run deploy`).

Amounts are token units (``1.5`` WETH) converted with the token's decimals; tokens are symbols
from the chain's deployment manifest (``deployments/<chain-id>.json``) or 0x addresses. The
signing key comes from ``--key-file``, ``--account <ape alias>`` or ``CROSSBOOK_PRIVATE_KEY``;
the public test mnemonic's keys are refused on a chain that is not a devnet. ``--json`` prints
JSON. A user mistake prints one line ``Error: <Type>: <what to do>`` and exits 1 (2 for a
usage error); never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from crossbook.cli_common import default_rpc_url, friendly_errors
from crossbook.errors import CrossbookError

if TYPE_CHECKING:
    from crossbook.client import Signer, Token, Wallet

F = TypeVar("F", bound=Callable[..., Any])
MAX_UINT = 2**256 - 1


# ---------------------------------------------------------------- shared options


@dataclass
class Conn:
    rpc_url: str | None
    relayer_url: str
    manifest_dir: Path | None
    chain_id: int | None
    key_file: Path | None
    account: str | None
    as_json: bool


def connection_options(fn: F) -> F:
    options = [
        click.option("--rpc-url", envvar="CROSSBOOK_RPC_URL", default=None,
                     help="Node JSON-RPC [env CROSSBOOK_RPC_URL; default: the detached devnet, "
                          "else http://127.0.0.1:8545]."),
        click.option("--relayer-url", envvar="CROSSBOOK_RELAYER_URL",
                     default="http://127.0.0.1:8080", show_default=True,
                     help="Relayer API [env CROSSBOOK_RELAYER_URL]."),
        click.option("--manifest-dir", envvar="CROSSBOOK_MANIFEST_DIR", default=None,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Where deployments/<chain-id>.json live [env CROSSBOOK_MANIFEST_DIR]."),
        click.option("--chain-id", envvar="CROSSBOOK_CHAIN_ID", type=click.IntRange(min=1),
                     default=None, help="Expected chain id; refuse a node on another chain."),
        click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
                     default=None, help="A file holding the hex private key."),
        click.option("--account", default=None,
                     help="An ape keystore account alias (passphrase from "
                          "APE_ACCOUNTS_<alias>_PASSPHRASE or a prompt)."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
    ]  # fmt: skip

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        conn = Conn(
            rpc_url=kwargs.pop("rpc_url"),
            relayer_url=kwargs.pop("relayer_url"),
            manifest_dir=kwargs.pop("manifest_dir"),
            chain_id=kwargs.pop("chain_id"),
            key_file=kwargs.pop("key_file"),
            account=kwargs.pop("account"),
            as_json=kwargs.pop("as_json"),
        )
        return fn(conn, *args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def _signer(conn: Conn, address: str | None = None, required: bool = True) -> Signer | None:
    from crossbook.client import ExternalSigner, LocalSigner
    from crossbook.client.errors import SignerError

    if conn.key_file is not None and conn.account is not None:
        raise click.UsageError("pass one of --key-file and --account, not both")
    if address is not None:  # an explicit address (read-only, or signed elsewhere) wins
        return ExternalSigner(address)
    if conn.key_file is not None:
        return LocalSigner.from_key_file(conn.key_file)
    if conn.account is not None:
        alias = conn.account
        return LocalSigner.from_ape_alias(
            alias, prompt=lambda q: str(click.prompt(q, hide_input=True, err=True))
        )
    env_key = os.environ.get("CROSSBOOK_PRIVATE_KEY")
    if env_key:
        try:
            return LocalSigner(env_key.strip())
        except SignerError as exc:
            raise SignerError(f"CROSSBOOK_PRIVATE_KEY: {exc}") from None
    if required:
        raise SignerError(
            "no signing key: pass --key-file <file>, --account <ape alias>, or set "
            "CROSSBOOK_PRIVATE_KEY"
        )
    return None


def _wallet(
    conn: Conn, *, address: str | None = None, relayer: bool = True, key: bool = True
) -> Wallet:
    from crossbook.client import Wallet

    signer = _signer(conn, address=address, required=key)
    assert signer is not None
    return Wallet.connect(
        signer,
        rpc_url=conn.rpc_url or default_rpc_url(),
        relayer_url=conn.relayer_url if relayer else None,
        manifest_dir=conn.manifest_dir,
        expected_chain_id=conn.chain_id,
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _amount(token: Token, units: int) -> str:
    return "unlimited" if units >= MAX_UINT // 2 else f"{token.format(units)}"


def _tx(receipt: dict[str, Any]) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def _describe(wallet: Wallet, row: dict[str, Any]) -> dict[str, Any]:
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


@order.command("place")
@click.argument("sell_amount")
@click.argument("sell_token")
@click.argument("buy_amount")
@click.argument("buy_token")
@click.option("--partial", is_flag=True, help="Partially fillable (default: fill-or-kill).")
@click.option("--fee", default="0", show_default=True, help="Max fee, in SELL_TOKEN units.")
@click.option("--valid-for", type=click.IntRange(min=1), default=3600, show_default=True,
              help="Seconds until the order expires.")  # fmt: skip
@click.option("--receiver", default=None, help="Who receives the bought tokens (default: you).")
@click.option("--from-internal", is_flag=True, help="Sell from your internal balance.")
@click.option("--to-internal", is_flag=True, help="Credit the bought tokens internally.")
@click.option("--nonce", type=click.IntRange(min=0), default=None, help="Default: a fresh one.")
@click.option("--wait", is_flag=True, help="Follow the order until it is final.")
@click.option("--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True)
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the EIP-712 typed data (eth_signTypedData_v4) to this "
              "file ('-': stdout) instead of signing; then `order submit`.")  # fmt: skip
@click.option("--owner", default=None, help="With --export and no key: the signing address.")
@connection_options
@friendly_errors
def order_place(
    conn: Conn,
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
    with _wallet(conn, address=owner) as wallet:
        placed_order = wallet.build_order(
            sell_token, sell_amount, buy_token, buy_amount, fee=fee, partially_fillable=partial,
            valid_for_s=valid_for, receiver=receiver, nonce=nonce,
            sell_from_internal=from_internal, buy_to_internal=to_internal,
        )  # fmt: skip
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
        summary = _describe(wallet, row)
        summary["created"] = placed.created
        if wait:
            final = wallet.wait(placed.uid, timeout=timeout)
            summary.update(_describe(wallet, {**row, **final}))
        if conn.as_json:
            _echo_json(summary)
        else:
            for key, value in summary.items():
                click.echo(f"{key:<13} {value}")


@order.command("submit")
@click.argument("typed_data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--signature", required=True, help="The 0x... signature eth_signTypedData_v4 gave.")
@connection_options
@friendly_errors
def order_submit(conn: Conn, typed_data_file: Path, signature: str) -> None:
    """Post an order exported with `order place --export`, signed elsewhere."""
    from crossbook.client.errors import WrongNetwork
    from crossbook.order import Order

    try:
        typed = json.loads(typed_data_file.read_text())
        message, domain = typed["message"], typed["domain"]
    except (ValueError, KeyError, TypeError):
        raise click.ClickException(
            f"{typed_data_file} is not an exported order (eth_signTypedData_v4 JSON)"
        ) from None
    parsed = Order.from_json_dict(message)
    with _wallet(conn, address=parsed.owner) as wallet:
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
        summary = _describe(wallet, {**message, "uid": placed.uid, "status": "open"})
        summary["created"] = placed.created
        if conn.as_json:
            _echo_json(summary)
        else:
            for key, value in summary.items():
                click.echo(f"{key:<13} {value}")


@order.command("cancel")
@click.argument("uid")
@click.option(
    "--on-chain",
    is_flag=True,
    help="Settlement.cancelOrder (a transaction; final even for an order in flight).",
)
@connection_options
@friendly_errors
def order_cancel(conn: Conn, uid: str, on_chain: bool) -> None:
    """Cancel order UID: signed off-chain at the relayer (default) or on chain."""
    with _wallet(conn) as wallet:
        if on_chain:
            receipt = wallet.cancel_on_chain(uid)
            result = {"uid": uid, "cancelled": "on chain", "tx": _tx(receipt)}
        else:
            status = wallet.cancel(uid)
            result = {"uid": uid, "cancelled": "at the relayer", "status": status["status"]}
        if conn.as_json:
            _echo_json(result)
        else:
            for key, value in result.items():
                click.echo(f"{key:<10} {value}")


@order.command("list")
@click.option(
    "--status",
    "status_filter",
    default=None,
    type=click.Choice(["open", "pending", "filled", "cancelled", "expired", "invalid"]),
)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--address", default=None, help="Whose orders (default: the key's address).")
@connection_options
@friendly_errors
def order_list(conn: Conn, status_filter: str | None, limit: int, address: str | None) -> None:
    """Your orders at the relayer, newest first."""
    with _wallet(conn, address=address) as wallet:
        rows = [_describe(wallet, r) for r in wallet.orders(status=status_filter, limit=limit)]
        if conn.as_json:
            _echo_json(rows)
            return
        if not rows:
            click.echo(f"no orders of {wallet.address}")
            return
        click.echo(_table(
            ["uid", "status", "kind", "sell", "buy at least", "sold", "bought"],
            [[r["uid"][:18] + "…", r["status"], r["kind"], r["sell"], r["buy_at_least"],
              r["sold"], r["bought"]] for r in rows],
        ))  # fmt: skip


@order.command("status")
@click.argument("uid")
@click.option("--wait", is_flag=True, help="Follow (event stream) until the order is final.")
@click.option("--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True)
@connection_options
@friendly_errors
def order_status(conn: Conn, uid: str, wait: bool, timeout: float) -> None:
    """The status and executed amounts of order UID."""
    with _wallet(conn, key=False, address="0x" + "00" * 19 + "01") as wallet:
        row = wallet.relayer.order(uid)
        if wait:
            for update in wallet.follow(uid, timeout=timeout):
                row.update(update)
                if not conn.as_json:
                    click.echo(f"{update['status']}", err=True)
        described = _describe(wallet, row)
        if conn.as_json:
            _echo_json(described)
        else:
            for key, value in described.items():
                click.echo(f"{key:<13} {value}")


@order.command("quote")
@click.argument("amount")
@click.argument("token_in")
@click.argument("token_out")
@click.option("--fee", "fee_bps", type=int, default=30, show_default=True, help="AMM fee tier.")
@connection_options
@friendly_errors
def order_quote(conn: Conn, amount: str, token_in: str, token_out: str, fee_bps: int) -> None:
    """What selling AMOUNT of TOKEN_IN buys of TOKEN_OUT: relayer book and AMM pool."""
    from crossbook.client import Quote
    from crossbook.client.errors import NodeUnreachable, RelayerUnreachable

    with _wallet(conn, key=False, address="0x" + "00" * 19 + "01") as wallet:
        tin, tout = wallet.token(token_in), wallet.token(token_out)
        quotes: list[Quote] = []
        sources: list[Callable[[], Quote]] = [
            lambda: wallet.quote_relayer(tin, tout, amount),
            lambda: wallet.quote_amm(tin, tout, amount, fee_bps),
        ]
        for source in sources:
            try:
                quotes.append(source())
            except (RelayerUnreachable, NodeUnreachable):
                raise
            except CrossbookError as exc:  # no market or pool: say so, keep the other quote
                click.echo(f"({type(exc).__name__}: {exc})", err=True)
        rows = [{
            "source": q.source, "in": f"{q.token_in.format(q.filled_in)} {q.token_in.symbol}",
            "out": f"{q.token_out.format(q.amount_out)} {q.token_out.symbol}",
            "price": format(round(q.price, 10).normalize(), "f") if q.price is not None else "-",
        } for q in quotes]  # fmt: skip
        if conn.as_json:
            _echo_json(rows)
        else:
            click.echo(_table(["source", "in", "out", "price"],
                              [list(r.values()) for r in rows]))  # fmt: skip


# ---------------------------------------------------------------- funds


@click.command()
@click.argument("tokens", nargs=-1)
@click.option("--address", default=None, help="Whose balances (default: the key's address).")
@connection_options
@friendly_errors
def balance(conn: Conn, tokens: tuple[str, ...], address: str | None) -> None:
    """Wallet and internal balances and Settlement allowance, per token (default: all)."""
    with _wallet(conn, address=address, relayer=False) as wallet:
        rows = wallet.balances(list(tokens) or None)
        eth = wallet.chain.native_balance(wallet.address)
        if conn.as_json:
            _echo_json({
                "address": wallet.address, "chain_id": wallet.chain.chain_id,
                "eth": f"{eth / 10**18:f}",
                "tokens": [{"token": r["token"].symbol, "wallet": r["token"].format(r["wallet"]),
                            "internal": r["token"].format(r["internal"]),
                            "allowance": _amount(r["token"], r["allowance"])} for r in rows],
            })  # fmt: skip
            return
        click.echo(f"{wallet.address} on chain {wallet.chain.chain_id}")
        click.echo(_table(
            ["token", "wallet", "internal", "allowance"],
            [[r["token"].symbol, r["token"].format(r["wallet"]), r["token"].format(r["internal"]),
              _amount(r["token"], r["allowance"])] for r in rows]
            + [["ETH", f"{eth / 10**18:f}".rstrip("0").rstrip("."), "-", "-"]],
        ))  # fmt: skip


@click.command()
@click.argument("token")
@click.argument("amount", required=False)
@click.option("--permit", is_flag=True, help="Sign an EIP-2612 permit instead of approve().")
@connection_options
@friendly_errors
def approve(conn: Conn, token: str, amount: str | None, permit: bool) -> None:
    """Let the settlement contract spend AMOUNT of TOKEN (default: unlimited)."""
    with _wallet(conn, relayer=False) as wallet:
        tok = wallet.token(token)
        value = MAX_UINT if amount in (None, "unlimited") else tok.to_units(str(amount))
        receipt = wallet.approve(tok, value, permit=permit)
        result = {"token": tok.symbol, "spender": wallet.chain.settlement.address,
                  "allowance": _amount(tok, value), "via": "permit" if permit else "approve",
                  "tx": _tx(receipt)}  # fmt: skip
        if conn.as_json:
            _echo_json(result)
        else:
            for key, val in result.items():
                click.echo(f"{key:<10} {val}")


@click.command()
@click.argument("token")
@click.argument("amount")
@connection_options
@friendly_errors
def deposit(conn: Conn, token: str, amount: str) -> None:
    """Move AMOUNT of TOKEN from your wallet into your internal balance."""
    with _wallet(conn, relayer=False) as wallet:
        tok = wallet.token(token)
        receipt = wallet.deposit(tok, amount)
        held = wallet.chain.internal_balance(wallet.address, tok)
        result = {"deposited": f"{amount} {tok.symbol}", "internal": tok.format(held),
                  "tx": _tx(receipt)}  # fmt: skip
        if conn.as_json:
            _echo_json(result)
        else:
            for key, val in result.items():
                click.echo(f"{key:<10} {val}")


@click.command()
@click.argument("token")
@click.argument("amount")
@click.option("--to", "to", default=None, help="Recipient (default: you).")
@connection_options
@friendly_errors
def withdraw(conn: Conn, token: str, amount: str, to: str | None) -> None:
    """Send AMOUNT of TOKEN from your internal balance to your wallet (or --to)."""
    with _wallet(conn, relayer=False) as wallet:
        tok = wallet.token(token)
        receipt = wallet.withdraw(tok, amount, to)
        held = wallet.chain.internal_balance(wallet.address, tok)
        result = {"withdrawn": f"{amount} {tok.symbol}", "internal": tok.format(held),
                  "tx": _tx(receipt)}  # fmt: skip
        if conn.as_json:
            _echo_json(result)
        else:
            for key, val in result.items():
                click.echo(f"{key:<10} {val}")


# ---------------------------------------------------------------- deploy


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("ape_args", nargs=-1, type=click.UNPROCESSED)
def deploy(ape_args: tuple[str, ...]) -> None:
    """Deploy the suite: runs `ape run deploy APE_ARGS...` from the checkout.

    \b
    The options are the script's (`ape run deploy --help` lists them):
      --network ecosystem:network:provider   e.g. ethereum:sepolia:node
      --account ALIAS                        an ape keystore account
      --relayer ADDRESS (repeatable), --guardian, --fee-recipient, --owner
      --token SYMBOL=ADDRESS (repeatable)    record an existing token in the manifest
      --yes                                  broadcast without asking
    Shows the plan and asks before broadcasting; a re-run skips what is deployed.
    """
    from crossbook.paths import project_root

    ape = Path(sys.executable).with_name("ape")
    if not ape.exists():
        raise click.ClickException(f"ape is not installed next to {sys.executable}: make setup")
    try:
        root = project_root()
    except CrossbookError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    env = dict(os.environ)
    env["PATH"] = f"{root / 'node_modules' / '.bin'}:{env.get('PATH', '')}"
    env.setdefault("SOLCX_BINARY_PATH", str(root / ".solc"))
    code = subprocess.call([str(ape), "run", "deploy", *ape_args], cwd=root, env=env)
    if code != 0:
        sys.exit(code)
