"""The book's ABI (from the compiled artifacts) and decoding of its typed revert errors."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eth_abi.abi import decode

from crossbook.artifacts import load_artifact
from crossbook.book.errors import BookReverted
from crossbook.hashing import keccak


def book_abi() -> list[dict[str, Any]]:
    return load_artifact("OrderBook").abi


def factory_abi() -> list[dict[str, Any]]:
    return load_artifact("BookFactory").abi


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(_type(i) for i in item['inputs'])})"


def _type(inp: dict[str, Any]) -> str:
    if inp["type"].startswith("tuple"):
        inner = ",".join(_type(c) for c in inp["components"])
        return f"({inner}){inp['type'][5:]}"
    return str(inp["type"])


@lru_cache(maxsize=1)
def _errors() -> dict[bytes, tuple[str, list[str]]]:
    out: dict[bytes, tuple[str, list[str]]] = {}
    for abi in (book_abi(), factory_abi()):
        for item in abi:
            if item.get("type") == "error":
                selector = keccak(_signature(item).encode())[:4]
                out[selector] = (item["name"], [_type(i) for i in item["inputs"]])
    # solady's ReentrancyGuard and SafeTransferLib errors, raised from inside the book.
    for name in ("Reentrancy()", "TransferFromFailed()", "TransferFailed()"):
        out[keccak(name.encode())[:4]] = (name[:-2], [])
    return out


def _revert_data(exc: BaseException) -> str | None:
    for candidate in (getattr(exc, "data", None), *exc.args):
        if isinstance(candidate, str) and candidate.startswith("0x") and len(candidate) >= 10:
            return candidate
        if isinstance(candidate, dict):
            data = candidate.get("data")
            if isinstance(data, str) and data.startswith("0x"):
                return data
    return None


def decode_revert(exc: BaseException) -> BookReverted | None:
    """The book's typed error carried by a web3 exception, if it is one of ours."""
    data = _revert_data(exc)
    if data is None:
        return None
    raw = bytes.fromhex(data[2:])
    known = _errors().get(raw[:4])
    if known is None:
        return None
    name, types = known
    args = tuple(decode(types, raw[4:])) if types else ()
    return BookReverted(name, args, data)
