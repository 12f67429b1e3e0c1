"""Where the project's own tools and outputs live.

The checkout (the repository, after `make setup`) holds the compiled contracts, the npm
toolchain and the deployment manifests. The SDK and the wallet commands do not need it: the
package carries the ABIs and the known deployments (`crossbook.manifest`). The devnet, deploy
and benchmark tooling does, and says so with `CheckoutRequired`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from crossbook.errors import CheckoutRequired, ToolchainError


def project_root() -> Path:
    """The checkout root: `CROSSBOOK_ROOT`, else the nearest parent holding ape-config.yaml."""
    env = os.environ.get("CROSSBOOK_ROOT")
    if env:
        return Path(env).resolve()
    for base in (Path.cwd(), Path(__file__).resolve()):
        for candidate in (base, *base.parents):
            if (candidate / "ape-config.yaml").is_file():
                return candidate
    raise CheckoutRequired(
        f"no crossbook checkout found (no ape-config.yaml above {Path.cwd()}, CROSSBOOK_ROOT "
        "unset); the installed package carries the wallet SDK and commands, not the devnet, "
        "deploy and benchmark tooling: run it from a clone of the repository after "
        "`make setup`, or set CROSSBOOK_ROOT"
    )


def in_checkout() -> bool:
    """Whether `project_root` finds a checkout."""
    try:
        project_root()
    except CheckoutRequired:
        return False
    return True


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
