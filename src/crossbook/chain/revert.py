"""One revert decoder: the custom error inside a web3 exception, from the suite's ABIs.

Every custom error of every contract in `SUITE_CONTRACTS` (tuple parameters included), the
errors solady's libraries raise from inside them, and Solidity's own `Error(string)` and
`Panic(uint256)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError

from crossbook.chain.abi import SUITE_CONTRACTS, canonical_type, contract_abi
from crossbook.hashing import keccak

#: Raised by solady's SafeTransferLib and ReentrancyGuard inside our contracts.
LIBRARY_ERRORS: Final = (
    "Reentrancy()",
    "TransferFromFailed()",
    "TransferFailed()",
    "ApproveFailed()",
    "Error(string)",
    "Panic(uint256)",
)


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    types: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True)
class ContractError:
    """A decoded revert: `name(args)`, the argument types and names, the raw revert data."""

    name: str
    args: tuple[Any, ...]
    types: tuple[str, ...]
    arg_names: tuple[str, ...]
    data: bytes

    def arg(self, name: str) -> Any:
        return self.args[self.arg_names.index(name)]

    def __str__(self) -> str:
        shown = ", ".join(_show(a) for a in self.args)
        return f"{self.name}({shown})"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _spec_of(signature: str) -> tuple[bytes, ErrorSpec]:
    name, _, rest = signature.partition("(")
    types = tuple(t for t in rest[:-1].split(",") if t)
    return keccak(signature.encode())[:4], ErrorSpec(name, types, tuple("" for _ in types))


@lru_cache(maxsize=1)
def error_table() -> dict[bytes, ErrorSpec]:
    """4-byte selector -> the error it names, over the whole suite."""
    table: dict[bytes, ErrorSpec] = dict(_spec_of(sig) for sig in LIBRARY_ERRORS)
    for contract in SUITE_CONTRACTS:
        for item in contract_abi(contract):
            if item.get("type") != "error":
                continue
            inputs = item.get("inputs", [])
            types = tuple(canonical_type(i) for i in inputs)
            selector = keccak(f"{item['name']}({','.join(types)})".encode())[:4]
            table[selector] = ErrorSpec(
                str(item["name"]), types, tuple(str(i.get("name", "")) for i in inputs)
            )
    return table


def revert_data(exc: BaseException) -> bytes:
    """The revert data a web3 exception carries (empty when it carries none)."""
    for candidate in (getattr(exc, "data", None), *exc.args):
        if isinstance(candidate, dict):
            candidate = candidate.get("data")
        if isinstance(candidate, bytes | bytearray):
            return bytes(candidate)
        if isinstance(candidate, str) and candidate[:2] in ("0x", "0X"):
            try:
                return bytes.fromhex(candidate[2:])
            except ValueError:
                continue
    return b""


def decode_revert(source: BaseException | bytes) -> ContractError | None:
    """The typed error in a web3 exception (or in raw revert data), if one of ours raised it."""
    data = source if isinstance(source, bytes) else revert_data(source)
    if len(data) < 4:
        return None
    spec = error_table().get(data[:4])
    if spec is None:
        return None
    payload = data[4:]
    if len(payload) % 32 or len(payload) < 32 * len(spec.types):
        return None  # not whole ABI words: not what a Solidity revert encodes
    try:
        args = tuple(decode(list(spec.types), payload)) if spec.types else ()
    except (DecodingError, ValueError, OverflowError):
        return None
    return ContractError(spec.name, args, spec.types, spec.names, data)
