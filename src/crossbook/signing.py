"""Order signatures: sign with a private key, recover and verify ECDSA (docs/orders.md).

The contract accepts one ECDSA form only: 65 bytes `r ‖ s ‖ v`, `v` in {27, 28}, low `s`.
`recover_signer` applies exactly those rules before it recovers, so an order the relayer
accepts is one the contract accepts. Recovery goes straight to libsecp256k1 through
coincurve; it is several times faster than eth-account's generic path.

EIP-1271 and pre-sign orders need the chain (a call to the owner contract, or the
settlement contract's pre-signature map) and are checked elsewhere.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from coincurve import PrivateKey, PublicKey
from eth_utils.address import to_checksum_address

from crossbook.errors import BadSignature, InvalidPrivateKey
from crossbook.hashing import keccak
from crossbook.order import Domain, Order

#: The order of the secp256k1 group.
SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
#: The largest `s` the contract accepts (EIP-2: low-s only, so no second form of a signature).
SECP256K1_HALF_N: Final = SECP256K1_N // 2
ECDSA_SIGNATURE_LENGTH: Final = 65


class SigningScheme(IntEnum):
    """How an order's signature is checked on chain; the id is part of the settle calldata."""

    ECDSA = 0
    EIP1271 = 1
    PRESIGN = 2


# ---------------------------------------------------------------- keys


def _private_key(key: bytes | str) -> PrivateKey:
    if isinstance(key, str):
        hex_key = key[2:] if key[:2] in ("0x", "0X") else key
        try:
            raw = bytes.fromhex(hex_key)
        except ValueError:
            raise InvalidPrivateKey(
                "the private key is not hex: pass 32 bytes or 64 hex digits (0x optional)"
            ) from None
    elif isinstance(key, bytes | bytearray):
        raw = bytes(key)
    else:
        raise InvalidPrivateKey(
            f"a private key must be bytes or a hex string, got {type(key).__name__}"
        )
    if len(raw) != 32:
        raise InvalidPrivateKey(
            f"the private key is {len(raw)} bytes: it must be exactly 32 bytes (64 hex digits)"
        )
    if not 0 < int.from_bytes(raw, "big") < SECP256K1_N:
        raise InvalidPrivateKey(
            "the private key is 0 or not below the secp256k1 group order: generate a new key"
        )
    return PrivateKey(raw)


def _public_key_address(public_key: PublicKey) -> bytes:
    # The address is the last 20 bytes of keccak(x ‖ y) of the uncompressed point.
    return keccak(public_key.format(compressed=False)[1:])[12:]


def address_of(private_key: bytes | str) -> str:
    """The checksummed address that owns `private_key`."""
    return to_checksum_address(_public_key_address(_private_key(private_key).public_key))


# ---------------------------------------------------------------- signing


def sign_digest(digest: bytes, private_key: bytes | str) -> bytes:
    """Sign a 32-byte digest: 65 bytes `r ‖ s ‖ v`, `v` in {27, 28}, low `s` (RFC 6979 nonce)."""
    if len(digest) != 32:
        raise BadSignature(
            f"the digest is {len(digest)} bytes: sign the 32-byte order uid (Order.uid(domain))"
        )
    # libsecp256k1 always produces a low-s signature; its recovery id is 0 or 1.
    raw = _private_key(private_key).sign_recoverable(digest, hasher=None)
    return raw[:64] + bytes((raw[64] + 27,))


def sign_order(order: Order, domain: Domain, private_key: bytes | str) -> bytes:
    """Sign `order` for `domain` as its owner (signing scheme ECDSA).

    Refuses a key that is not the owner's: such a signature could never verify.
    """
    key = _private_key(private_key)
    signer = to_checksum_address(_public_key_address(key.public_key))
    if signer != order.owner:
        raise BadSignature(
            f"the private key belongs to {signer} but the order's owner is {order.owner}: "
            "sign with the owner's key, or build the order with owner set to the signer"
        )
    raw = key.sign_recoverable(order.uid(domain), hasher=None)
    return raw[:64] + bytes((raw[64] + 27,))


# ---------------------------------------------------------------- recovery and verification


def _signature_bytes(signature: bytes | str) -> bytes:
    if isinstance(signature, str):
        hex_sig = signature[2:] if signature[:2] in ("0x", "0X") else signature
        try:
            return bytes.fromhex(hex_sig)
        except ValueError:
            raise BadSignature(
                "the signature is not hex: pass 65 bytes or 130 hex digits (0x optional)"
            ) from None
    if isinstance(signature, bytes | bytearray):
        return bytes(signature)
    raise BadSignature(f"a signature must be bytes or a hex string, got {type(signature).__name__}")


def recover_address(digest: bytes, signature: bytes | str) -> bytes:
    """The raw 20-byte address that made `signature` over `digest` (the checks and errors of
    `recover_signer`, without the EIP-55 formatting: compare bytes on hot paths)."""
    sig = _signature_bytes(signature)
    if len(digest) != 32:
        raise BadSignature(
            f"the digest is {len(digest)} bytes: recover against the 32-byte order uid"
        )
    if len(sig) != ECDSA_SIGNATURE_LENGTH:
        raise BadSignature(
            f"the signature is {len(sig)} bytes: ECDSA order signatures are exactly 65 bytes "
            "r ‖ s ‖ v (64-byte EIP-2098 compact signatures are not accepted); "
            "re-sign with eth_signTypedData_v4"
        )
    v = sig[64]
    if v not in (27, 28):
        raise BadSignature(
            f"the signature's v is {v}: it must be 27 or 28; if your signer returns 0 or 1, "
            "add 27 to the last byte"
        )
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    if not 0 < r < SECP256K1_N:
        raise BadSignature(
            "the signature's r is 0 or not below the secp256k1 group order: it is corrupt; "
            "re-sign the order"
        )
    if not 0 < s < SECP256K1_N:
        raise BadSignature(
            "the signature's s is 0 or not below the secp256k1 group order: it is corrupt; "
            "re-sign the order"
        )
    if s > SECP256K1_HALF_N:
        raise BadSignature(
            "the signature has a high s (s > secp256k1n / 2), a malleable form the contract "
            "rejects: re-sign with a wallet that produces low-s signatures, or replace s by "
            "n - s and flip v between 27 and 28"
        )
    try:
        public_key = PublicKey.from_signature_and_message(
            sig[:64] + bytes((v - 27,)), digest, hasher=None
        )
    except Exception as exc:  # libsecp256k1 reports an unrecoverable signature as a bare error
        raise BadSignature(
            "no public key recovers from this signature (r is not a curve point): it is "
            "corrupt; re-sign the order"
        ) from exc
    return _public_key_address(public_key)


def recover_signer(uid: bytes, signature: bytes | str) -> str:
    """The checksummed address that made `signature` over the 32-byte `uid`.

    Raises `BadSignature` for every form the settlement contract rejects: a length
    other than 65, `v` not in {27, 28}, `r` or `s` zero or not below n, a high `s`.
    """
    return to_checksum_address(recover_address(uid, signature))


def verify_order_signature(order: Order, domain: Domain, signature: bytes | str) -> bytes:
    """Check an ECDSA signature of `order` for `domain` and return the order's uid.

    Raises `BadSignature` if the signature is malformed or malleable (see
    `recover_signer`) or was made by anyone but `order.owner`.
    """
    uid = order.uid(domain)
    signer = recover_address(uid, signature)
    if signer != bytes.fromhex(order.owner[2:]):
        raise BadSignature(
            f"the signature was made by {to_checksum_address(signer)}, not by the order's owner "
            f"{order.owner}: sign with the owner's key, for this exact order, chain id "
            f"{domain.chain_id} and settlement contract {domain.verifying_contract}"
        )
    return uid
