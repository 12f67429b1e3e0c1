"""Where a deployed contract lands.

CREATE2 through the standard deployment proxy: the proxy at `DETERMINISTIC_DEPLOYER` (present
on Anvil and most public chains) deploys `salt ‖ initcode` with CREATE2, so the address depends
only on the init code (bytecode plus constructor arguments) and the salt, and a re-run finds
the code already there. Plain CREATE: the address depends only on the deployer and its nonce.
"""

from __future__ import annotations

import rlp
from eth_utils.address import to_checksum_address

from crossbook.hashing import keccak

DETERMINISTIC_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
SALT = keccak(b"crossbook/v1")


def create2_address(initcode: bytes, salt: bytes = SALT) -> str:
    digest = keccak(b"\xff" + bytes.fromhex(DETERMINISTIC_DEPLOYER[2:]) + salt + keccak(initcode))
    return to_checksum_address(digest[12:])


def deploy_calldata(initcode: bytes, salt: bytes = SALT) -> bytes:
    """What to send to `DETERMINISTIC_DEPLOYER` to deploy `initcode` at `create2_address`."""
    return salt + initcode


def create_address(deployer: str, nonce: int) -> str:
    """The address of the contract `deployer` creates with its transaction number `nonce`."""
    digest = keccak(rlp.encode([bytes.fromhex(deployer[2:]), nonce]))
    return to_checksum_address(digest[12:])
