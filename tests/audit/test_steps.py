"""`crossbook bench audit` on the audit's tiny forge project: the slither and forge coverage
steps run the real tools, their rows land in the summary, the exit code and the page; a step
whose tool is missing adds a row that says so, and the next step runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from crossbook.audit import steps
from crossbook.bench.page import AUDIT, read_rows
from crossbook.cli import main

from .projects import copy_project

COMMAND = "crossbook bench audit --step slither --step forge-coverage"


def test_slither_and_forge_coverage_steps_on_a_tiny_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(tmp_path / "project", links=("node_modules", "tools", ".venv"))
    shutil.rmtree(root / "tests" / "foundry" / "failing")  # forge coverage runs every test
    monkeypatch.setenv("CROSSBOOK_ROOT", str(root))
    page = tmp_path / "benchmarks.md"
    result = CliRunner(mix_stderr=False).invoke(
        main, [*COMMAND.split()[1:], "--write-page", str(page)]
    )

    # The fixture's tests never run `return x` nor `both`: 8 of 11 lines, under the 95% goal.
    assert result.exit_code == 1, result.stdout + result.stderr
    rows = [r[:3] for r in read_rows(page.read_text(), AUDIT)]
    assert [r for r in rows if not r[0].startswith("time: ")] == [
        (
            "slither: findings per level",
            "High 0, Medium 0, Low 0, Informational 1, Optimization 0",
            "High 0, Medium 0 (met)",
        ),
        ("forge coverage contracts/: lines", "72.7% (8/11)", ">= 95% (missed)"),
        ("forge coverage contracts/: branches", "100.0% (1/1)", ">= 90% (met)"),
    ]
    assert [r[0] for r in rows if r[0].startswith("time: ")] == [
        "time: slither",
        "time: forge-coverage",
    ]
    assert {r[3] for r in read_rows(page.read_text(), AUDIT)} == {f"`{COMMAND}`"}
    out = result.stdout
    assert "slither findings per detector: assembly (Informational) 1" in out
    assert "contracts/ lines never run:\n  contracts/Clamp.sol: 11, 25-26" in out
    assert (root / ".forge" / "audit" / "slither.json").is_file()
    assert (root / ".forge" / "audit" / "lcov.info").is_file()


def test_a_step_whose_tool_is_missing_says_so_and_the_next_step_runs(tmp_path: Path) -> None:
    echoed: list[str] = []
    finished: list[list[str]] = []
    summary = steps.run(
        steps.Settings(root=tmp_path),  # no .venv, no node_modules
        ["slither", "forge-coverage"],
        echoed.append,
        lambda checks: finished.append([c.name for c in checks]),
    )
    failed = [c for c in summary.checks if not c.name.startswith("time: ")]
    assert [(c.name, c.goal, c.met) for c in failed] == [
        ("slither", "runs", False),
        ("forge-coverage", "runs", False),
    ]
    assert all(c.figure.startswith("failed: FileNotFoundError: ") for c in failed)
    assert finished == [["slither", "time: slither"], ["forge-coverage", "time: forge-coverage"]]
    assert echoed[0] == "audit: slither ..." and echoed[2] == "audit: forge-coverage ..."
    assert not summary.all_met
