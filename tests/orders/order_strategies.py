"""Hypothesis strategies for orders, domains and keys (shared by the tests in this folder)."""

from __future__ import annotations

from eth_utils.address import to_checksum_address
from hypothesis import strategies as st

from crossbook.order import KNOWN_FLAGS, UINT32_MAX, UINT256_MAX, ZERO_ADDRESS, Domain, Order
from crossbook.signing import SECP256K1_N, address_of

addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)
nonzero_addresses = addresses.filter(lambda a: a != ZERO_ADDRESS)
uint256 = st.integers(min_value=0, max_value=UINT256_MAX)
positive_uint256 = st.integers(min_value=1, max_value=UINT256_MAX)
# Edge values are where encodings break; draw them often.
amounts = st.one_of(st.sampled_from([1, 2**128, UINT256_MAX]), positive_uint256)
private_keys = st.integers(min_value=1, max_value=SECP256K1_N - 1).map(
    lambda k: k.to_bytes(32, "big")
)
domains = st.builds(
    Domain,
    chain_id=st.one_of(st.sampled_from([1, 31337, 2**64]), positive_uint256),
    verifying_contract=nonzero_addresses,
)


@st.composite
def orders(draw: st.DrawFn, owner: str | None = None) -> Order:
    sell_token = draw(nonzero_addresses)
    buy_token = draw(nonzero_addresses.filter(lambda a: a != sell_token))
    return Order(
        owner=owner if owner is not None else draw(nonzero_addresses),
        receiver=draw(st.one_of(st.just(ZERO_ADDRESS), addresses)),
        sell_token=sell_token,
        buy_token=buy_token,
        sell_amount=draw(amounts),
        buy_amount=draw(amounts),
        fee_amount=draw(st.one_of(st.just(0), uint256)),
        valid_to=draw(st.integers(min_value=0, max_value=UINT32_MAX)),
        nonce=draw(uint256),
        flags=draw(st.integers(min_value=0, max_value=KNOWN_FLAGS)),
    )


@st.composite
def signed_setups(draw: st.DrawFn) -> tuple[bytes, Order, Domain]:
    """A private key, an order owned by that key's address, and a domain."""
    key = draw(private_keys)
    return key, draw(orders(owner=address_of(key))), draw(domains)
