"""Off-chain cancellation: the owner signs the EIP-712 `OrderCancellation(bytes32 orderUid)`
in the order's own domain (docs/relayer.md). The relayer then never matches the order again;
an order already in a batch on its way on chain can only be cancelled on chain."""

from __future__ import annotations

from typing import Final

from crossbook.hashing import keccak
from crossbook.order import EIP712_DOMAIN_FIELDS, Domain, eip712_members
from crossbook.signing import sign_digest

CANCELLATION_TYPE_STRING: Final = "OrderCancellation(bytes32 orderUid)"
CANCELLATION_TYPE_HASH: Final = keccak(CANCELLATION_TYPE_STRING.encode())
#: (EIP-712 member name, Solidity type) of `CANCELLATION_TYPE_STRING`
CANCELLATION_EIP712_FIELDS: Final = (("orderUid", "bytes32"),)


def cancellation_digest(domain: Domain, order_uid: bytes) -> bytes:
    if len(order_uid) != 32:
        raise ValueError("an order uid is 32 bytes")
    return keccak(b"\x19\x01" + domain.separator + keccak(CANCELLATION_TYPE_HASH + order_uid))


def sign_cancellation(domain: Domain, order_uid: bytes, private_key: bytes | str) -> bytes:
    return sign_digest(cancellation_digest(domain, order_uid), private_key)


def cancellation_typed_data(domain: Domain, order_uid: bytes) -> dict[str, object]:
    """The `eth_signTypedData_v4` payload a wallet signs to cancel."""
    return {
        "types": {
            "EIP712Domain": eip712_members(EIP712_DOMAIN_FIELDS),
            "OrderCancellation": eip712_members(CANCELLATION_EIP712_FIELDS),
        },
        "primaryType": "OrderCancellation",
        "domain": domain.typed_data(),
        "message": {"orderUid": "0x" + order_uid.hex()},
    }
