"""One transaction path: simulate, sign (or let the node sign), broadcast, wait, check.

What is sent is a function of one of our contracts or raw calldata (`RawCall`): to a contract
we hold no ABI for (the CREATE2 deployment proxy), or init code that creates a contract.

A call that would revert raises `TransactionFailed` naming the contract's typed error, and
nothing is broadcast. The receipt wait is bounded by one setting, `CROSSBOOK_RECEIPT_TIMEOUT`
(seconds, default 120).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.transactions import fill_transaction_defaults
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted
from web3.types import Nonce, TxParams, Wei

from crossbook.chain.errors import NoEtherForGas, ReceiptTimeout, TransactionFailed
from crossbook.chain.revert import decode_revert

MAX_UINT: Final = 2**256 - 1
DEFAULT_RECEIPT_TIMEOUT_S: Final = 120.0


@runtime_checkable
class TransactionSigner(Protocol):
    """Anything that signs a transaction dict as `address` and returns the raw bytes."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, tx: dict[str, Any]) -> bytes: ...


#: Who sends: an address the node signs for (an unlocked devnet account), or a local signer.
Sender = str | TransactionSigner


@dataclass(frozen=True)
class RawCall:
    """Calldata sent as is to a contract we hold no ABI for (the CREATE2 deployment proxy),
    or, with no `to`, init code that creates a contract."""

    to: str | None
    data: bytes
    value: int = 0

    def params(self, sender: str) -> TxParams:
        params: TxParams = {
            "from": to_checksum_address(sender),
            "data": HexBytes(self.data),
            "value": Wei(self.value),
        }
        if self.to is not None:
            params["to"] = to_checksum_address(self.to)
        return params


@dataclass(frozen=True)
class SentTransaction:
    """A mined, successful transaction: what the simulation returned, and its receipt."""

    result: Any
    receipt: dict[str, Any]

    @property
    def tx_hash(self) -> str:
        return "0x" + bytes(self.receipt["transactionHash"]).hex()

    @property
    def gas_used(self) -> int:
        return int(self.receipt["gasUsed"])


def receipt_timeout() -> float:
    """Seconds to wait for a receipt: `CROSSBOOK_RECEIPT_TIMEOUT`, default 120."""
    raw = os.environ.get("CROSSBOOK_RECEIPT_TIMEOUT", "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_RECEIPT_TIMEOUT_S
    except ValueError:
        value = DEFAULT_RECEIPT_TIMEOUT_S
    return value if value > 0 else DEFAULT_RECEIPT_TIMEOUT_S


def sender_address(sender: Sender) -> ChecksumAddress:
    return to_checksum_address(sender if isinstance(sender, str) else sender.address)


def would_revert(what: str, exc: BaseException) -> TransactionFailed:
    """The typed error for a simulation (or gas estimate) that reverted with `exc`."""
    error = decode_revert(exc)
    return TransactionFailed(f"{what} would revert: {error or exc}", error=error)


#: What a transaction calls: a function of one of our contracts, or raw calldata.
Call = ContractFunction | RawCall


def _simulate(w3: Web3, fn: Call, address: ChecksumAddress) -> Any:
    if isinstance(fn, RawCall):
        return w3.eth.call(fn.params(address))
    return fn.call({"from": address})


def _node_sends(w3: Web3, fn: Call, address: ChecksumAddress) -> HexBytes:
    if isinstance(fn, RawCall):
        return HexBytes(w3.eth.send_transaction(fn.params(address)))
    return HexBytes(fn.transact({"from": address}))


def _build(w3: Web3, fn: Call, address: ChecksumAddress, nonce: Nonce) -> dict[str, Any]:
    if isinstance(fn, RawCall):
        # the defaults (gas, fees, chain id) ContractFunction.build_transaction fills in
        return dict(fill_transaction_defaults(w3, {**fn.params(address), "nonce": nonce}))
    return dict(fn.build_transaction({"from": address, "nonce": nonce}))


def _describe(fn: Call) -> str:
    if not isinstance(fn, RawCall):
        return str(fn.fn_name)
    return f"call to {fn.to}" if fn.to is not None else "contract creation"


def send_transaction(
    w3: Web3, fn: Call, sender: Sender, what: str | None = None
) -> SentTransaction:
    """Simulate `fn` from `sender`, send it, wait for its receipt; a revert is typed."""
    what = what or _describe(fn)
    result, tx_hash = broadcast(w3, fn, sender, what)
    return SentTransaction(result, wait_for_receipt(w3, tx_hash, what))


def broadcast(w3: Web3, fn: Call, sender: Sender, what: str | None = None) -> tuple[Any, HexBytes]:
    """Simulate `fn` from `sender` and send it at the sender's pending nonce, without waiting:
    (what the simulation returned, the transaction hash). A revert is typed, and nothing is
    broadcast."""
    what = what or _describe(fn)
    address = sender_address(sender)
    try:
        result = _simulate(w3, fn, address)
        if isinstance(sender, str):
            return result, _node_sends(w3, fn, address)
        nonce = w3.eth.get_transaction_count(address, "pending")
        tx = _build(w3, fn, address, nonce)
        if int(tx.get("maxFeePerGas", 1) or 0) > 0 and w3.eth.get_balance(address) == 0:
            raise NoEtherForGas(
                f"{what}: {address} has no ether for gas on chain {tx.get('chainId')}; "
                "fund it first"
            )
        return result, HexBytes(w3.eth.send_raw_transaction(sender.sign_transaction(tx)))
    except ContractLogicError as exc:
        raise would_revert(what, exc) from None


def wait_for_receipt(w3: Web3, tx_hash: bytes, what: str) -> dict[str, Any]:
    """The receipt of a successful transaction; `TransactionFailed` if it reverted or was
    not mined within `receipt_timeout()` seconds."""
    shown = "0x" + bytes(tx_hash).hex()
    timeout = receipt_timeout()
    try:
        receipt = dict(w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=timeout))
    except TimeExhausted:
        raise ReceiptTimeout(
            f"{what}: tx {shown} was not mined within {timeout:g} s (it may still be; raise "
            "CROSSBOOK_RECEIPT_TIMEOUT for a slow chain)",
            tx_hash=shown,
        ) from None
    if receipt["status"] != 1:
        raise TransactionFailed(f"{what} reverted on chain (tx {shown})", tx_hash=shown)
    return receipt
