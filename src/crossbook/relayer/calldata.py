"""ABI encoding of the relayer's own call arguments, without eth-abi's per-value validation.

eth-abi validates every value of every trade as it encodes; for a settle call of a thousand
trades that is most of the work of sending a batch. The relayer builds
these values itself, so `Encoder` checks the layout once and then encodes with plain byte
operations. It handles the types settlement calls use (unsigned integers, address, bool,
bytesN, bytes, string, dynamic and fixed arrays, tuples); for anything else, or whenever its
first output differs from eth-abi's, it hands over to eth-abi for good.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from eth_abi.abi import encode as abi_encode

log = logging.getLogger("crossbook.relayer.calldata")

_ZERO = bytes(32)
_ARRAY = re.compile(r"^(.*)\[(\d*)\]$")

#: (is_dynamic, encode(value) -> bytes) for one type
Codec = tuple[bool, Callable[[Any], bytes]]


class UnsupportedType(ValueError):
    """A type the fast encoder does not cover (eth-abi encodes it instead)."""


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _split_tuple(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [p for p in parts if p]


def _sequence(codecs: Sequence[Codec], values: Sequence[Any]) -> bytes:
    """Head/tail encoding of a tuple or an array's elements."""
    heads: list[bytes] = []
    tails: list[bytes] = []
    encoded = [(dynamic, encode(v)) for (dynamic, encode), v in zip(codecs, values, strict=True)]
    head_size = sum(32 if dynamic else len(data) for dynamic, data in encoded)
    offset = head_size
    for dynamic, data in encoded:
        if dynamic:
            heads.append(_word(offset))
            tails.append(data)
            offset += len(data)
        else:
            heads.append(data)
    return b"".join(heads) + b"".join(tails)


def codec(type_str: str) -> Codec:
    """The encoder of one ABI type; `UnsupportedType` if the fast path does not cover it."""
    array = _ARRAY.match(type_str)
    if array is not None:
        elem_dynamic, elem = inner = codec(array.group(1))
        if array.group(2):
            length = int(array.group(2))

            def fixed(values: Sequence[Any]) -> bytes:
                if len(values) != length:
                    raise ValueError(f"{type_str} takes {length} values, got {len(values)}")
                return _sequence([inner] * length, values)

            return elem_dynamic, fixed

        def dynamic_array(values: Sequence[Any]) -> bytes:
            if not elem_dynamic:
                return _word(len(values)) + b"".join(elem(v) for v in values)
            return _word(len(values)) + _sequence([inner] * len(values), values)

        return True, dynamic_array
    if type_str.startswith("(") and type_str.endswith(")"):
        members = [codec(t) for t in _split_tuple(type_str[1:-1])]
        is_dynamic = any(d for d, _ in members)
        return is_dynamic, lambda values: _sequence(members, values)
    if type_str.startswith("uint"):
        bits = int(type_str[4:] or 256)

        def uint(value: int) -> bytes:
            if value < 0 or value >> bits:
                raise ValueError(f"{value} does not fit {type_str}")
            return _word(value)

        return False, uint
    if type_str == "address":

        def address(value: str | bytes) -> bytes:
            raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
            if len(raw) != 20:
                raise ValueError(f"not an address: {value!r}")
            return bytes(12) + raw

        return False, address
    if type_str == "bool":
        return False, lambda value: _word(1 if value else 0)
    if type_str in ("bytes", "string"):

        def dynamic_bytes(value: bytes | str) -> bytes:
            raw = value.encode() if isinstance(value, str) else bytes(value)
            padded = raw + bytes(-len(raw) % 32)
            return _word(len(raw)) + padded

        return True, dynamic_bytes
    if type_str.startswith("bytes") and type_str[5:].isdigit():
        size = int(type_str[5:])

        def fixed_bytes(value: bytes) -> bytes:
            raw = bytes(value)
            if len(raw) != size:
                raise ValueError(f"{type_str} takes {size} bytes, got {len(raw)}")
            return raw + _ZERO[size:]

        return False, fixed_bytes
    raise UnsupportedType(type_str)


class Encoder:
    """Encodes argument lists of fixed types; checked against eth-abi on its first use."""

    def __init__(self, types: Sequence[str]) -> None:
        self.types = list(types)
        self._codecs: list[Codec] | None
        try:
            self._codecs = [codec(t) for t in self.types]
        except UnsupportedType as exc:
            log.info("fast ABI encoding off for %s: %s", self.types, exc)
            self._codecs = None
        self._checked = False

    def encode(self, values: Sequence[Any]) -> bytes:
        if self._codecs is None:
            return bytes(abi_encode(self.types, values))
        fast = _sequence(self._codecs, values)
        if not self._checked:
            reference = bytes(abi_encode(self.types, values))
            if fast != reference:  # never expected; then eth-abi does it from now on
                log.warning("fast ABI encoding differs from eth-abi for %s; off", self.types)
                self._codecs = None
                return reference
            self._checked = True
        return fast
