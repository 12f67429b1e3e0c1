"""Deterministic deployment (CREATE2 through the standard deployment proxy), shared by the ape
deploy script and anyone deploying with web3.

The proxy at `DETERMINISTIC_DEPLOYER` (present on Anvil and most public chains) deploys
`salt ‖ initcode` with CREATE2, so a contract's address depends only on its init code (bytecode
plus constructor arguments) and the salt. A re-run finds the code already there and skips it:
deployment is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

DETERMINISTIC_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
SALT = keccak(b"crossbook/v1")


@dataclass(frozen=True)
class PlannedContract:
    """One contract of the suite: its name, constructor types and arguments."""

    name: str
    constructor_types: tuple[str, ...]
    constructor_args: tuple[Any, ...]

    def initcode(self, bytecode: str | bytes) -> bytes:
        code = bytes.fromhex(bytecode[2:]) if isinstance(bytecode, str) else bytes(bytecode)
        return code + encode(list(self.constructor_types), list(self.constructor_args))


def create2_address(initcode: bytes, salt: bytes = SALT) -> str:
    digest = keccak(b"\xff" + bytes.fromhex(DETERMINISTIC_DEPLOYER[2:]) + salt + keccak(initcode))
    return to_checksum_address(digest[12:])


def deploy_calldata(initcode: bytes, salt: bytes = SALT) -> bytes:
    """What to send to `DETERMINISTIC_DEPLOYER` to deploy `initcode` at `create2_address`."""
    return salt + initcode


def suite_plan(owner: str, fee_recipient: str) -> list[PlannedContract]:
    """The exchange contracts in deployment order (grows as components land)."""
    return [
        PlannedContract("Settlement", ("address", "address"), (owner, fee_recipient)),
    ]
