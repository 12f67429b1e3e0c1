"""What every `crossbook` command group shares: friendly errors and finding the node."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from web3 import Web3

from crossbook.errors import CrossbookError, DevnetError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_RPC = "http://127.0.0.1:8545"


def friendly_errors(fn: F) -> F:
    """A user mistake prints one clear line and exits 1, never a stack trace."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CrossbookError as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
        except OSError as exc:  # a node that went away mid-command, an unwritable file
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None

    return wrapper  # type: ignore[return-value]


def default_rpc_url() -> str:
    """A detached devnet's RPC (`crossbook devnet up --detach`), else localhost:8545."""
    from crossbook.paths import project_root

    try:
        state = project_root() / ".devnet" / "state.json"
        if state.is_file():
            return str(json.loads(state.read_text()).get("rpc_url", DEFAULT_RPC))
    except (CrossbookError, OSError, ValueError):
        pass
    return DEFAULT_RPC


def connect_node(rpc_url: str | None, timeout: float = 60) -> tuple[Web3, int]:
    """A web3 connection to `rpc_url` (or the default) and its chain id; a clear error if no
    node answers."""
    url = rpc_url or default_rpc_url()
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception:
        raise DevnetError(
            f"no Ethereum node answers at {url}; start one (`crossbook devnet up`) or pass "
            "--rpc-url"
        ) from None
    return w3, chain_id
