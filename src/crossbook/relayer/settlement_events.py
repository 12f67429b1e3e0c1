"""The settlement contract's events that change an order's state, decoded from raw
`eth_getLogs` entries (JSON-RPC hex, not web3's formatted logs: a catch-up reads many).

`Trade` is a fill; `OrderCancelled`, `NonceInvalidated`, `NonceFloorRaised` and a revoked
`PreSignatureSet` end orders (see `contracts/interfaces/ISettlement.sol`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from web3 import Web3

from crossbook.hashing import keccak
from crossbook.relayer.chain import ChainReadError


def _topic(signature: str) -> str:
    return "0x" + keccak(signature.encode()).hex()


TRADE = _topic("Trade(bytes32,address,address,address,uint256,uint256,uint256)")
ORDER_CANCELLED = _topic("OrderCancelled(bytes32,address)")
NONCE_INVALIDATED = _topic("NonceInvalidated(address,uint256,uint256)")
NONCE_FLOOR_RAISED = _topic("NonceFloorRaised(address,uint256)")
PRE_SIGNATURE_SET = _topic("PreSignatureSet(address,bytes32,bool)")
#: topic0 values the follower asks `eth_getLogs` for (one OR-list)
FOLLOWED_TOPICS = (TRADE, ORDER_CANCELLED, NONCE_INVALIDATED, NONCE_FLOOR_RAISED, PRE_SIGNATURE_SET)


@dataclass(frozen=True)
class ChainTrade:
    """A decoded `Trade` event."""

    tx_hash: str
    log_index: int
    block_number: int
    order_uid: str
    owner: str
    sell_token: str
    buy_token: str
    sold: int
    bought: int
    fee: int

    def event(self, batch_id: int | None) -> dict[str, object]:
        """The trade as `/v1/stream` publishes it (`batchId` None: not settled by us)."""
        return {
            "type": "trade",
            "orderUid": self.order_uid,
            "owner": self.owner,
            "sellToken": self.sell_token,
            "buyToken": self.buy_token,
            "soldAmount": str(self.sold),
            "boughtAmount": str(self.bought),
            "txHash": self.tx_hash,
            "batchId": batch_id,
        }


@dataclass(frozen=True)
class Place:
    """Where a log sits on chain."""

    tx_hash: str
    log_index: int
    block_number: int


@dataclass(frozen=True)
class OrderCancelled:
    place: Place
    order_uid: str
    owner: str


@dataclass(frozen=True)
class NonceInvalidated:
    """`mask` bits of nonce word `word`: fill-or-kill orders with those nonces are dead."""

    place: Place
    owner: str
    word: int
    mask: int


@dataclass(frozen=True)
class NonceFloorRaised:
    """Every order of `owner` with `nonce < floor` is dead."""

    place: Place
    owner: str
    floor: int


@dataclass(frozen=True)
class PreSignatureSet:
    place: Place
    owner: str
    order_uid: str
    signed: bool


#: an event that can end (or, a pre-signature set again, reopen) orders
OrderStateEvent = OrderCancelled | NonceInvalidated | NonceFloorRaised | PreSignatureSet
SettlementEvent = ChainTrade | OrderStateEvent


def _words(data: str, count: int, what: str) -> list[int]:
    raw = bytes.fromhex(data[2:])
    if len(raw) != 32 * count:
        raise ChainReadError(f"malformed {what} event data: {len(raw)} bytes, want {32 * count}")
    return [int.from_bytes(raw[i : i + 32], "big") for i in range(0, len(raw), 32)]


def _address(word: int | str) -> str:
    value = int(word, 16) if isinstance(word, str) else word
    if value >> 160:
        raise ChainReadError(f"malformed address word in an event: {value:#x}")
    return _checksum(value)


@functools.lru_cache(maxsize=65_536)
def _checksum(value: int) -> str:
    """EIP-55 form (cached: owners and tokens repeat from log to log)."""
    return Web3.to_checksum_address(value.to_bytes(20, "big"))


def decode_trade_data(data: bytes) -> tuple[str, str, int, int, int]:
    """The data words of a `Trade` event: (sellToken, buyToken, sold, bought, fee); used for
    raw logs here and for receipts by the submitter."""
    if len(data) != 160 or any(data[0:12]) or any(data[32:44]):
        raise ChainReadError(f"malformed Trade event data: {len(data)} bytes, 0x{data.hex()[:80]}")
    sell, buy, sold, bought, fee = (
        int.from_bytes(data[i : i + 32], "big") for i in range(0, 160, 32)
    )
    return _checksum(sell), _checksum(buy), sold, bought, fee


def _uid(topic: str) -> str:
    return "0x" + topic[2:].lower().rjust(64, "0")


def decode_log(entry: dict[str, Any]) -> SettlementEvent | None:
    """One raw log of the settlement contract; None for events the follower ignores."""
    topics: list[str] = entry["topics"]
    if not topics:
        return None
    place = Place(
        tx_hash=str(entry["transactionHash"]).lower(),
        log_index=int(entry["logIndex"], 16),
        block_number=int(entry["blockNumber"], 16),
    )
    kind, data = topics[0].lower(), str(entry["data"])
    if kind == TRADE:
        sell, buy, sold, bought, fee = decode_trade_data(bytes.fromhex(data[2:]))
        return ChainTrade(
            tx_hash=place.tx_hash,
            log_index=place.log_index,
            block_number=place.block_number,
            order_uid=_uid(topics[1]),
            owner=_address(topics[2]),
            sell_token=sell,
            buy_token=buy,
            sold=sold,
            bought=bought,
            fee=fee,
        )
    if kind == ORDER_CANCELLED:
        _words(data, 0, "OrderCancelled")
        return OrderCancelled(place, order_uid=_uid(topics[1]), owner=_address(topics[2]))
    if kind == NONCE_INVALIDATED:
        word, mask = _words(data, 2, "NonceInvalidated")
        return NonceInvalidated(place, owner=_address(topics[1]), word=word, mask=mask)
    if kind == NONCE_FLOOR_RAISED:
        (floor,) = _words(data, 1, "NonceFloorRaised")
        return NonceFloorRaised(place, owner=_address(topics[1]), floor=floor)
    if kind == PRE_SIGNATURE_SET:
        (signed,) = _words(data, 1, "PreSignatureSet")
        return PreSignatureSet(
            place, owner=_address(topics[1]), order_uid=_uid(topics[2]), signed=signed != 0
        )
    return None
