"""Docs and code say what and why, never which issue asked for it: no "issue 5", "(issue 4,
item 3)" or "issue #12" under docs/ or src/, nor in the README. (An upstream bug is cited by
its repository, e.g. foundry-rs/foundry#10122.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ISSUE_REFERENCE = re.compile(r"\bissues?\s*(?:no\.?\s*)?#?\s*\d+", re.IGNORECASE)
SKIPPED_PARTS = {"__pycache__", "node_modules"}


def text_files() -> Iterator[Path]:
    yield ROOT / "README.md"
    for top in ("docs", "src"):
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or SKIPPED_PARTS & set(path.parts):
                continue
            if any(part.endswith(".egg-info") for part in path.parts):
                continue  # build output: a copy of the README
            yield path


def test_pattern_finds_issue_references() -> None:
    for text in ("AMM pools (issue 4)", "issue 5, item 6", "Issue #12", "issues 3"):
        assert ISSUE_REFERENCE.search(text), text
    for text in ("foundry-rs/foundry#10122", "an issue with 6 decimals", "issuer 4"):
        assert not ISSUE_REFERENCE.search(text), text


def test_no_issue_numbers_in_docs_or_src() -> None:
    found = []
    for path in text_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if ISSUE_REFERENCE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "issue numbers in docs or code:\n" + "\n".join(found)
