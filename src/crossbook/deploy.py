"""Deterministic deployment (CREATE2 through the standard deployment proxy), shared by the ape
deploy script and anyone deploying with web3.

The proxy at `DETERMINISTIC_DEPLOYER` (present on Anvil and most public chains) deploys
`salt ‖ initcode` with CREATE2, so a contract's address depends only on its init code (bytecode
plus constructor arguments) and the salt. A re-run finds the code already there and skips it:
deployment is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address

from crossbook.hashing import keccak

DETERMINISTIC_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
SALT = keccak(b"crossbook/v1")


@dataclass(frozen=True)
class Ref:
    """A constructor argument that is the address of an earlier contract of the plan."""

    name: str


@dataclass(frozen=True)
class PlannedContract:
    """One contract of the suite: its name, constructor types and arguments."""

    name: str
    constructor_types: tuple[str, ...]
    constructor_args: tuple[Any, ...]

    def initcode(self, bytecode: str | bytes, addresses: Mapping[str, str] | None = None) -> bytes:
        """Bytecode plus the encoded arguments; a `Ref` becomes `addresses[ref.name]`."""
        code = bytes.fromhex(bytecode[2:]) if isinstance(bytecode, str) else bytes(bytecode)
        args = [
            (addresses or {})[a.name] if isinstance(a, Ref) else a for a in self.constructor_args
        ]
        return code + encode(list(self.constructor_types), args)


def create2_address(initcode: bytes, salt: bytes = SALT) -> str:
    digest = keccak(b"\xff" + bytes.fromhex(DETERMINISTIC_DEPLOYER[2:]) + salt + keccak(initcode))
    return to_checksum_address(digest[12:])


def deploy_calldata(initcode: bytes, salt: bytes = SALT) -> bytes:
    """What to send to `DETERMINISTIC_DEPLOYER` to deploy `initcode` at `create2_address`."""
    return salt + initcode


#: Fees of the on-chain books the BookFactory creates: 0.05% taker, 0.01% maker rebate (ppm).
BOOK_TAKER_FEE_PPM = 500
BOOK_MAKER_FEE_PPM = -100


def suite_plan(owner: str, fee_recipient: str) -> list[PlannedContract]:
    """The exchange contracts in deployment order (Settlement first; grows as components land).
    The Router's factory is the planned Factory's CREATE2 address (`Ref`)."""
    return [
        PlannedContract("Settlement", ("address", "address"), (owner, fee_recipient)),
        PlannedContract("Factory", ("address",), (owner,)),
        PlannedContract("Router", ("address",), (Ref("Factory"),)),
        PlannedContract(
            "BookFactory",
            ("address", "address", "uint24", "int24"),
            (owner, fee_recipient, BOOK_TAKER_FEE_PPM, BOOK_MAKER_FEE_PPM),
        ),
    ]


def plan_addresses(
    plan: list[PlannedContract], bytecode_of: Callable[[str], str | bytes]
) -> list[tuple[PlannedContract, bytes, str]]:
    """(contract, init code, CREATE2 address) for each planned contract, resolving `Ref`s."""
    addresses: dict[str, str] = {}
    out = []
    for planned in plan:
        initcode = planned.initcode(bytecode_of(planned.name), addresses)
        addresses[planned.name] = create2_address(initcode)
        out.append((planned, initcode, addresses[planned.name]))
    return out
