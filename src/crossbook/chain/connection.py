"""One node connection: a web3 for an RPC URL, checked by asking the node its chain id."""

from __future__ import annotations

import json
from typing import Final

from web3 import Web3

from crossbook.chain.errors import NodeUnreachable, WrongNetwork
from crossbook.errors import CrossbookError

DEFAULT_RPC_URL: Final = "http://127.0.0.1:8545"


def default_rpc_url() -> str:
    """A detached devnet's RPC (`crossbook devnet up --detach`), else localhost:8545."""
    from crossbook.paths import project_root

    try:
        state = project_root() / ".devnet" / "state.json"
        if state.is_file():
            return str(json.loads(state.read_text()).get("rpc_url", DEFAULT_RPC_URL))
    except (CrossbookError, OSError, ValueError):
        pass
    return DEFAULT_RPC_URL


def web3_for(rpc_url: str, *, timeout: float = 60.0) -> Web3:
    """A web3 for `rpc_url`, not yet checked (for a service that must start while the node is
    away, and learns the chain id later)."""
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))


def connect(
    rpc_url: str | None = None, *, timeout: float = 60.0, expected_chain_id: int | None = None
) -> tuple[Web3, int]:
    """A web3 for `rpc_url` (default: `default_rpc_url()`) and the node's chain id.

    `NodeUnreachable` if nothing answers; `WrongNetwork` if the node is not on
    `expected_chain_id`."""
    url = rpc_url or default_rpc_url()
    w3 = web3_for(url, timeout=timeout)
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception:
        raise NodeUnreachable(
            f"no Ethereum node answers at {url}: start one (`crossbook devnet up`) or "
            "pass --rpc-url / CROSSBOOK_RPC_URL"
        ) from None
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise WrongNetwork(
            f"the node at {url} is chain {chain_id}, not the expected {expected_chain_id}: "
            "point --rpc-url at the right network (or drop --chain-id)"
        )
    return w3, chain_id
