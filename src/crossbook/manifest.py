"""Deployment manifests: `deployments/<chain-id>.json`, read by the relayer and the SDK.

The package carries the known deployments (`crossbook/deployments/<chain-id>.json`: the
checkout's manifests of every chain but a devnet), so an installed SDK finds a public network's
contracts without a checkout. `make build` writes them (`write_shipped_manifests`); a test fails
when they differ from the checkout's.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from crossbook.errors import ManifestError
from crossbook.paths import deployments_dir, in_checkout, project_root


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


def is_manifest(path: Path | Traversable) -> bool:
    """A file named `<chain-id>.json`."""
    stem = path.name.removesuffix(".json")
    return path.is_file() and path.name.endswith(".json") and stem.isdigit()


def shipped_manifests() -> Traversable:
    """The folder of the known deployments inside the installed package."""
    return resources.files("crossbook").joinpath("deployments")


def shipped_chain_ids() -> list[int]:
    """The chains whose deployment ships with the package."""
    folder = shipped_manifests()
    if not folder.is_dir():
        return []
    return sorted(int(f.name.removesuffix(".json")) for f in folder.iterdir() if is_manifest(f))


def reads_shipped(directory: Path | None = None) -> bool:
    """Whether `read_manifest(..., directory)` reads the package's known deployments: with no
    `directory`, no `CROSSBOOK_DEPLOYMENTS_DIR` and no checkout (an installed package); else
    it reads `directory`, that variable's folder or the checkout's `deployments/`."""
    return (
        directory is None and not os.environ.get("CROSSBOOK_DEPLOYMENTS_DIR") and not in_checkout()
    )


def read_manifest(chain_id: int, directory: Path | None = None) -> Manifest:
    """The deployment manifest of `chain_id`, from where `reads_shipped` says."""
    shipped = reads_shipped(directory)
    path: Traversable = (
        shipped_manifests().joinpath(f"{chain_id}.json")
        if shipped
        else manifest_path(chain_id, directory)
    )
    if not path.is_file():
        if shipped:
            known = ", ".join(map(str, shipped_chain_ids())) or "none"
            hint = (
                f"the package knows the deployments of chains: {known}; for another network "
                "pass the folder holding its <chain-id>.json (--manifest-dir, "
                "CROSSBOOK_MANIFEST_DIR)"
            )
        else:
            hint = "deploy first (`crossbook devnet up` locally, `ape run deploy` on a testnet)"
        raise ManifestError(f"no deployment manifest for chain {chain_id} at {path}; {hint}")
    try:
        manifest = Manifest.model_validate(json.loads(path.read_text()))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ManifestError(f"deployment manifest {path} is malformed: {exc}") from None
    if manifest.chain_id != chain_id:
        raise ManifestError(f"{path} says chain {manifest.chain_id}, expected {chain_id}")
    return manifest


def known_deployments(source: Path) -> dict[str, str]:
    """The manifests of `source` that ship with the package, by file name: every chain's but
    a devnet's (whose addresses exist only on that one node)."""
    from crossbook.client.signers import DEVNET_CHAIN_IDS

    known = {}
    for path in sorted(source.glob("*.json")):
        if not is_manifest(path) or int(path.stem) in DEVNET_CHAIN_IDS:
            continue
        read_manifest(int(path.stem), source)  # refuse to ship a malformed one
        known[path.name] = path.read_text()
    return known


def write_shipped_manifests(source: Path | None = None, target: Path | None = None) -> list[Path]:
    """Make the package's known deployments (`target`, default `crossbook/deployments` in the
    source tree) those of the checkout's `deployments/` (`source`); the files written or
    removed."""
    known = known_deployments(source or project_root() / "deployments")
    folder = target or Path(__file__).resolve().parent / "deployments"
    changed = []
    for stale in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if stale.name not in known:
            stale.unlink()
            changed.append(stale)
    for name, text in known.items():
        path = folder / name
        if not path.is_file() or path.read_text() != text:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed
