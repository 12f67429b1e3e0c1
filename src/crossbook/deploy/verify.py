"""Is what is on chain what we built? Each contract of a deployment manifest against the build.

A contract's runtime code on chain equals the build's runtime bytecode except for its
immutables, which the constructor writes into the code: the build holds 32 zero bytes there,
as the operand of a PUSH32. `compare_code` masks those operands (walking the code opcode by
opcode, so push data is never read as an opcode) and compares everything else byte for byte,
the metadata hash at the end included: any source change, comments too, is a mismatch.

`verification_input` gives what a block explorer needs to verify a contract: the standard-JSON
input of its compile (ape-solidity's, with the project's settings) and its constructor
arguments, read from the deployment transaction.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import Web3

from crossbook.artifacts import load_artifact
from crossbook.deploy.addresses import DETERMINISTIC_DEPLOYER
from crossbook.deploy.plan import artifact_of
from crossbook.errors import DeploymentError
from crossbook.manifest import Manifest
from crossbook.paths import project_root

_PUSH1, _PUSH32 = 0x60, 0x7F


class CodeStatus(enum.StrEnum):
    MATCH = "match"
    DIFFERS = "differs"
    NO_CODE = "no code"


@dataclass(frozen=True)
class CodeCheck:
    """One manifest entry against the build: `masked` immutables, and for a mismatch the
    first differing byte offset."""

    name: str
    contract: str
    address: str
    status: CodeStatus
    masked: int = 0
    first_difference: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "contract": self.contract,
            "address": self.address,
            "status": str(self.status),
            "immutables_masked": self.masked,
            "first_difference": self.first_difference,
        }


def immutable_operands(code: bytes) -> list[int]:
    """Offsets of the PUSH32 operands of `code` that are all zero: where immutables go."""
    out, i = [], 0
    while i < len(code):
        op = code[i]
        if _PUSH1 <= op <= _PUSH32:
            size = op - _PUSH1 + 1
            if op == _PUSH32 and code[i + 1 : i + 33] == bytes(32):
                out.append(i + 1)
            i += size
        i += 1
    return out


def compare_code(built: bytes, deployed: bytes) -> tuple[bool, int, int | None]:
    """(equal with immutables masked, immutables masked, first differing offset)."""
    if len(built) != len(deployed):
        return False, 0, min(len(built), len(deployed))
    slots = immutable_operands(built)
    masked = bytearray(deployed)
    for offset in slots:
        masked[offset : offset + 32] = bytes(32)
    if bytes(masked) == built:
        used = sum(deployed[o : o + 32] != bytes(32) for o in slots)
        return True, used, None
    first = next(i for i, (a, b) in enumerate(zip(built, masked, strict=True)) if a != b)
    return False, 0, first


def verify_deployment(w3: Web3, manifest: Manifest) -> list[CodeCheck]:
    """Every contract of `manifest`, compared with the build."""
    out = []
    for name, entry in manifest.contracts.items():
        contract = artifact_of(name)
        built = bytes.fromhex(load_artifact(contract).runtime_bytecode[2:])
        address = to_checksum_address(entry.address)
        deployed = bytes(w3.eth.get_code(address))
        if not deployed:
            out.append(CodeCheck(name, contract, address, CodeStatus.NO_CODE))
            continue
        same, masked, first = compare_code(built, deployed)
        status = CodeStatus.MATCH if same else CodeStatus.DIFFERS
        out.append(CodeCheck(name, contract, address, status, masked, first))
    return out


def constructor_arguments(w3: Web3, manifest: Manifest, name: str) -> str | None:
    """The ABI-encoded constructor arguments of `name` (hex), read from its deployment
    transaction (a creation or a call to the CREATE2 proxy); None when the manifest has no
    deployment transaction for it (a pool or book its factory created)."""
    entry = manifest.contracts[name]
    if not entry.tx_hash:
        return None
    tx = w3.eth.get_transaction(entry.tx_hash)  # type: ignore[arg-type]
    data = bytes(tx["input"])
    if tx.get("to") is not None:
        if to_checksum_address(str(tx["to"])) != DETERMINISTIC_DEPLOYER:
            return None
        data = data[32:]  # the salt
    bytecode = bytes.fromhex(load_artifact(artifact_of(name)).bytecode[2:])
    if not data.startswith(bytecode):
        raise DeploymentError(f"the deployment of {name} ({entry.tx_hash}) is not this build")
    return "0x" + data[len(bytecode) :].hex()


def standard_json_input(contract: str, source: str) -> tuple[str, dict[str, Any]]:
    """The solc version and standard-JSON input that compile `contract` of `source` (a path in
    the project) to the build's bytecode, metadata hash included: the build's own compiler
    settings (`.build/__local__.json`; the remappings are part of the metadata) and, as
    sources, the file and its imports (ape-solidity's import tree). Needs ape and the
    checkout."""
    from ape import compilers, project

    build = json.loads((project_root() / ".build" / "__local__.json").read_text())
    compiler = next(
        (c for c in build.get("compilers", []) if contract in c.get("contractTypes", [])), None
    )
    if compiler is None:
        raise DeploymentError(f"the build does not say how {contract} was compiled")
    inputs = compilers.solidity.get_standard_input_json([project.path / source], project=project)
    if len(inputs) != 1:
        raise DeploymentError(f"{source} compiles with {len(inputs)} solc versions, expected 1")
    [standard] = inputs.values()
    settings = {k: v for k, v in compiler["settings"].items() if k != "outputSelection"}
    settings["outputSelection"] = {source: {"*": ["abi", "evm.deployedBytecode.object"]}}
    return f"v{compiler['version']}", {**standard, "settings": settings}


def export_verification(w3: Web3, manifest: Manifest, directory: Path) -> list[Path]:
    """One `<name>.json` per contract in `directory`: the contract's fully qualified name,
    address, compiler version, constructor arguments and standard-JSON input."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    inputs: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, entry in manifest.contracts.items():
        contract = artifact_of(name)
        source = load_artifact(contract).source
        if contract not in inputs:
            inputs[contract] = standard_json_input(contract, source)
        version, standard = inputs[contract]
        record = {
            "contract": f"{source}:{contract}",
            "address": to_checksum_address(entry.address),
            "compiler": version,
            "constructor_arguments": constructor_arguments(w3, manifest, name),
            "standard_json_input": standard,
        }
        path = directory / f"{name.replace(':', '-').replace('/', '-')}.json"
        path.write_text(json.dumps(record, indent=2) + "\n")
        written.append(path)
    return written
