"""keccak256, the one hash function of Ethereum, for every caller in crossbook.

The relayer hashes every order it receives three times (struct hash, uid, signer address), so
this uses safe-pysha3's C binding directly rather than eth-hash's default backend
(pycryptodome behind a Python wrapper), which costs several times more per call. The relayer's
ingest figures are on docs/benchmarks.md.
"""

from __future__ import annotations

from sha3 import keccak_256


def keccak(data: bytes) -> bytes:
    """keccak256(data), 32 bytes (the pre-standard Keccak, not NIST SHA3-256)."""
    digest: bytes = keccak_256(data).digest()
    return digest
