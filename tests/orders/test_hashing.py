"""crossbook.hashing.keccak against eth-hash's independent implementation."""

from eth_hash.auto import keccak as reference
from hypothesis import given, settings
from hypothesis import strategies as st

from crossbook.hashing import keccak


def test_known_vectors() -> None:
    # keccak256("") and keccak256("abc"): Keccak, not NIST SHA3-256
    assert keccak(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak(b"abc").hex() == (
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    )


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_equals_eth_hash(data: bytes) -> None:
    assert keccak(data) == reference(data)
