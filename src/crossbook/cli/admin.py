"""`crossbook admin`: the owner's and the guardian's calls on a deployed suite.

The key is the wallet commands' (``--key-file``, ``--account``, ``CROSSBOOK_PRIVATE_KEY``);
the chain's manifest names the contracts. Each call is simulated first: a key without the role
prints one line naming the role, its holder and the contract's error, and exits 1 with nothing
sent. Ownership moves in two steps: ``transfer-ownership`` proposes, the new owner runs
``accept-ownership`` (a Safe executes the calldata ``accept-ownership --calldata`` prints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from crossbook.cli.common import WalletCommand, WalletSession, echo_json

if TYPE_CHECKING:
    from crossbook.client import Wallet
    from crossbook.deploy.admin import AdminCall

_OWNED = ("Settlement", "Factory", "BookFactory")


owned_option = click.option(
    "--contract",
    "contracts",
    type=click.Choice(_OWNED),
    multiple=True,
    help=f"Which contract (repeatable; default: {', '.join(_OWNED)}).",
)
fee_recipient_option = click.option(
    "--contract",
    "contracts",
    type=click.Choice(("Settlement", "BookFactory")),
    multiple=True,
    help="Whose fee recipient (repeatable; default: Settlement, BookFactory).",
)


def _run(conn: WalletSession, calls: list[AdminCall], result: dict[str, Any]) -> None:
    """Send `calls` in order from the key; print `result` with each call's transaction."""
    from crossbook.chain import TransactionSigner
    from crossbook.client.errors import SignerError
    from crossbook.deploy.admin import send_admin

    wallet: Wallet = conn.wallet(relayer=False)
    signer = wallet.signer
    if not isinstance(signer, TransactionSigner):
        raise SignerError(f"{signer.address} cannot sign transactions here: pass a key")
    w3, manifest = wallet.chain.w3, wallet.chain.manifest
    sent = [
        {"call": call.signature(), "tx": send_admin(w3, manifest, call, signer)} for call in calls
    ]
    out = {"from": wallet.address, **result, "transactions": sent}
    if conn.as_json:
        echo_json(out)
        return
    for key, value in out.items():
        if key != "transactions":
            click.echo(f"{key:<14} {value}")
    for tx in sent:
        click.echo(f"sent           {tx['call']}  (tx {tx['tx']})")


@click.group()
def admin() -> None:
    """Roles after deployment: pause, relayers, fee recipient, guardian, ownership."""


@admin.command("status", cls=WalletCommand, relayer=False)
def admin_status(conn: WalletSession) -> None:
    """Who holds each role: owners, pending owners, guardian, fee recipients, paused."""
    from crossbook.deploy.admin import roles

    wallet = conn.wallet(relayer=False, key=False, address="0x" + "00" * 20)
    held = roles(wallet.chain.w3, wallet.chain.manifest)
    if conn.as_json:
        echo_json(held)
        return
    for contract, fields in held.items():
        for key, value in fields.items():
            click.echo(f"{contract:<12} {key:<14} {value}")


@admin.command("pause", cls=WalletCommand, relayer=False)
def admin_pause(conn: WalletSession) -> None:
    """Pause settlement (the guardian or the owner)."""
    from crossbook.deploy import admin as calls

    _run(conn, [calls.pause()], {"paused": True})


@admin.command("unpause", cls=WalletCommand, relayer=False)
def admin_unpause(conn: WalletSession) -> None:
    """Resume settlement (the owner)."""
    from crossbook.deploy import admin as calls

    _run(conn, [calls.unpause()], {"paused": False})


@admin.group("relayer")
def admin_relayer() -> None:
    """The settlement's relayer allow-list (the owner)."""


@admin_relayer.command("add", cls=WalletCommand, relayer=False)
@click.argument("address")
def relayer_add(conn: WalletSession, address: str) -> None:
    """Allow ADDRESS to submit batches."""
    from crossbook.deploy import admin as calls

    _run(conn, [calls.set_relayer(_address(address), True)], {"relayer": address, "allowed": True})


@admin_relayer.command("remove", cls=WalletCommand, relayer=False)
@click.argument("address")
def relayer_remove(conn: WalletSession, address: str) -> None:
    """Stop ADDRESS from submitting batches."""
    from crossbook.deploy import admin as calls

    call = calls.set_relayer(_address(address), False)
    _run(conn, [call], {"relayer": address, "allowed": False})


@admin.command("set-fee-recipient", cls=WalletCommand, relayer=False)
@click.argument("address")
@fee_recipient_option
def set_fee_recipient(conn: WalletSession, address: str, contracts: tuple[str, ...]) -> None:
    """Send settlement surplus and book fees to ADDRESS (the owner)."""
    from crossbook.deploy import admin as calls

    chosen = contracts or calls.FEE_RECIPIENTS
    batch = [calls.set_fee_recipient(c, _address(address)) for c in chosen]
    _run(conn, batch, {"fee_recipient": address})


@admin.command("set-guardian", cls=WalletCommand, relayer=False)
@click.argument("address")
def set_guardian(conn: WalletSession, address: str) -> None:
    """Let ADDRESS pause settlement (the owner)."""
    from crossbook.deploy import admin as calls

    _run(conn, [calls.set_guardian(_address(address))], {"guardian": address})


@admin.command("transfer-ownership", cls=WalletCommand, relayer=False)
@click.argument("new_owner")
@owned_option
def transfer_ownership(conn: WalletSession, new_owner: str, contracts: tuple[str, ...]) -> None:
    """Propose NEW_OWNER (step 1 of 2): it becomes the owner when it accepts."""
    from crossbook.deploy import admin as calls

    batch = [calls.transfer_ownership(c, _address(new_owner)) for c in contracts or _OWNED]
    next_step = "the new owner runs `crossbook admin accept-ownership` (a Safe: --calldata)"
    _run(conn, batch, {"pending_owner": new_owner, "next": next_step})


@admin.command("accept-ownership", cls=WalletCommand, relayer=False)
@owned_option
@click.option(
    "--calldata", is_flag=True, help="Print the transactions for a Safe instead of sending."
)
def accept_ownership(conn: WalletSession, contracts: tuple[str, ...], calldata: bool) -> None:
    """Accept the ownership proposed to this key (step 2 of 2)."""
    from crossbook.deploy import admin as calls

    batch = [calls.accept_ownership(c) for c in contracts or _OWNED]
    if not calldata:
        _run(conn, batch, {"owner": "this key"})
        return
    wallet = conn.wallet(relayer=False, key=False, address="0x" + "00" * 20)
    txs = [calls.calldata(wallet.chain.w3, wallet.chain.manifest, c) for c in batch]
    if conn.as_json:
        echo_json(txs)
        return
    for tx in txs:
        click.echo(f"{tx['call']:<28} to {tx['to']}  data {tx['data']}")


def _address(value: str) -> str:
    from eth_utils.address import is_address, to_checksum_address

    if not is_address(value):
        raise click.BadParameter(f"{value!r} is not an address (0x followed by 40 hex digits)")
    return str(to_checksum_address(value))
