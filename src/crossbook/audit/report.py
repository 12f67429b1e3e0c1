"""The audit's figures, read from the tools' own outputs, and its one summary table.

Every parser takes the text a tool wrote (a file or stdout) and returns plain figures, so the
tests run them on outputs captured from the real tools (`tests/audit/fixtures`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crossbook.errors import CrossbookError


class AuditOutputError(CrossbookError, ValueError):
    """A tool's output is not in the form the audit reads (a tool version changed its format,
    or the step failed before writing it)."""


# -- coverage -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileCoverage:
    path: str
    lines: int
    lines_hit: int
    branches: int
    branches_hit: int
    uncovered: tuple[int, ...]  # line numbers with code never run


@dataclass(frozen=True)
class Coverage:
    files: tuple[FileCoverage, ...]

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def lines_hit(self) -> int:
        return sum(f.lines_hit for f in self.files)

    @property
    def branches(self) -> int:
        return sum(f.branches for f in self.files)

    @property
    def branches_hit(self) -> int:
        return sum(f.branches_hit for f in self.files)

    @property
    def line_share(self) -> float:
        return self.lines_hit / self.lines if self.lines else 1.0

    @property
    def branch_share(self) -> float:
        return self.branches_hit / self.branches if self.branches else 1.0


def parse_lcov(text: str, include: str = "contracts/", exclude: Sequence[str] = ()) -> Coverage:
    """forge's ``--report lcov``: line (``DA``) and branch (``BRDA``) records per source file
    (``SF``), for the files under `include` and not under any of `exclude`."""
    files: list[FileCoverage] = []
    path: str | None = None
    lines: dict[int, int] = {}
    branches: dict[tuple[str, str, str], bool] = {}
    for raw in text.splitlines():
        tag, _, value = raw.strip().partition(":")
        if tag == "SF":
            path, lines, branches = value, {}, {}
        elif tag == "DA" and path is not None:
            number, hits = value.split(",")[:2]
            lines[int(number)] = lines.get(int(number), 0) + int(hits)
        elif tag == "BRDA" and path is not None:
            line, block, branch, taken = value.split(",")
            key = (line, block, branch)
            branches[key] = branches.get(key, False) or (taken not in ("-", "0"))
        elif raw.strip() == "end_of_record" and path is not None:
            if path.startswith(include) and not any(path.startswith(e) for e in exclude):
                uncovered = tuple(sorted(n for n, h in lines.items() if h == 0))
                files.append(
                    FileCoverage(
                        path,
                        len(lines),
                        len(lines) - len(uncovered),
                        len(branches),
                        sum(branches.values()),
                        uncovered,
                    )
                )
            path = None
    if not files:
        raise AuditOutputError(f"no coverage record for a file under {include} in the lcov report")
    return Coverage(tuple(sorted(files, key=lambda f: f.path)))


def parse_coverage_json(text: str, prefix: str = "src/crossbook/") -> Coverage:
    """coverage.py's ``--cov-report=json`` (statements as lines, no branch figures)."""
    try:
        report = json.loads(text)
        entries = report["files"].items()
        files = [
            FileCoverage(
                path,
                int(data["summary"]["num_statements"]),
                int(data["summary"]["covered_lines"]),
                0,
                0,
                tuple(int(n) for n in data["missing_lines"]),
            )
            for path, data in entries
            if path.startswith(prefix)
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditOutputError(f"not a coverage.py JSON report: {exc}") from exc
    if not files:
        raise AuditOutputError(f"the coverage.py report has no file under {prefix}")
    return Coverage(tuple(sorted(files, key=lambda f: f.path)))


def line_ranges(numbers: Iterable[int]) -> str:
    """``1, 2, 3, 7`` as ``1-3, 7``."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def uncovered_listing(coverage: Coverage) -> list[str]:
    """One line per file with code never run: its path and the line ranges."""
    return [f"{f.path}: {line_ranges(f.uncovered)}" for f in coverage.files if f.uncovered]


# -- forge test (fuzz and invariant runs) -----------------------------------------------------
@dataclass(frozen=True)
class FuzzRuns:
    invariants: dict[str, int]  # "Contract.invariant_x" -> runs
    calls: dict[str, int]  # "Contract.invariant_x" -> calls over all runs
    fuzz: dict[str, int]  # "Contract.testFuzz_x" -> runs
    failed: tuple[str, ...]

    @property
    def fewest_invariant_runs(self) -> int:
        return min(self.invariants.values(), default=0)

    @property
    def fewest_invariant_calls(self) -> int:
        return min(self.calls.values(), default=0)

    @property
    def fewest_fuzz_runs(self) -> int:
        return min(self.fuzz.values(), default=0)


def parse_forge_test_json(text: str) -> FuzzRuns:
    """``forge test --json``: per suite, per test, its status and kind (``Unit``, ``Fuzz``
    with ``runs``, ``Invariant`` with ``runs``). The report is the first JSON document; forge
    may print event lines after it (an invariant's failure, one JSON object per line), which
    the report's statuses already hold."""
    start = text.find("{")
    try:
        suites = json.JSONDecoder().raw_decode(text[start:])[0] if start >= 0 else None
        if not isinstance(suites, dict):
            raise ValueError("no JSON object")
        invariants: dict[str, int] = {}
        calls: dict[str, int] = {}
        fuzz: dict[str, int] = {}
        failed: list[str] = []
        for suite, body in suites.items():
            contract = suite.rsplit(":", 1)[-1]
            for test, result in body["test_results"].items():
                name = f"{contract}.{test.split('(')[0]}"
                if result["status"] != "Success":
                    failed.append(name)
                kind = result["kind"]
                if "Invariant" in kind:
                    invariants[name] = int(kind["Invariant"]["runs"])
                    calls[name] = int(kind["Invariant"]["calls"])
                elif "Fuzz" in kind:
                    fuzz[name] = int(kind["Fuzz"]["runs"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditOutputError(f"not forge test JSON output: {exc}") from exc
    return FuzzRuns(invariants, calls, fuzz, tuple(sorted(failed)))


# -- halmos -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SymbolicResults:
    passed: tuple[str, ...]
    failed: tuple[str, ...]  # a counterexample, an error or a timeout: not proven


def parse_halmos_json(text: str) -> SymbolicResults:
    """halmos's ``--json-output``: per test file and contract, each ``check_`` function's
    exit code (0: no counterexample within the bounds)."""
    try:
        report = json.loads(text)
        passed: list[str] = []
        failed: list[str] = []
        for key, tests in report["test_results"].items():
            contract = key.rsplit(":", 1)[-1]
            for test in tests:
                name = f"{contract}.{test['name'].split('(')[0]}"
                (passed if test["exitcode"] == 0 else failed).append(name)
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditOutputError(f"not halmos JSON output: {exc}") from exc
    if not passed and not failed:
        raise AuditOutputError("halmos ran no check_ function")
    return SymbolicResults(tuple(sorted(passed)), tuple(sorted(failed)))


# -- slither ----------------------------------------------------------------------------------
SLITHER_LEVELS = ("High", "Medium", "Low", "Informational", "Optimization")


@dataclass(frozen=True)
class StaticFindings:
    by_level: dict[str, int]
    by_detector: dict[str, int]


def parse_slither_json(text: str) -> StaticFindings:
    """``slither --json``: every detector result with its impact level."""
    try:
        report = json.loads(text)
        detectors = (report.get("results") or {}).get("detectors") or []
        by_level = dict.fromkeys(SLITHER_LEVELS, 0)
        by_detector: dict[str, int] = {}
        for finding in detectors:
            by_level[finding["impact"]] = by_level.get(finding["impact"], 0) + 1
            check = f"{finding['check']} ({finding['impact']})"
            by_detector[check] = by_detector.get(check, 0) + 1
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AuditOutputError(f"not slither JSON output: {exc}") from exc
    if not report.get("success", False):
        raise AuditOutputError(f"slither did not finish: {report.get('error')}")
    return StaticFindings(by_level, dict(sorted(by_detector.items())))


# -- the summary ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One row of the summary: what was checked, the figure, the goal and whether it is met
    (None: the figure has no goal)."""

    name: str
    figure: str
    goal: str = "-"
    met: bool | None = None


@dataclass
class Summary:
    checks: list[Check] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # printed below the table

    def add(self, check: Check) -> None:
        self.checks.append(check)

    @property
    def all_met(self) -> bool:
        return all(c.met is not False for c in self.checks)

    def table(self) -> str:
        rows = [("check", "figure", "goal", "")] + [
            (c.name, c.figure, c.goal, {None: "", True: "met", False: "MISSED"}[c.met])
            for c in self.checks
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = [
            "  ".join(r[i].ljust(widths[i]) for i in range(3)) + ("  " + r[3] if r[3] else "")
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)

    def page_rows(self) -> list[tuple[str, str, str]]:
        """The rows for the benchmarks page's audit section (check, figure, goal)."""
        return page_rows(self.checks)


def page_rows(checks: Sequence[Check]) -> list[tuple[str, str, str]]:
    """Rows for the benchmarks page's audit section: check, figure, goal (met or missed)."""
    return [
        (c.name, c.figure, c.goal + {None: "", True: " (met)", False: " (missed)"}[c.met])
        for c in checks
    ]


def percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def coverage_checks(
    label: str, coverage: Coverage, line_goal: float, branch_goal: float | None, scope: str = ""
) -> list[Check]:
    """Lines (and branches, with a goal for them) of `coverage`; `scope` says what ran."""
    suffix = f" {scope}" if scope else ""
    checks = [
        Check(
            f"{label}: lines",
            f"{percent(coverage.line_share)} ({coverage.lines_hit:,}/{coverage.lines:,}){suffix}",
            f">= {line_goal:.0%}",
            coverage.line_share >= line_goal,
        )
    ]
    if branch_goal is not None:
        checks.append(
            Check(
                f"{label}: branches",
                f"{percent(coverage.branch_share)} "
                f"({coverage.branches_hit:,}/{coverage.branches:,})",
                f">= {branch_goal:.0%}",
                coverage.branch_share >= branch_goal,
            )
        )
    return checks


def fuzz_checks(runs: FuzzRuns, invariant_goal: int) -> list[Check]:
    return [
        Check(
            "deep fuzz: invariants",
            f"{len(runs.invariants)} invariants, fewest runs {runs.fewest_invariant_runs:,}, "
            f"fewest calls {runs.fewest_invariant_calls:,}",
            f">= {invariant_goal:,} runs each",
            runs.fewest_invariant_runs >= invariant_goal and not runs.failed,
        ),
        Check(
            "deep fuzz: fuzz tests",
            f"{len(runs.fuzz)} fuzz tests, fewest runs {runs.fewest_fuzz_runs:,}; "
            f"{len(runs.failed)} failed",
            "0 failed",
            not runs.failed,
        ),
    ]


def symbolic_check(results: SymbolicResults) -> Check:
    total = len(results.passed) + len(results.failed)
    return Check(
        "halmos: check_ functions",
        f"{len(results.passed)}/{total} proven within bounds",
        "all",
        not results.failed,
    )


def static_check(findings: StaticFindings) -> Check:
    figure = ", ".join(f"{level} {findings.by_level.get(level, 0)}" for level in SLITHER_LEVELS)
    high_medium = findings.by_level.get("High", 0) + findings.by_level.get("Medium", 0)
    return Check("slither: findings per level", figure, "High 0, Medium 0", high_medium == 0)


def duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + f"{secs}s"
