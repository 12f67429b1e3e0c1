"""EIP-2612 permits: a token's permit domain, the `Permit` digest and typed data.

A permit is an approval the owner signs off chain; anyone may submit it with the token's
`permit(owner, spender, value, deadline, v, r, s)`. The SDK signs and submits its own; the
relayer submits wallets' permits for the settlement contract and pays the gas
(`crossbook.relayer.permits`), and serves what the page signs with (`GET /v1/signing`).
"""

from __future__ import annotations

from typing import Any, Final

from web3 import Web3

from crossbook.chain.abi import contract_at
from crossbook.hashing import keccak
from crossbook.order import EIP712_DOMAIN_FIELDS, Domain, eip712_members

PERMIT_TYPE_STRING: Final = (
    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
)
PERMIT_TYPE_HASH: Final = keccak(PERMIT_TYPE_STRING.encode())
#: (EIP-712 member name, Solidity type) of `PERMIT_TYPE_STRING`
PERMIT_EIP712_FIELDS: Final = (
    ("owner", "address"),
    ("spender", "address"),
    ("value", "uint256"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
)
#: the versions a permit domain is tried with: "1" (OpenZeppelin, solady) and "2" (USDC)
PERMIT_VERSIONS: Final = ("1", "2")


def permit_domain(w3: Web3, token: str, chain_id: int | None = None) -> Domain | None:
    """The token's EIP-2612 domain if it has `permit`, `nonces` and a `DOMAIN_SEPARATOR()` we
    can rebuild from `name()` and a version in `PERMIT_VERSIONS`; None otherwise."""
    erc20 = contract_at(w3, "MockERC20", token)
    try:
        separator = bytes(erc20.functions.DOMAIN_SEPARATOR().call())
        erc20.functions.nonces(erc20.address).call()
        name = str(erc20.functions.name().call())
    except Exception:  # no such function, or a revert: the token has no permit we can use
        return None
    chain = int(w3.eth.chain_id) if chain_id is None else chain_id
    for version in PERMIT_VERSIONS:
        domain = Domain(
            chain_id=chain, verifying_contract=erc20.address, name=name, version=version
        )
        if domain.separator == separator:
            return domain
    return None


def permit_digest(
    domain: Domain, owner: str, spender: str, value: int, nonce: int, deadline: int
) -> bytes:
    """The EIP-712 digest an owner signs to permit `spender` to spend `value`."""
    struct = keccak(
        PERMIT_TYPE_HASH
        + bytes(12)
        + bytes.fromhex(owner[2:])
        + bytes(12)
        + bytes.fromhex(spender[2:])
        + value.to_bytes(32, "big")
        + nonce.to_bytes(32, "big")
        + deadline.to_bytes(32, "big")
    )
    return keccak(b"\x19\x01" + domain.separator + struct)


def permit_types() -> dict[str, list[dict[str, str]]]:
    """The `types` of an `eth_signTypedData_v4` permit payload."""
    return {
        "EIP712Domain": eip712_members(EIP712_DOMAIN_FIELDS),
        "Permit": eip712_members(PERMIT_EIP712_FIELDS),
    }


def permit_typed_data(domain: Domain, message: dict[str, Any]) -> dict[str, Any]:
    """The full `eth_signTypedData_v4` payload of a permit."""
    return {
        "types": permit_types(),
        "primaryType": "Permit",
        "domain": domain.typed_data(),
        "message": message,
    }
