"""The audit's tiny forge project (`fixtures/mutation`), copied to a scratch folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from crossbook.audit.mutants import Target
from crossbook.paths import project_root

FIXTURE = Path(__file__).parent / "fixtures" / "mutation"
CLAMP = Target("contracts/Clamp.sol", "Clamp", "tests/foundry/clamp")


def copy_project(folder: Path, links: tuple[str, ...] = ("node_modules", "tools")) -> Path:
    """The fixture project in `folder`, with the checkout's npm tools and solc stand-in (and
    any other of its folders in `links`) linked in."""
    shutil.copytree(FIXTURE, folder)
    for name in links:
        (folder / name).symlink_to(project_root() / name)
    return folder
