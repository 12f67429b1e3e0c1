"""What the command groups share: one `friendly_errors`, `needs` (the checkout or an extra),
the shared options, the two kinds of connected command and one way to print a result.

A connected command works like ape's `ConnectedProviderCommand`: the command class adds the
shared options after the command's own, and hands the callback one session object in their
place (its first argument), which connects on first use.

- `NodeCommand` (`pool`, `book`, `swap`): ``--from`` (an unlocked node account), ``--rpc-url``,
  ``--manifest-dir``, ``--json``; the callback gets ``node: NodeSession``;
- `WalletCommand` (`order`, `balance`, `approve`, `deposit`, `withdraw`, `admin`): the node,
  relayer (unless ``relayer=False``), manifest and signing-key options; the callback gets
  ``conn: WalletSession``.

Heavy modules (web3, the clients) are imported inside functions so that ``crossbook --help``
stays fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from crossbook.errors import CheckoutRequired, CrossbookError

if TYPE_CHECKING:
    from web3 import Web3

    from crossbook.client import Signer, Wallet
    from crossbook.manifest import Manifest

F = TypeVar("F", bound=Callable[..., Any])


class UnknownSender(CrossbookError, ValueError):
    """``--from`` names neither an unlocked account of the node nor an address."""


def friendly_errors(fn: F) -> F:
    """A user mistake prints one line ``Error: <Type>: <what to do>`` and exits 1, never a
    stack trace."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CrossbookError as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
        except OSError as exc:  # a node that went away mid-command, an unwritable file
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None

    return wrapper  # type: ignore[return-value]


def needs(
    *, extra: str | None = None, checkout: bool = False, what: str | None = None
) -> Callable[[F], F]:
    """A command that needs the checkout (`crossbook.paths.project_root`) or an optional part
    of the package (`crossbook.extras`): without it, one ``Error: ...`` line says what to
    install, before the command does anything. ``--help`` works either way. ``what`` names
    the command in that line (default: its command path)."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            name = what or f"`{click.get_current_context().command_path}`"
            if checkout:
                from crossbook.paths import project_root

                try:
                    project_root()
                except CheckoutRequired as exc:
                    raise CheckoutRequired(
                        f"{name} runs from a crossbook checkout: {exc}"
                    ) from None
            if extra is not None:
                from crossbook.extras import require_extra

                require_extra(extra, name)
            return fn(*args, **kwargs)

        return friendly_errors(wrapper)  # type: ignore[return-value]

    return decorate


# ---------------------------------------------------------------- output


def echo_json(data: Any, *, indent: int | None = None, sort_keys: bool = False) -> None:
    click.echo(json.dumps(data, indent=indent, default=str, sort_keys=sort_keys))


def emit(
    data: Mapping[str, Any],
    *,
    as_json: bool,
    width: int = 14,
    indent: int | None = None,
    sort_keys: bool = False,
) -> None:
    """A result as JSON, or as ``key  value`` lines with the keys padded to `width`."""
    if as_json:
        echo_json(data, indent=indent, sort_keys=sort_keys)
    else:
        for key, value in data.items():
            click.echo(f"{key:<{width}} {value}")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns under a header and a rule."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


# ---------------------------------------------------------------- options

RPC_URL_HELP = (
    "Node JSON-RPC [env CROSSBOOK_RPC_URL; default: the detached devnet, else "
    "http://127.0.0.1:8545]."
)

fee_option = click.option(
    "--fee", type=click.IntRange(1, 1000), default=30, show_default=True, help="Pool fee tier, bps."
)
slippage_option = click.option(
    "--slippage-bps",
    type=click.IntRange(0, 5000),
    default=50,
    show_default=True,
    help="Tolerated slippage against the quote, basis points.",
)
exact_out_option = click.option(
    "--exact-out", is_flag=True, help="AMOUNT is the exact output, not the input."
)


def rpc_url_param() -> click.Option:
    return click.Option(["--rpc-url"], envvar="CROSSBOOK_RPC_URL", default=None, help=RPC_URL_HELP)


def json_param(help: str) -> click.Option:
    return click.Option(["--json", "as_json"], is_flag=True, help=help)


def manifest_dir_param() -> click.Option:
    return click.Option(
        ["--manifest-dir"],
        envvar="CROSSBOOK_MANIFEST_DIR",
        default=None,
        type=click.Path(file_okay=False, path_type=Path),
        help="Where <chain-id>.json lives [env CROSSBOOK_MANIFEST_DIR; default: the checkout's "
        "deployments/, else the deployments shipped with the package].",
    )


def from_param() -> click.Option:
    return click.Option(
        ["--from", "sender"],
        default="0",
        show_default=True,
        help="Sender: an unlocked account's index on the node, or its address.",
    )


def wallet_params() -> list[click.Option]:
    """The node, relayer, manifest and signing-key options of the wallet commands."""
    return [
        rpc_url_param(),
        click.Option(
            ["--relayer-url"],
            envvar="CROSSBOOK_RELAYER_URL",
            default="http://127.0.0.1:8080",
            show_default=True,
            help="Relayer API [env CROSSBOOK_RELAYER_URL].",
        ),
        manifest_dir_param(),
        click.Option(
            ["--chain-id"],
            envvar="CROSSBOOK_CHAIN_ID",
            type=click.IntRange(min=1),
            default=None,
            help="Expected chain id; refuse a node on another chain.",
        ),
        click.Option(
            ["--key-file"],
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="A file holding the hex private key.",
        ),
        click.Option(
            ["--account"],
            default=None,
            help="An ape keystore account alias (passphrase from "
            "APE_ACCOUNTS_<alias>_PASSPHRASE or a prompt).",
        ),
        json_param("Print JSON."),
    ]


# ---------------------------------------------------------------- connected commands


def bind_session(
    callback: Callable[..., Any], names: Sequence[str], make: Callable[..., Any]
) -> Callable[..., Any]:
    """`callback` with the options `names` replaced by one session, `make(**options)`, passed
    first; errors made friendly."""

    @wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        session = make(**{name: kwargs.pop(name) for name in names})
        return callback(session, *args, **kwargs)

    return friendly_errors(run)


@dataclass
class NodeSession:
    """A node and the deployment manifest of its chain, for a command that sends from the
    node's unlocked accounts. Connects on first use of `w3`, `chain_id` or `manifest`."""

    rpc_url: str | None
    sender_ref: str = "0"
    as_json: bool = False
    manifest_dir: Path | None = None

    @cached_property
    def connection(self) -> tuple[Web3, int]:
        from crossbook.chain import connect

        return connect(self.rpc_url)

    @property
    def w3(self) -> Web3:
        return self.connection[0]

    @property
    def chain_id(self) -> int:
        return self.connection[1]

    @cached_property
    def manifest(self) -> Manifest:
        from crossbook.manifest import read_manifest

        return read_manifest(self.chain_id, self.manifest_dir)

    def sender(self, ref: str | None = None) -> str:
        """`ref` (default: ``--from``), an unlocked account's index on the node or an address,
        as a checksum address."""
        from eth_utils.address import is_address, to_checksum_address

        ref = self.sender_ref if ref is None else ref
        if ref.isdigit():
            accounts = self.w3.eth.accounts
            if int(ref) >= len(accounts):
                raise UnknownSender(
                    f"the node has {len(accounts)} unlocked accounts; --from {ref} is not one"
                )
            return str(accounts[int(ref)])
        if not is_address(ref):
            raise UnknownSender(f"--from {ref!r} is neither an account index nor a 0x address")
        return str(to_checksum_address(ref))

    def emit(self, data: Mapping[str, Any]) -> None:
        """One JSON object on one line with ``--json``, else ``key  value`` lines."""
        emit(data, as_json=self.as_json, sort_keys=True)


class NodeCommand(click.Command):
    """A command on a node's unlocked accounts: ``--from`` (unless ``sender=False``),
    ``--rpc-url``, ``--manifest-dir`` and ``--json`` (unless ``json=False``) follow its own
    options; its callback takes ``node: NodeSession`` first instead of them."""

    def __init__(self, *args: Any, sender: bool = True, json: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shared = [
            *([from_param()] if sender else []),
            rpc_url_param(),
            manifest_dir_param(),
            *([json_param("Print one JSON object.")] if json else []),
        ]
        self.params += shared
        assert self.callback is not None
        self.callback = bind_session(self.callback, [str(p.name) for p in shared], self._session)

    @staticmethod
    def _session(
        rpc_url: str | None,
        manifest_dir: Path | None = None,
        sender: str = "0",
        as_json: bool = False,
    ) -> NodeSession:
        return NodeSession(
            rpc_url=rpc_url, sender_ref=sender, as_json=as_json, manifest_dir=manifest_dir
        )


@dataclass
class WalletSession:
    """The wallet commands' options: which node, relayer and manifest, and which key signs."""

    rpc_url: str | None
    relayer_url: str
    manifest_dir: Path | None
    chain_id: int | None
    key_file: Path | None
    account: str | None
    as_json: bool

    def signer(self, address: str | None = None, required: bool = True) -> Signer | None:
        """`address` as a signer that cannot sign (read-only, or signed elsewhere), else the
        key of ``--key-file``, ``--account`` or ``CROSSBOOK_PRIVATE_KEY``."""
        from crossbook.client import ExternalSigner, LocalSigner
        from crossbook.client.errors import SignerError

        if self.key_file is not None and self.account is not None:
            raise click.UsageError("pass one of --key-file and --account, not both")
        if address is not None:
            return ExternalSigner(address)
        if self.key_file is not None:
            return LocalSigner.from_key_file(self.key_file)
        if self.account is not None:
            return LocalSigner.from_ape_alias(
                self.account, prompt=lambda q: str(click.prompt(q, hide_input=True, err=True))
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

    def wallet(
        self, *, address: str | None = None, relayer: bool = True, key: bool = True
    ) -> Wallet:
        """A connected wallet: checks that node, manifest, relayer (unless `relayer=False`)
        and ``--chain-id`` agree."""
        from crossbook.chain import default_rpc_url
        from crossbook.client import Wallet

        signer = self.signer(address=address, required=key)
        assert signer is not None
        return Wallet.connect(
            signer,
            rpc_url=self.rpc_url or default_rpc_url(),
            relayer_url=self.relayer_url if relayer else None,
            manifest_dir=self.manifest_dir,
            expected_chain_id=self.chain_id,
        )

    def echo_json(self, data: Any) -> None:
        echo_json(data, indent=2)

    def emit(self, data: Mapping[str, Any], width: int = 13) -> None:
        """Indented JSON with ``--json``, else ``key  value`` lines."""
        emit(data, as_json=self.as_json, width=width, indent=2)


class WalletCommand(click.Command):
    """A wallet command: the node, relayer (unless ``relayer=False``), manifest and key options
    follow its own; its callback takes ``conn: WalletSession`` first instead of them."""

    def __init__(self, *args: Any, relayer: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shared = [p for p in wallet_params() if relayer or p.name != "relayer_url"]
        self.params += shared
        assert self.callback is not None
        names = [str(p.name) for p in shared]
        self.callback = bind_session(self.callback, names, self._session)

    @staticmethod
    def _session(relayer_url: str = "", **options: Any) -> WalletSession:
        return WalletSession(relayer_url=relayer_url, **options)
