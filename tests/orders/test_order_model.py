"""The order model: validation, flags, JSON form and EIP-712 hashing against eth-account."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from crossbook.errors import CrossbookError, InvalidDomain, InvalidOrder
from crossbook.order import (
    EIP712_DOMAIN_TYPE_STRING,
    ORDER_EIP712_FIELDS,
    ORDER_TYPE_HASH,
    ORDER_TYPE_STRING,
    UINT32_MAX,
    UINT256_MAX,
    ZERO_ADDRESS,
    Domain,
    Order,
    OrderFlags,
)
from tests.orders.order_strategies import domains, orders

OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SELL = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
BUY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
SETTLEMENT = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"


def make_order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "owner": OWNER,
        "sell_token": SELL,
        "buy_token": BUY,
        "sell_amount": 10**18,
        "buy_amount": 2 * 10**6,
        "fee_amount": 10**15,
        "valid_to": 1_900_000_000,
        "nonce": 42,
    }
    fields.update(changes)
    return Order(**fields)


# ---------------------------------------------------------------- type string and hashes


def test_order_type_string_matches_the_spec_fields() -> None:
    members = ",".join(f"{kind} {name}" for name, kind in ORDER_EIP712_FIELDS)
    assert f"Order({members})" == ORDER_TYPE_STRING
    assert keccak(ORDER_TYPE_STRING.encode()) == ORDER_TYPE_HASH


def test_order_type_string_is_the_one_in_docs() -> None:
    # Pinned literally: a change here changes every uid and must change docs/orders.md too.
    assert ORDER_TYPE_STRING == (
        "Order(address owner,address receiver,address sellToken,address buyToken,"
        "uint256 sellAmount,uint256 buyAmount,uint256 feeAmount,uint32 validTo,"
        "uint256 nonce,uint8 flags)"
    )


def test_struct_hash_equals_abi_encode_reference() -> None:
    order = make_order(receiver=BUY, flags=OrderFlags.PARTIALLY_FILLABLE)
    reference = keccak(
        encode(
            ["bytes32", *(kind for _, kind in ORDER_EIP712_FIELDS)],
            [
                ORDER_TYPE_HASH,
                order.owner,
                order.receiver,
                order.sell_token,
                order.buy_token,
                order.sell_amount,
                order.buy_amount,
                order.fee_amount,
                order.valid_to,
                order.nonce,
                order.flags,
            ],
        )
    )
    assert order.struct_hash() == reference


def test_domain_separator_equals_abi_encode_reference() -> None:
    domain = Domain(31337, SETTLEMENT)
    reference = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(EIP712_DOMAIN_TYPE_STRING.encode()),
                keccak(b"crossbook"),
                keccak(b"1"),
                31337,
                SETTLEMENT,
            ],
        )
    )
    assert domain.separator == reference


@settings(max_examples=300, deadline=None)
@given(order=orders(), domain=domains)
def test_uid_equals_eth_account_typed_data_hash(order: Order, domain: Domain) -> None:
    signable = encode_typed_data(full_message=order.typed_data(domain))
    assert keccak(b"\x19" + signable.version + signable.header + signable.body) == order.uid(domain)


def test_uid_hex_is_0x_and_64_hex_digits() -> None:
    domain = Domain(1, SETTLEMENT)
    uid_hex = make_order().uid_hex(domain)
    assert uid_hex == "0x" + make_order().uid(domain).hex()
    assert len(uid_hex) == 66


def test_uid_binds_chain_id_and_verifying_contract() -> None:
    order = make_order()
    uids = {
        order.uid(Domain(1, SETTLEMENT)),
        order.uid(Domain(5, SETTLEMENT)),
        order.uid(Domain(1, BUY)),
    }
    assert len(uids) == 3


def test_uid_changes_with_every_field() -> None:
    domain = Domain(1, SETTLEMENT)
    base = make_order()
    changes: dict[str, Any] = {
        "owner": BUY,
        "receiver": OWNER,
        "sell_token": OWNER,
        "buy_token": OWNER,
        "sell_amount": base.sell_amount + 1,
        "buy_amount": base.buy_amount + 1,
        "fee_amount": base.fee_amount + 1,
        "valid_to": base.valid_to + 1,
        "nonce": base.nonce + 1,
        "flags": 1,
    }
    for name, value in changes.items():
        changed = dataclasses.replace(base, **{name: value})
        assert changed.uid(domain) != base.uid(domain), name


def test_typed_data_shape() -> None:
    data = make_order(receiver=BUY, flags=3).typed_data(Domain(31337, SETTLEMENT))
    assert data["primaryType"] == "Order"
    assert set(data["types"]) == {"EIP712Domain", "Order"}
    assert data["domain"] == {
        "name": "crossbook",
        "version": "1",
        "chainId": 31337,
        "verifyingContract": SETTLEMENT,
    }
    assert data["message"] == {
        "owner": OWNER,
        "receiver": BUY,
        "sellToken": SELL,
        "buyToken": BUY,
        "sellAmount": "1000000000000000000",
        "buyAmount": "2000000",
        "feeAmount": "1000000000000000",
        "validTo": 1_900_000_000,
        "nonce": "42",
        "flags": 3,
    }


# ---------------------------------------------------------------- normalisation and flags


def test_addresses_are_checksummed() -> None:
    order = make_order(owner=OWNER.lower(), sell_token=SELL.upper().replace("0X", "0x"))
    assert order.owner == OWNER
    assert order.sell_token == SELL
    assert order == make_order()


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(min_size=20, max_size=20).filter(any))
def test_checksum_matches_eth_utils(raw: bytes) -> None:
    expected = to_checksum_address(raw)
    for spelling in ("0x" + raw.hex(), "0x" + raw.hex().upper(), expected):
        assert Domain(1, spelling).verifying_contract == expected


def test_receiver_defaults_to_zero_and_means_owner() -> None:
    order = make_order()
    assert order.receiver == ZERO_ADDRESS
    assert order.effective_receiver == OWNER
    assert make_order(receiver=BUY).effective_receiver == BUY


@pytest.mark.parametrize(
    ("flags", "partial", "sell_internal", "buy_internal"),
    [
        (0, False, False, False),
        (1, True, False, False),
        (2, False, True, False),
        (4, False, False, True),
        (7, True, True, True),
    ],
)
def test_flag_helpers(flags: int, partial: bool, sell_internal: bool, buy_internal: bool) -> None:
    order = make_order(flags=flags)
    assert order.partially_fillable is partial
    assert order.sell_from_internal is sell_internal
    assert order.buy_to_internal is buy_internal


def test_int_flag_becomes_plain_int() -> None:
    order = make_order(flags=OrderFlags.PARTIALLY_FILLABLE | OrderFlags.BUY_TO_INTERNAL)
    assert type(order.flags) is int
    assert order.flags == 5


def test_is_expired_after_valid_to_only() -> None:
    order = make_order(valid_to=1000)
    assert not order.is_expired(1000)
    assert order.is_expired(1001)


def test_order_is_frozen_and_hashable() -> None:
    order = make_order()
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.nonce = 1  # type: ignore[misc]
    assert len({order, make_order()}) == 1


def test_replace_recomputes_struct_hash() -> None:
    order = make_order()
    first = order.struct_hash()
    assert dataclasses.replace(order, nonce=43).struct_hash() != first


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sell_amount": 0}, "sell_amount is 0"),
        ({"buy_amount": 0}, "buy_amount is 0"),
        ({"sell_amount": UINT256_MAX + 1}, "sell_amount .* outside uint256"),
        ({"buy_amount": UINT256_MAX + 1}, "buy_amount .* outside uint256"),
        ({"fee_amount": UINT256_MAX + 1}, "fee_amount .* outside uint256"),
        ({"nonce": UINT256_MAX + 1}, "nonce .* outside uint256"),
        ({"sell_amount": -1}, "sell_amount -1 is outside uint256"),
        ({"fee_amount": -1}, "fee_amount -1 is outside uint256"),
        ({"valid_to": UINT32_MAX + 1}, "valid_to 4294967296 is outside uint32"),
        ({"valid_to": -1}, "valid_to -1 is outside uint32"),
        ({"flags": 8}, "unknown bits 0x8"),
        ({"flags": 0xFF}, "unknown bits 0xf8"),
        ({"flags": 256}, "flags 256 is outside uint8"),
        ({"buy_token": SELL}, "sell_token and buy_token are both"),
        ({"buy_token": SELL.lower()}, "sell_token and buy_token are both"),
        ({"sell_amount": "100"}, "sell_amount must be an int"),
        ({"sell_amount": 1.0}, "sell_amount must be an int"),
        ({"sell_amount": True}, "sell_amount must be an int"),
        ({"owner": ZERO_ADDRESS}, "owner is the zero address"),
        ({"sell_token": ZERO_ADDRESS}, "sell_token is the zero address"),
        ({"buy_token": ZERO_ADDRESS}, "buy_token is the zero address"),
        ({"owner": "0x1234"}, "owner '0x1234' is not an address"),
        ({"owner": OWNER[2:]}, "owner .* is not an address"),
        ({"owner": OWNER + "00"}, "owner .* is not an address"),
        ({"owner": "0x" + "g" * 40}, "owner .* is not an address"),
        ({"owner": bytes(20)}, "owner .* is not an address"),
        ({"receiver": "0x12"}, "receiver .* is not an address"),
        ({"owner": OWNER[:-2] + OWNER[-2:].swapcase()}, "wrong EIP-55 checksum"),
    ],
)
def test_invalid_order_is_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOrder, match=message) as info:
        make_order(**changes)
    # Callers may catch the root error or the builtin.
    assert isinstance(info.value, CrossbookError)
    assert isinstance(info.value, ValueError)


def test_extreme_valid_values_are_accepted() -> None:
    order = make_order(
        sell_amount=UINT256_MAX,
        buy_amount=UINT256_MAX,
        fee_amount=UINT256_MAX,
        nonce=UINT256_MAX,
        valid_to=UINT32_MAX,
        flags=7,
    )
    assert order.valid_to == UINT32_MAX
    assert make_order(fee_amount=0, valid_to=0, nonce=0).fee_amount == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, SETTLEMENT), "chain_id is 0"),
        ((2**256, SETTLEMENT), "chain_id .* outside uint256"),
        (("1", SETTLEMENT), "chain_id must be an int"),
        ((1, ZERO_ADDRESS), "verifying_contract is the zero address"),
        ((1, "0xabc"), "verifying_contract .* is not an address"),
    ],
)
def test_invalid_domain_is_rejected(args: tuple[Any, Any], message: str) -> None:
    with pytest.raises(InvalidDomain, match=message):
        Domain(*args)


def test_domain_defaults_and_checksum() -> None:
    domain = Domain(1, SETTLEMENT.lower())
    assert (domain.name, domain.version) == ("crossbook", "1")
    assert domain.verifying_contract == SETTLEMENT
    assert domain == Domain(1, SETTLEMENT)


# ---------------------------------------------------------------- JSON form


@settings(max_examples=100, deadline=None)
@given(order=orders())
def test_json_round_trip(order: Order) -> None:
    assert Order.from_json_dict(order.to_json_dict()) == order


def test_from_json_accepts_integers_and_decimal_strings() -> None:
    data: dict[str, Any] = make_order().to_json_dict()
    data["sellAmount"] = 10**18
    data["validTo"] = "1900000000"
    data["flags"] = "0"
    assert Order.from_json_dict(data) == make_order()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("sellAmount", "0x10", "sellAmount '0x10' is not a non-negative integer"),
        ("sellAmount", "-1", "sellAmount '-1' is not a non-negative integer"),
        ("sellAmount", " 1", "sellAmount ' 1' is not a non-negative integer"),
        ("sellAmount", "1e18", "not a non-negative integer"),
        ("sellAmount", 1.5, "not a non-negative integer"),
        ("sellAmount", None, "not a non-negative integer"),
        ("sellAmount", True, "not a non-negative integer"),
        ("nonce", "9" * 5000, "not a non-negative integer"),
        ("sellAmount", str(UINT256_MAX + 1), "outside uint256"),
        ("sellAmount", "0", "sell_amount is 0"),
        ("owner", 5, "owner 5 is not an address"),
    ],
)
def test_from_json_rejects_bad_values(key: str, value: Any, message: str) -> None:
    data: dict[str, Any] = make_order().to_json_dict()
    data[key] = value
    with pytest.raises(InvalidOrder, match=message):
        Order.from_json_dict(data)


def test_from_json_rejects_missing_and_unknown_fields() -> None:
    data: dict[str, Any] = make_order().to_json_dict()
    del data["nonce"]
    with pytest.raises(InvalidOrder, match="missing nonce"):
        Order.from_json_dict(data)
    data = {**make_order().to_json_dict(), "sell_amount": "1"}
    with pytest.raises(InvalidOrder, match="unknown fields sell_amount"):
        Order.from_json_dict(data)
    with pytest.raises(InvalidOrder, match="must be a JSON object"):
        Order.from_json_dict([])  # type: ignore[arg-type]


def test_an_address_seen_before_is_still_checked_for_zero_and_checksum() -> None:
    """`_address` remembers inputs it accepted; that must not let a wrong checksum or a zero
    owner through on a later order."""
    owner = "0x" + "ab" * 20
    good = Order(
        owner=owner,
        sell_token="0x" + "22" * 20,
        buy_token="0x" + "33" * 20,
        sell_amount=1,
        buy_amount=1,
        valid_to=1,
        nonce=0,
    )
    assert good.owner == to_checksum_address(owner)
    # the same address with a case flipped: mixed case with a wrong checksum
    checksummed = to_checksum_address(owner)
    flipped = checksummed[:2] + checksummed[2].swapcase() + checksummed[3:]
    assert flipped[2:] not in (flipped[2:].lower(), flipped[2:].upper())  # mixed case
    with pytest.raises(InvalidOrder, match="checksum"):
        dataclasses.replace(good, owner=flipped)
    zero = "0x" + "00" * 20
    assert dataclasses.replace(good, receiver=zero).receiver == zero  # allowed, now remembered
    with pytest.raises(InvalidOrder, match="zero address"):
        dataclasses.replace(good, owner=zero)
