"""docs/security.md names real tests: every forge test, invariant, halmos check and pytest
test it cites is defined in the suite, so the page cannot point an auditor at nothing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"`(?:([\w/]+\.py)::)?((?:test|testFuzz|invariant|check)_\w+)`")


def defined_names() -> set[str]:
    names: set[str] = set()
    for folder in ("tests/foundry", "tests/halmos"):
        for source in (ROOT / folder).rglob("*.sol"):
            names.update(
                re.findall(r"function ((?:test|invariant|check)\w*)\(", source.read_text())
            )
    return names


def test_every_test_named_in_security_md_exists() -> None:
    page = (ROOT / "docs" / "security.md").read_text()
    cited = NAME.findall(page)
    assert len(cited) > 50
    solidity = defined_names()
    missing = []
    for path, name in cited:
        if path:
            source = (ROOT / path).read_text() if (ROOT / path).is_file() else ""
            if not re.search(rf"^(async )?def {name}\(", source, re.M):
                missing.append(f"{path}::{name}")
        elif name not in solidity:
            missing.append(name)
    assert missing == []
