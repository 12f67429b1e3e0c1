"""Compiled contracts, read from ape's compile output (`.build/__local__.json`).

ape compiles with the project's offline solc (see tools/solc); this module only reads the
result, so the relayer and the devnet do not need ape imported at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from crossbook.errors import ToolchainError
from crossbook.paths import project_root


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    runtime_bytecode: str
    source: str = ""  # the source file that defines it, e.g. contracts/Settlement.sol


def _build_file() -> Path:
    return project_root() / ".build" / "__local__.json"


@lru_cache(maxsize=1)
def _contract_types(mtime_ns: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_build_file().read_text())
    types: dict[str, Any] = data.get("contractTypes", {})
    return types


def load_artifact(name: str) -> Artifact:
    """The ABI and bytecode of contract `name`; a clear error if it was never compiled."""
    path = _build_file()
    if not path.is_file():
        raise ToolchainError(f"no compiled contracts at {path}; run `make build` (ape compile)")
    types = _contract_types(path.stat().st_mtime_ns)
    if name not in types:
        known = ", ".join(sorted(types)) or "none"
        raise ToolchainError(f"contract {name!r} is not in {path} (compiled: {known})")
    ct = types[name]
    bytecode = (ct.get("deploymentBytecode") or {}).get("bytecode")
    runtime = (ct.get("runtimeBytecode") or {}).get("bytecode") or "0x"
    if not bytecode or bytecode == "0x":
        raise ToolchainError(f"contract {name!r} has no deployment bytecode (abstract?)")
    return Artifact(
        name=name,
        abi=ct["abi"],
        bytecode=bytecode,
        runtime_bytecode=runtime,
        source=str(ct.get("sourceId") or ""),
    )
