"""ABIs of the suite's contracts and bindings to deployed instances.

The ABIs ship with the package (`crossbook/chain/abis/<Contract>.json`), so the SDK needs no
compiled checkout. `make build` writes them from the compile (`write_shipped_abis`); a test
fails when a shipped ABI differs from the compiled one.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from crossbook.errors import ToolchainError

#: Every contract whose ABI ships with the package, and whose custom errors a transaction of
#: ours can surface. `MockERC20` is the ERC-20 ABI every token is read and approved through.
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


@cache
def contract_abi(name: str) -> list[dict[str, Any]]:
    """The ABI of contract `name` (`Settlement`, `Pool`, ..., `MockERC20` for any ERC-20)."""
    if name not in SUITE_CONTRACTS:
        raise ToolchainError(
            f"no ABI for {name!r} ships with crossbook (known: {', '.join(SUITE_CONTRACTS)})"
        )
    shipped = resources.files("crossbook.chain").joinpath("abis", f"{name}.json")
    try:
        abi: list[dict[str, Any]] = json.loads(shipped.read_text())
    except FileNotFoundError:
        raise ToolchainError(
            f"the ABI of {name} is missing from the installed package ({shipped}); in a "
            "checkout, `make build` writes it"
        ) from None
    return abi


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


def abi_file_text(abi: list[dict[str, Any]]) -> str:
    """How a shipped ABI file is written: stable key order, one item per line."""
    return "[\n" + ",\n".join(json.dumps(item, sort_keys=True) for item in abi) + "\n]\n"


def write_shipped_abis(folder: Path | None = None) -> list[Path]:
    """Write every suite contract's ABI from the compile (`.build`); the files written."""
    from crossbook.artifacts import load_artifact

    target = folder or Path(__file__).resolve().parent / "abis"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SUITE_CONTRACTS:
        path = target / f"{name}.json"
        text = abi_file_text(load_artifact(name).abi)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    contract_abi.cache_clear()
    return written
