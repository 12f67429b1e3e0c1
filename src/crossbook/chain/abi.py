"""ABIs of the suite's contracts and bindings to deployed instances."""

from __future__ import annotations

from typing import Any, Final

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from crossbook.artifacts import load_artifact

#: Every contract whose custom errors a transaction of ours can surface.
SUITE_CONTRACTS: Final = (
    "Settlement",
    "Factory",
    "Router",
    "Pool",
    "BookFactory",
    "OrderBook",
    "HybridRouter",
    "MockERC20",
)


def contract_abi(name: str) -> list[dict[str, Any]]:
    """The ABI of contract `name` (`Settlement`, `Pool`, ..., `MockERC20` for any ERC-20)."""
    return load_artifact(name).abi


def contract_at(w3: Web3, name: str, address: str) -> Contract:
    """A binding of contract `name` at `address`."""
    return w3.eth.contract(address=to_checksum_address(address), abi=contract_abi(name))


def canonical_type(param: dict[str, Any]) -> str:
    """The type of an ABI parameter as it appears in a signature: tuples spelled out."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind
