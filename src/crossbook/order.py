"""The crossbook order: its fields, their validation and its EIP-712 hash (docs/orders.md).

Hashing is done by hand (32-byte words concatenated, then keccak) rather than through
eth-abi or eth-account's typed-data encoder: the relayer hashes every order it receives,
and the hand-rolled path is several times faster. `tests/orders` checks it against
eth-account's `sign_typed_data` for random orders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntFlag
from functools import lru_cache
from typing import Any, Final

from crossbook.errors import InvalidDomain, InvalidOrder
from crossbook.hashing import keccak

# ---------------------------------------------------------------- constants

UINT256_MAX: Final = 2**256 - 1
UINT32_MAX: Final = 2**32 - 1
ZERO_ADDRESS: Final = "0x" + "00" * 20

DOMAIN_NAME: Final = "crossbook"
DOMAIN_VERSION: Final = "1"

EIP712_DOMAIN_TYPE_STRING: Final = (
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
EIP712_DOMAIN_TYPE_HASH: Final[bytes] = keccak(EIP712_DOMAIN_TYPE_STRING.encode())

ORDER_TYPE_STRING: Final = (
    "Order(address owner,address receiver,address sellToken,address buyToken,"
    "uint256 sellAmount,uint256 buyAmount,uint256 feeAmount,uint32 validTo,"
    "uint256 nonce,uint8 flags)"
)
#: keccak256 of `ORDER_TYPE_STRING`; the contract's `GPv2Order`-style `TYPE_HASH`.
ORDER_TYPE_HASH: Final[bytes] = keccak(ORDER_TYPE_STRING.encode())

#: (EIP-712 member name, Solidity type) in type-string order; also the API's JSON keys.
ORDER_EIP712_FIELDS: Final = (
    ("owner", "address"),
    ("receiver", "address"),
    ("sellToken", "address"),
    ("buyToken", "address"),
    ("sellAmount", "uint256"),
    ("buyAmount", "uint256"),
    ("feeAmount", "uint256"),
    ("validTo", "uint32"),
    ("nonce", "uint256"),
    ("flags", "uint8"),
)
EIP712_DOMAIN_FIELDS: Final = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)


def eip712_members(fields: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    """(name, type) pairs as the members of an EIP-712 struct in an `eth_signTypedData_v4`
    payload's `types`."""
    return [{"name": name, "type": kind} for name, kind in fields]


_ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}")
# 78 digits hold any uint256; the bound also keeps int() clear of its digit-count limit.
_DECIMAL_RE: Final = re.compile(r"[0-9]{1,78}")
_ADDRESS_PAD: Final = b"\x00" * 12
_EIP191_PREFIX: Final = b"\x19\x01"


class OrderFlags(IntFlag):
    """Bits of `Order.flags`. Every other bit must be zero."""

    PARTIALLY_FILLABLE = 1
    SELL_FROM_INTERNAL = 2
    BUY_TO_INTERNAL = 4


KNOWN_FLAGS: Final = int(
    OrderFlags.PARTIALLY_FILLABLE | OrderFlags.SELL_FROM_INTERNAL | OrderFlags.BUY_TO_INTERNAL
)


# ---------------------------------------------------------------- field checks


#: input string -> checksummed address, for inputs `checked_address` already accepted
_VALID_ADDRESSES: dict[str, str] = {}


@lru_cache(maxsize=65_536)
def _checksum(lower_hex: str) -> str:
    # EIP-55 by hand: eth_utils' to_checksum_address re-validates its input, which costs
    # several times the checksum itself on the relayer's ingest path. Cached because the same
    # tokens and owners arrive again and again.
    hashed = keccak(lower_hex.encode()).hex()
    return "0x" + "".join(
        c.upper() if c > "9" and hashed[i] > "7" else c for i, c in enumerate(lower_hex)
    )


def checked_address(
    value: object, name: str, *, allow_zero: bool, error: type[ValueError] = InvalidOrder
) -> str:
    """`value` as a checksummed address; a mixed-case input must already be checksummed."""
    if isinstance(value, str):
        # the same owners and tokens arrive again and again: an input already checked once is
        # looked up (only valid inputs are remembered; the zero address check still applies)
        known = _VALID_ADDRESSES.get(value)
        if known is not None and (allow_zero or known != ZERO_ADDRESS):
            return known
    if not isinstance(value, str) or _ADDRESS_RE.fullmatch(value) is None:
        raise error(
            f"{name} {value!r} is not an address: pass a string of 0x followed by 40 hex digits"
        )
    checksummed = _checksum(value[2:].lower())
    hex_part = value[2:]
    if hex_part != hex_part.lower() and hex_part != hex_part.upper() and value != checksummed:
        raise error(
            f"{name} {value!r} has a wrong EIP-55 checksum (expected {checksummed}): "
            "a mistyped address; copy it again, or pass it all lower-case"
        )
    if not allow_zero and checksummed == ZERO_ADDRESS:
        raise error(f"{name} is the zero address: pass a real account or token address")
    if len(_VALID_ADDRESSES) >= 65_536:
        _VALID_ADDRESSES.clear()
    _VALID_ADDRESSES[value] = checksummed
    return checksummed


def _uint(value: object, name: str, bits: int, *, error: type[ValueError] = InvalidOrder) -> int:
    # bool is an int subclass; True as an amount is always a caller's mistake.
    if not isinstance(value, int) or isinstance(value, bool):
        raise error(f"{name} must be an int, got {type(value).__name__} {value!r}")
    top = 2**bits - 1
    if not 0 <= value <= top:
        raise error(f"{name} {value} is outside uint{bits}: pass a value from 0 to {top}")
    return int(value)  # an IntFlag or other int subclass becomes a plain int


def _address_word(address: str) -> bytes:
    return _ADDRESS_PAD + bytes.fromhex(address[2:])


# ---------------------------------------------------------------- domain


@dataclass(frozen=True)
class Domain:
    """The EIP-712 domain of one `Settlement` contract on one chain.

    The separator is computed once when the domain is built and kept on it, so build one
    `Domain` per settlement contract and reuse it.
    """

    chain_id: int
    verifying_contract: str
    name: str = DOMAIN_NAME
    version: str = DOMAIN_VERSION
    separator: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chain_id = _uint(self.chain_id, "chain_id", 256, error=InvalidDomain)
        if chain_id == 0:
            raise InvalidDomain("chain_id is 0: pass the chain's id (eth_chainId), e.g. 1")
        contract = checked_address(
            self.verifying_contract, "verifying_contract", allow_zero=False, error=InvalidDomain
        )
        if not isinstance(self.name, str) or not isinstance(self.version, str):
            raise InvalidDomain("name and version must be strings, e.g. 'crossbook' and '1'")
        object.__setattr__(self, "chain_id", chain_id)
        object.__setattr__(self, "verifying_contract", contract)
        separator = keccak(
            EIP712_DOMAIN_TYPE_HASH
            + keccak(self.name.encode())
            + keccak(self.version.encode())
            + chain_id.to_bytes(32, "big")
            + _address_word(contract)
        )
        object.__setattr__(self, "separator", separator)

    def typed_data(self) -> dict[str, Any]:
        """The `domain` member of an `eth_signTypedData_v4` payload."""
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


# ---------------------------------------------------------------- order


@dataclass(frozen=True, kw_only=True)
class Order:
    """A signed-order intent, exactly the EIP-712 `Order` of docs/orders.md.

    Addresses are normalised to EIP-55 checksummed strings and every field is checked
    when the order is built; an invalid order raises `InvalidOrder` and never exists.
    """

    owner: str
    receiver: str = ZERO_ADDRESS
    sell_token: str
    buy_token: str
    sell_amount: int
    buy_amount: int
    fee_amount: int = 0
    valid_to: int
    nonce: int
    flags: int = 0
    _struct_hash: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values: dict[str, object] = {
            "owner": checked_address(self.owner, "owner", allow_zero=False),
            "receiver": checked_address(self.receiver, "receiver", allow_zero=True),
            "sell_token": checked_address(self.sell_token, "sell_token", allow_zero=False),
            "buy_token": checked_address(self.buy_token, "buy_token", allow_zero=False),
            "sell_amount": _uint(self.sell_amount, "sell_amount", 256),
            "buy_amount": _uint(self.buy_amount, "buy_amount", 256),
            "fee_amount": _uint(self.fee_amount, "fee_amount", 256),
            "valid_to": _uint(self.valid_to, "valid_to", 32),
            "nonce": _uint(self.nonce, "nonce", 256),
            "flags": _uint(self.flags, "flags", 8),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)
        if self.sell_token == self.buy_token:
            raise InvalidOrder(
                f"sell_token and buy_token are both {self.sell_token}: an order must trade "
                "one token for a different one"
            )
        if self.sell_amount == 0:
            raise InvalidOrder(
                "sell_amount is 0: a zero-amount order could be executed repeatedly; "
                "sell at least 1 base unit"
            )
        if self.buy_amount == 0:
            raise InvalidOrder(
                "buy_amount is 0: that is no limit price at all; ask for at least 1 base unit"
            )
        unknown = self.flags & ~KNOWN_FLAGS
        if unknown:
            raise InvalidOrder(
                f"flags {self.flags:#x} sets unknown bits {unknown:#x}: only bit 0 "
                "(PARTIALLY_FILLABLE), bit 1 (SELL_FROM_INTERNAL) and bit 2 (BUY_TO_INTERNAL) "
                "are defined; clear the others"
            )

    # ------------------------------------------------------------ flags and derived fields

    @property
    def partially_fillable(self) -> bool:
        return bool(self.flags & OrderFlags.PARTIALLY_FILLABLE)

    @property
    def sell_from_internal(self) -> bool:
        return bool(self.flags & OrderFlags.SELL_FROM_INTERNAL)

    @property
    def buy_to_internal(self) -> bool:
        return bool(self.flags & OrderFlags.BUY_TO_INTERNAL)

    @property
    def effective_receiver(self) -> str:
        """Who gets the bought tokens: `receiver`, or the owner when it is the zero address."""
        return self.owner if self.receiver == ZERO_ADDRESS else self.receiver

    def is_expired(self, now: int) -> bool:
        """True once `now` (unix seconds) is past `valid_to`; the order fills up to `valid_to`."""
        return now > self.valid_to

    # ------------------------------------------------------------ EIP-712

    def struct_hash(self) -> bytes:
        """keccak256(abi.encode(ORDER_TYPE_HASH, owner, ..., flags)), cached on the order."""
        cached = self._struct_hash
        if cached is None:
            cached = keccak(
                b"".join(
                    (
                        ORDER_TYPE_HASH,
                        _address_word(self.owner),
                        _address_word(self.receiver),
                        _address_word(self.sell_token),
                        _address_word(self.buy_token),
                        self.sell_amount.to_bytes(32, "big"),
                        self.buy_amount.to_bytes(32, "big"),
                        self.fee_amount.to_bytes(32, "big"),
                        self.valid_to.to_bytes(32, "big"),
                        self.nonce.to_bytes(32, "big"),
                        self.flags.to_bytes(32, "big"),
                    )
                )
            )
            object.__setattr__(self, "_struct_hash", cached)
        return cached

    def as_abi_tuple(self) -> tuple[str | int, ...]:
        """The order as the contracts' `Order` struct argument (e.g. `cancelOrder`,
        `orderStatus`), fields in the EIP-712 type's order."""
        return (
            self.owner,
            self.receiver,
            self.sell_token,
            self.buy_token,
            self.sell_amount,
            self.buy_amount,
            self.fee_amount,
            self.valid_to,
            self.nonce,
            self.flags,
        )

    def uid(self, domain: Domain) -> bytes:
        """The order uid: the 32-byte EIP-712 digest the owner signs."""
        return keccak(_EIP191_PREFIX + domain.separator + self.struct_hash())

    def uid_hex(self, domain: Domain) -> str:
        """`uid` as 0x-prefixed lower-case hex (66 characters)."""
        return "0x" + self.uid(domain).hex()

    def typed_data(self, domain: Domain) -> dict[str, Any]:
        """The full `eth_signTypedData_v4` payload; uint256 values are decimal strings."""
        return {
            "types": {
                "EIP712Domain": eip712_members(EIP712_DOMAIN_FIELDS),
                "Order": eip712_members(ORDER_EIP712_FIELDS),
            },
            "primaryType": "Order",
            "domain": domain.typed_data(),
            "message": self.to_json_dict(),
        }

    # ------------------------------------------------------------ API form

    def to_json_dict(self) -> dict[str, str | int]:
        """The API form: camelCase keys, uint256 values as decimal strings, validTo and flags
        as numbers (they fit a JSON number exactly)."""
        return {
            "owner": self.owner,
            "receiver": self.receiver,
            "sellToken": self.sell_token,
            "buyToken": self.buy_token,
            "sellAmount": str(self.sell_amount),
            "buyAmount": str(self.buy_amount),
            "feeAmount": str(self.fee_amount),
            "validTo": self.valid_to,
            "nonce": str(self.nonce),
            "flags": self.flags,
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Order:
        """Parse the API form; numbers may be JSON integers or decimal strings."""
        if not isinstance(data, Mapping):
            raise InvalidOrder(
                f"an order must be a JSON object, got {type(data).__name__}; send the "
                "fields " + ", ".join(key for key, _ in ORDER_EIP712_FIELDS)
            )
        expected = [key for key, _ in ORDER_EIP712_FIELDS]
        missing = [key for key in expected if key not in data]
        if missing:
            raise InvalidOrder(f"order is missing {', '.join(missing)}: send every order field")
        unknown = sorted(str(key) for key in data if key not in expected)
        if unknown:
            raise InvalidOrder(
                f"order has unknown fields {', '.join(unknown)}: the fields are "
                + ", ".join(expected)
            )
        return cls(
            owner=data["owner"],
            receiver=data["receiver"],
            sell_token=data["sellToken"],
            buy_token=data["buyToken"],
            sell_amount=_parse_uint(data["sellAmount"], "sellAmount"),
            buy_amount=_parse_uint(data["buyAmount"], "buyAmount"),
            fee_amount=_parse_uint(data["feeAmount"], "feeAmount"),
            valid_to=_parse_uint(data["validTo"], "validTo"),
            nonce=_parse_uint(data["nonce"], "nonce"),
            flags=_parse_uint(data["flags"], "flags"),
        )


def _parse_uint(value: object, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DECIMAL_RE.fullmatch(value) is not None:
        return int(value)
    raise InvalidOrder(
        f"{name} {value!r} is not a non-negative integer: send a JSON integer or a string of "
        'decimal digits such as "1000000000000000000"'
    )
