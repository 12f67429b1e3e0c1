"""Order signatures: ours and eth-account's agree; every form the contract rejects is rejected."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from crossbook.errors import BadSignature, CrossbookError, InvalidPrivateKey
from crossbook.order import Domain, Order
from crossbook.signing import (
    SECP256K1_HALF_N,
    SECP256K1_N,
    SigningScheme,
    address_of,
    recover_signer,
    sign_digest,
    sign_order,
    verify_order_signature,
)
from tests.orders.order_strategies import signed_setups

# anvil's first two well-known dev keys; never funded on a real chain.
KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
KEY_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
OTHER_KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
OTHER_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DOMAIN = Domain(31337, "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")


def make_order(owner: str = KEY_ADDRESS) -> Order:
    return Order(
        owner=owner,
        sell_token="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        buy_token="0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        sell_amount=10**18,
        buy_amount=2 * 10**6,
        valid_to=1_900_000_000,
        nonce=1,
    )


def high_s(signature: bytes) -> bytes:
    """The other valid ECDSA form of the same signature: s -> n - s, v flipped."""
    s = int.from_bytes(signature[32:64], "big")
    v = 55 - signature[64]  # 27 <-> 28
    return signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((v,))


def test_signing_scheme_ids() -> None:
    assert [int(s) for s in SigningScheme] == [0, 1, 2]
    assert [s.name for s in SigningScheme] == ["ECDSA", "EIP1271", "PRESIGN"]


def test_address_of_known_key() -> None:
    assert address_of(KEY) == KEY_ADDRESS
    assert address_of("0x" + KEY.hex()) == KEY_ADDRESS
    assert address_of(KEY.hex()) == KEY_ADDRESS


# ---------------------------------------------------------------- differential against eth-account


@settings(max_examples=250, deadline=None)
@given(setup=signed_setups())
def test_eth_account_and_crossbook_agree(setup: tuple[bytes, Order, Domain]) -> None:
    key, order, domain = setup
    signed = Account.sign_typed_data(key, full_message=order.typed_data(domain))
    ours = sign_order(order, domain, key)

    assert signed.message_hash == order.uid(domain)
    # Both use RFC 6979 nonces and low s, so the signatures are byte-identical.
    assert ours == bytes(signed.signature)
    assert verify_order_signature(order, domain, bytes(signed.signature)) == order.uid(domain)
    assert verify_order_signature(order, domain, ours) == order.uid(domain)
    assert recover_signer(order.uid(domain), ours) == order.owner
    signable = encode_typed_data(full_message=order.typed_data(domain))
    assert Account.recover_message(signable, signature=ours) == order.owner
    with pytest.raises(BadSignature, match="high s"):
        verify_order_signature(order, domain, high_s(ours))


@settings(max_examples=100, deadline=None)
@given(setup=signed_setups())
def test_signatures_are_low_s_with_v_27_or_28(setup: tuple[bytes, Order, Domain]) -> None:
    key, order, domain = setup
    signature = sign_order(order, domain, key)
    assert len(signature) == 65
    assert signature[64] in (27, 28)
    assert 0 < int.from_bytes(signature[32:64], "big") <= SECP256K1_HALF_N


def test_signature_is_accepted_as_hex() -> None:
    order = make_order()
    signature = sign_order(order, DOMAIN, KEY)
    assert verify_order_signature(order, DOMAIN, "0x" + signature.hex()) == order.uid(DOMAIN)
    assert verify_order_signature(order, DOMAIN, signature.hex()) == order.uid(DOMAIN)


def test_sign_digest_matches_sign_order() -> None:
    order = make_order()
    assert sign_digest(order.uid(DOMAIN), KEY) == sign_order(order, DOMAIN, KEY)


# ---------------------------------------------------------------- rejections


def test_high_s_is_rejected_although_it_recovers_the_owner() -> None:
    order = make_order()
    malleated = high_s(sign_order(order, DOMAIN, KEY))
    # It is a valid ECDSA signature for a lenient verifier...
    signable = encode_typed_data(full_message=order.typed_data(DOMAIN))
    assert Account.recover_message(signable, signature=malleated) == KEY_ADDRESS
    # ...but the contract accepts one form only.
    with pytest.raises(BadSignature, match=r"high s \(s > secp256k1n / 2\)"):
        verify_order_signature(order, DOMAIN, malleated)
    with pytest.raises(BadSignature, match="high s"):
        recover_signer(order.uid(DOMAIN), malleated)


def test_64_byte_compact_signature_is_rejected() -> None:
    order = make_order()
    signature = sign_order(order, DOMAIN, KEY)
    # EIP-2098: r ‖ (yParity << 255 | s)
    y_parity_and_s = (
        (signature[64] - 27) << 255 | int.from_bytes(signature[32:64], "big")
    ).to_bytes(32, "big")
    with pytest.raises(BadSignature, match=r"64 bytes.*exactly 65 bytes"):
        verify_order_signature(order, DOMAIN, signature[:32] + y_parity_and_s)


@pytest.mark.parametrize("length", [0, 1, 64, 66, 130])
def test_wrong_length_is_rejected(length: int) -> None:
    signature = (sign_order(make_order(), DOMAIN, KEY) * 2)[:length]
    with pytest.raises(BadSignature, match=f"is {length} bytes"):
        verify_order_signature(make_order(), DOMAIN, signature)


@pytest.mark.parametrize("v", [0, 1, 26, 29, 35, 255])
def test_v_outside_27_28_is_rejected(v: int) -> None:
    signature = sign_order(make_order(), DOMAIN, KEY)
    with pytest.raises(BadSignature, match=f"v is {v}: it must be 27 or 28"):
        verify_order_signature(make_order(), DOMAIN, signature[:64] + bytes((v,)))


@pytest.mark.parametrize(
    ("r", "s", "message"),
    [
        (0, 1, "r is 0 or not below"),
        (SECP256K1_N, 1, "r is 0 or not below"),
        (2**256 - 1, 1, "r is 0 or not below"),
        (1, 0, "s is 0 or not below"),
        (1, SECP256K1_N, "s is 0 or not below"),
        (1, SECP256K1_HALF_N + 1, "high s"),
    ],
)
def test_r_s_out_of_range_are_rejected(r: int, s: int, message: str) -> None:
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + b"\x1b"
    with pytest.raises(BadSignature, match=message):
        recover_signer(make_order().uid(DOMAIN), signature)


def test_r_that_is_not_a_curve_point_is_rejected() -> None:
    # x = 5 has no point on secp256k1 (5^3 + 7 = 132 is not a square mod p).
    signature = (5).to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x1b"
    with pytest.raises(BadSignature, match="no public key recovers"):
        recover_signer(make_order().uid(DOMAIN), signature)


def test_signature_by_someone_else_is_rejected() -> None:
    order = make_order()
    forged = sign_digest(order.uid(DOMAIN), OTHER_KEY)
    with pytest.raises(BadSignature, match=f"made by {OTHER_ADDRESS}, not by the order's"):
        verify_order_signature(order, DOMAIN, forged)


def test_signature_for_another_domain_is_rejected() -> None:
    order = make_order()
    other_chain = Domain(1, DOMAIN.verifying_contract)
    other_contract = Domain(DOMAIN.chain_id, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    for domain in (other_chain, other_contract):
        with pytest.raises(BadSignature, match="not by the order's owner"):
            verify_order_signature(order, DOMAIN, sign_order(order, domain, KEY))


@given(flip=st.integers(min_value=0, max_value=64 * 8 - 1))
@settings(max_examples=50, deadline=None)
def test_any_flipped_bit_in_r_or_s_is_rejected(flip: int) -> None:
    order = make_order()
    signature = bytearray(sign_order(order, DOMAIN, KEY))
    signature[flip // 8] ^= 1 << (flip % 8)
    with pytest.raises(BadSignature):
        verify_order_signature(order, DOMAIN, bytes(signature))


def test_sign_order_refuses_a_key_that_is_not_the_owners() -> None:
    with pytest.raises(BadSignature, match=f"belongs to {OTHER_ADDRESS}"):
        sign_order(make_order(), DOMAIN, OTHER_KEY)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (b"\x01" * 31, "31 bytes"),
        ("0x" + "01" * 33, "33 bytes"),
        ("zz" * 32, "not hex"),
        (bytes(32), "is 0 or not below"),
        (SECP256K1_N.to_bytes(32, "big"), "is 0 or not below"),
        (12345, "must be bytes or a hex string"),
    ],
)
def test_bad_private_key_is_rejected(key: object, message: str) -> None:
    with pytest.raises(InvalidPrivateKey, match=message) as info:
        address_of(key)  # type: ignore[arg-type]
    assert isinstance(info.value, CrossbookError)
    assert isinstance(info.value, ValueError)


def test_bad_signature_and_digest_inputs_are_rejected() -> None:
    uid = make_order().uid(DOMAIN)
    with pytest.raises(BadSignature, match="not hex"):
        recover_signer(uid, "0xnothex")
    with pytest.raises(BadSignature, match="must be bytes or a hex string"):
        recover_signer(uid, 12345)  # type: ignore[arg-type]
    with pytest.raises(BadSignature, match="digest is 31 bytes"):
        recover_signer(uid[:31], sign_order(make_order(), DOMAIN, KEY))
    with pytest.raises(BadSignature, match="digest is 31 bytes"):
        sign_digest(uid[:31], KEY)
