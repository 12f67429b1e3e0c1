"""Deployment manifests: `deployments/<chain-id>.json`, read by the relayer and the SDK."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from crossbook.errors import ManifestError
from crossbook.paths import deployments_dir, project_root


class DeployedContract(BaseModel):
    address: str
    block: int = Field(ge=0)
    tx_hash: str | None = None


class TokenInfo(BaseModel):
    address: str
    symbol: str
    decimals: int = Field(ge=0, le=255)


class Manifest(BaseModel):
    chain_id: int = Field(gt=0)
    git_commit: str
    deployed_at: str
    contracts: dict[str, DeployedContract] = {}
    tokens: dict[str, TokenInfo] = {}
    roles: dict[str, str] = {}  # owner, guardian, relayer, fee_recipient -> address

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            known = ", ".join(sorted(self.contracts)) or "none"
            raise ManifestError(
                f"contract {name!r} is not deployed on chain {self.chain_id} (deployed: {known})"
            ) from None


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=project_root(),
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def new_manifest(chain_id: int) -> Manifest:
    return Manifest(
        chain_id=chain_id,
        git_commit=git_commit(),
        deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def manifest_path(chain_id: int, directory: Path | None = None) -> Path:
    return (directory or deployments_dir()) / f"{chain_id}.json"


def write_manifest(manifest: Manifest, directory: Path | None = None) -> Path:
    """Write atomically (temp file + rename) so a reader never sees half a manifest."""
    path = manifest_path(manifest.chain_id, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(manifest.model_dump_json(indent=2) + "\n")
    os.replace(tmp, path)
    return path


def read_manifest(chain_id: int, directory: Path | None = None) -> Manifest:
    path = manifest_path(chain_id, directory)
    if not path.is_file():
        raise ManifestError(
            f"no deployment manifest for chain {chain_id} at {path}; deploy first "
            "(`crossbook devnet up` locally, `ape run deploy` on a testnet)"
        )
    try:
        manifest = Manifest.model_validate(json.loads(path.read_text()))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ManifestError(f"deployment manifest {path} is malformed: {exc}") from None
    if manifest.chain_id != chain_id:
        raise ManifestError(f"{path} says chain {manifest.chain_id}, expected {chain_id}")
    return manifest
