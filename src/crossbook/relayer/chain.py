"""Chain reads the relayer needs (balances, allowances, EIP-1271, pre-signatures), cached
briefly so a burst of orders from one owner costs one RPC round trip, not one each."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from web3 import Web3
from web3.contract import Contract
from web3.types import RPCEndpoint

from crossbook.chain import contract_abi
from crossbook.errors import CrossbookError
from crossbook.hashing import keccak

EIP1271_MAGIC = bytes.fromhex("1626ba7e")
_ERC1271_ABI: list[dict[str, Any]] = [
    {
        "name": "isValidSignature",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
        "outputs": [{"name": "", "type": "bytes4"}],
    }
]


class ChainReadError(CrossbookError, ConnectionError):
    """The node did not answer a read (down, unreachable, or it returned an error)."""


class ChainReader(Protocol):
    def balance(self, owner: str, token: str) -> int: ...
    def allowance(self, owner: str, token: str) -> int: ...
    def internal_balance(self, owner: str, token: str) -> int: ...
    def is_valid_1271(self, owner: str, uid: bytes, signature: bytes) -> bool: ...
    def presigned(self, owner: str, uid: bytes) -> bool: ...

    def peek(self, kind: str, owner: str, token: str) -> int | None:
        """A still-fresh value of `kind` ("balance", "allowance", "internal") without any
        I/O, or None when it has to be read: lets the API decide most orders on the event
        loop and send only cache misses to a thread."""
        ...


_BALANCE_OF = bytes.fromhex("70a08231")  # balanceOf(address)
_ALLOWANCE = bytes.fromhex("dd62ed3e")  # allowance(address,address)
_INTERNAL_BALANCE_OF = keccak(b"balanceOf(address,address)")[:4]  # Settlement


def _word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


class Web3Chain:
    """`ChainReader` over a web3 provider; values are cached for `ttl` seconds.

    Balance reads are raw `eth_call`s on the provider: web3's contract-function path costs
    more CPU per call (ABI lookups, keccak of selectors, and an `eth_chainId` round trip in
    its validation middleware) than the rest of an order's validation. A key past half its
    `ttl` is refreshed ahead by a background thread while the cached value is still served,
    so steady traffic never waits for a read; a key that did expire is read once, concurrent
    requests for it waiting for that one read.
    """

    def __init__(self, w3: Web3, settlement_address: str, ttl: float = 2.0) -> None:
        self.w3 = w3
        self.settlement: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(settlement_address),
            abi=contract_abi("Settlement"),
        )
        self.ttl = ttl
        self._cache: dict[tuple[str, str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._reading: dict[tuple[str, str, str], threading.Lock] = {}
        self._refreshing: set[tuple[str, str, str]] = set()
        self._refresher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chain-refresh")

    def _call(self, to: str, data: bytes) -> int:
        try:
            reply = self.w3.provider.make_request(
                RPCEndpoint("eth_call"), [{"to": to, "data": "0x" + data.hex()}, "latest"]
            )
        except Exception as exc:
            raise ChainReadError(f"eth_call to {to} failed: {exc}") from exc
        result = reply.get("result")
        if not isinstance(result, str):
            raise ChainReadError(f"eth_call to {to} failed: {reply.get('error')}")
        raw = bytes.fromhex(result[2:])
        return int.from_bytes(raw[:32], "big") if raw else 0

    def peek(self, kind: str, owner: str, token: str) -> int | None:
        key = (kind, owner, token)
        hit = self._cache.get(key)  # a dict read is atomic under the GIL
        if hit is None:
            return None
        age = time.monotonic() - hit[0]
        if age >= self.ttl:
            return None
        if age >= self.ttl / 2 and key not in self._refreshing:
            # refresh ahead, off the caller's thread: under steady traffic a key never
            # expires, so no request waits for a read, and no value is older than `ttl`
            self._refreshing.add(key)
            self._refresher.submit(self._refresh, key)
        return hit[1]

    def _refresh(self, key: tuple[str, str, str]) -> None:
        try:
            self._store(key, time.monotonic(), self._read(key))
        except ChainReadError:
            pass  # the next request past `ttl` reads it again (and reports the outage)
        finally:
            self._refreshing.discard(key)

    def _store(self, key: tuple[str, str, str], at: float, value: int) -> None:
        with self._lock:
            if len(self._cache) > 100_000:
                self._cache.clear()
                self._reading.clear()
            self._cache[key] = (at, value)

    def _read(self, key: tuple[str, str, str]) -> int:
        kind, owner, token = key
        if kind == "balance":
            return self._call(token, _BALANCE_OF + _word(owner))
        if kind == "allowance":
            return self._call(token, _ALLOWANCE + _word(owner) + _word(self.settlement.address))
        return self._call(
            self.settlement.address, _INTERNAL_BALANCE_OF + _word(owner) + _word(token)
        )

    def _cached(self, key: tuple[str, str, str]) -> int:
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        with self._lock:
            gate = self._reading.setdefault(key, threading.Lock())
        with gate:  # one read per key at a time; the others then find it cached
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.ttl:
                return hit[1]
            now = time.monotonic()
            value = self._read(key)
            self._store(key, now, value)
            return value

    def balance(self, owner: str, token: str) -> int:
        return self._cached(("balance", owner, token))

    def allowance(self, owner: str, token: str) -> int:
        return self._cached(("allowance", owner, token))

    def internal_balance(self, owner: str, token: str) -> int:
        return self._cached(("internal", owner, token))

    def is_valid_1271(self, owner: str, uid: bytes, signature: bytes) -> bool:
        try:
            code = self.w3.eth.get_code(Web3.to_checksum_address(owner))
        except Exception as exc:
            raise ChainReadError(f"eth_getCode of {owner} failed: {exc}") from exc
        if len(code) == 0:
            return False  # a codeless "wallet" would make any signature look valid
        wallet = self.w3.eth.contract(address=Web3.to_checksum_address(owner), abi=_ERC1271_ABI)
        try:
            result = wallet.functions.isValidSignature(uid, signature).call({"gas": 100_000})
        except Exception:
            return False
        return bytes(result) == EIP1271_MAGIC

    def presigned(self, owner: str, uid: bytes) -> bool:
        try:
            return bool(self.settlement.functions.preSignature(owner, uid).call())
        except Exception as exc:
            raise ChainReadError(f"preSignature({owner}) failed: {exc}") from exc
