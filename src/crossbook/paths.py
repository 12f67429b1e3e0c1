"""Where the project's own tools and outputs live."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from crossbook.errors import ToolchainError


def project_root() -> Path:
    """The checkout root: `CROSSBOOK_ROOT`, else the nearest parent holding ape-config.yaml."""
    env = os.environ.get("CROSSBOOK_ROOT")
    if env:
        return Path(env).resolve()
    for base in (Path.cwd(), Path(__file__).resolve()):
        for candidate in (base, *base.parents):
            if (candidate / "ape-config.yaml").is_file():
                return candidate
    raise ToolchainError(
        "cannot find the crossbook checkout (no ape-config.yaml above the current directory); "
        "run from the repository or set CROSSBOOK_ROOT"
    )


def tool_path(name: str) -> Path:
    """A foundry binary: the project's npm install first, then PATH."""
    local = project_root() / "node_modules" / ".bin" / name
    if local.exists():
        return local
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolchainError(f"`{name}` not found in node_modules/.bin or on PATH; run `make setup`")


def deployments_dir() -> Path:
    """`CROSSBOOK_DEPLOYMENTS_DIR`, else `deployments/` in the checkout."""
    env = os.environ.get("CROSSBOOK_DEPLOYMENTS_DIR")
    return Path(env).resolve() if env else project_root() / "deployments"


def snapshots_dir() -> Path:
    return project_root() / "snapshots"
