"""Chain reads the relayer needs (balances, allowances, EIP-1271, pre-signatures), cached
briefly so a burst of orders from one owner costs one RPC round trip, not one each."""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from web3 import Web3
from web3.contract import Contract

from crossbook.artifacts import load_artifact

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


class ChainReader(Protocol):
    def balance(self, owner: str, token: str) -> int: ...
    def allowance(self, owner: str, token: str) -> int: ...
    def internal_balance(self, owner: str, token: str) -> int: ...
    def is_valid_1271(self, owner: str, uid: bytes, signature: bytes) -> bool: ...
    def presigned(self, owner: str, uid: bytes) -> bool: ...


class Web3Chain:
    """`ChainReader` over a web3 provider; values are cached for `ttl` seconds."""

    def __init__(self, w3: Web3, settlement_address: str, ttl: float = 2.0) -> None:
        self.w3 = w3
        self.settlement: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(settlement_address),
            abi=load_artifact("Settlement").abi,
        )
        self._erc20_abi = load_artifact("MockERC20").abi
        self._tokens: dict[str, Contract] = {}
        self.ttl = ttl
        self._cache: dict[tuple[str, str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def _token(self, address: str) -> Contract:
        token = self._tokens.get(address)
        if token is None:
            token = self.w3.eth.contract(
                address=Web3.to_checksum_address(address), abi=self._erc20_abi
            )
            self._tokens[address] = token
        return token

    def _cached(self, key: tuple[str, str, str], read: Any) -> int:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = int(read())
        with self._lock:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = (now, value)
        return value

    def balance(self, owner: str, token: str) -> int:
        return self._cached(
            ("balance", owner, token), self._token(token).functions.balanceOf(owner).call
        )

    def allowance(self, owner: str, token: str) -> int:
        return self._cached(
            ("allowance", owner, token),
            self._token(token).functions.allowance(owner, self.settlement.address).call,
        )

    def internal_balance(self, owner: str, token: str) -> int:
        return self._cached(
            ("internal", owner, token), self.settlement.functions.balanceOf(owner, token).call
        )

    def is_valid_1271(self, owner: str, uid: bytes, signature: bytes) -> bool:
        if len(self.w3.eth.get_code(Web3.to_checksum_address(owner))) == 0:
            return False  # a codeless "wallet" would make any signature look valid
        wallet = self.w3.eth.contract(address=Web3.to_checksum_address(owner), abi=_ERC1271_ABI)
        try:
            result = wallet.functions.isValidSignature(uid, signature).call({"gas": 100_000})
        except Exception:
            return False
        return bytes(result) == EIP1271_MAGIC

    def presigned(self, owner: str, uid: bytes) -> bool:
        return bool(self.settlement.functions.preSignature(owner, uid).call())
