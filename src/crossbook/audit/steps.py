"""The steps of `crossbook bench audit`: run each tool, read its output, add its checks.

Every step writes its raw output under `.forge/audit/` (the lcov file, the JSON reports, the
mutants' listing), then adds its rows to the `Summary`. A step whose tool fails adds a row
that says so and the audit goes on with the next; the command exits 1 if any goal is missed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from crossbook.audit import report
from crossbook.audit.report import AuditOutputError, Check, Summary

log = logging.getLogger(__name__)

#: forge coverage of these files is not counted: mocks and weird tokens, the tests themselves
COVERAGE_EXCLUDE = "(contracts/test|tests/)"
#: forge tests that bound gas: they hold the via-IR build, not the `fast` one coverage and
#: mutants compile
GAS_TESTS = "^test_gas"
LINE_GOAL_CONTRACTS = 0.95
BRANCH_GOAL_CONTRACTS = 0.90
LINE_GOAL_PYTHON = 0.90
MUTATION_GOAL = 0.80
INVARIANT_RUNS_GOAL = 10_000
#: the relayer's storage tests also run against this PostgreSQL server when it is set
POSTGRES_DSN_ENV = "CROSSBOOK_TEST_POSTGRES_DSN"


@dataclass(frozen=True)
class Settings:
    root: Path
    mutants_per_contract: int = 2
    mutation_minutes: float = 28.0  # no new mutant is started after this
    mutation_jobs: int = 2  # mutants judged side by side, each in its own workspace
    invariant_runs: int = 10_000
    invariant_depth: int = 8
    fuzz_runs: int | None = None  # None: the `deep` profile's
    pytest_paths: tuple[str, ...] = ("tests",)
    halmos: str = ".venv-halmos/bin/halmos"

    @property
    def out(self) -> Path:
        return self.root / ".forge" / "audit"


def _run(
    settings: Settings, command: Sequence[str], env: Mapping[str, str], log_name: str
) -> tuple[int, str]:
    """Run `command` in the checkout; its output goes to `.forge/audit/<log_name>.log`."""
    settings.out.mkdir(parents=True, exist_ok=True)
    log.info("running %s", " ".join(command))
    done = subprocess.run(
        list(command),
        cwd=settings.root,
        env={**os.environ, "FOUNDRY_DISABLE_NIGHTLY_WARNING": "1", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    (settings.out / f"{log_name}.log").write_text(output)
    return done.returncode, output


def _forge(settings: Settings) -> str:
    return str(settings.root / "node_modules" / ".bin" / "forge")


def _tail(output: str, lines: int = 5) -> str:
    return " / ".join(line.strip() for line in output.strip().splitlines()[-lines:])


def static_analysis(settings: Settings, summary: Summary) -> None:
    """slither over the contracts (not mocks or tests), every detector level, `fast` build."""
    result = settings.out / "slither.json"
    result.unlink(missing_ok=True)
    from crossbook.audit.mutants import SLITHER_ENV

    command = [
        str(settings.root / ".venv" / "bin" / "slither"),
        ".",
        "--compile-force-framework",
        "foundry",
        "--filter-paths",
        "node_modules|tests/foundry|tests/halmos|contracts/test",
        "--json",
        str(result),
    ]
    _, output = _run(settings, command, SLITHER_ENV, "slither")
    if not result.is_file():
        raise AuditOutputError(f"slither wrote no report: {_tail(output)}")
    findings = report.parse_slither_json(result.read_text())
    summary.add(report.static_check(findings))
    summary.details.append(
        "slither findings per detector: "
        + (", ".join(f"{k} {v}" for k, v in findings.by_detector.items()) or "none")
    )


def mutation(settings: Settings, summary: Summary) -> None:
    from crossbook.audit.mutants import Outcome, run_campaign

    settings.out.mkdir(parents=True, exist_ok=True)
    judged = settings.out / "mutants-judged.txt"
    judged.write_text("")

    def keep(outcome: Outcome) -> None:
        # Each verdict as soon as it is known: an interrupted campaign keeps what it judged.
        with judged.open("a") as listing:
            listing.write(f"{outcome.status}: {outcome.mutant.describe()}\n")

    campaign = run_campaign(
        settings.root,
        settings.mutants_per_contract,
        progress=keep,
        budget_s=60 * settings.mutation_minutes,
        jobs=settings.mutation_jobs,
    )
    killed, survived = campaign.count("killed"), campaign.count("survived")
    summary.add(
        Check(
            "mutation: core contracts",
            f"score {report.percent(campaign.score)} ({killed} killed, {survived} survived, "
            f"{campaign.count('no-compile')} did not compile, "
            f"{campaign.count('not-run')} not run within {settings.mutation_minutes:g} min, "
            f"{settings.mutation_jobs} at a time)",
            f">= {MUTATION_GOAL:.0%}",
            campaign.score >= MUTATION_GOAL,
        )
    )
    listing = [m.describe() for m in campaign.survivors]
    (settings.out / "mutants-survived.txt").write_text("".join(f"{s}\n" for s in listing))
    summary.details.append(
        "surviving mutants (each is killed by a test or explained in docs/security.md):"
        + "".join(f"\n  {s}" for s in listing)
        if listing
        else "surviving mutants: none"
    )


def symbolic(settings: Settings, summary: Summary) -> None:
    """halmos over `tests/halmos` (its own foundry profile: no via-IR), built afresh: halmos
    runs every artifact in its build folder, a deleted test's included."""
    result = settings.out / "halmos.json"
    result.unlink(missing_ok=True)
    for build in (".forge/out-halmos", ".forge/cache-halmos"):
        shutil.rmtree(settings.root / build, ignore_errors=True)
    command = [
        str(settings.root / settings.halmos),
        "--forge-build-out",
        ".forge/out-halmos",
        "--loop",
        "4",
        "--solver-timeout-assertion",
        "60000",
        "--json-output",
        str(result),
    ]
    _, output = _run(settings, command, {"FOUNDRY_PROFILE": "halmos"}, "halmos")
    if not result.is_file():
        raise AuditOutputError(f"halmos wrote no report: {_tail(output)}")
    results = report.parse_halmos_json(result.read_text())
    summary.add(report.symbolic_check(results))
    summary.details.append("halmos proven: " + ", ".join(results.passed))
    if results.failed:
        summary.details.append("halmos NOT proven: " + ", ".join(results.failed))


def contract_coverage(settings: Settings, summary: Summary) -> None:
    """forge coverage under the `fast` profile. forge coverage switches the optimizer off, and
    the legacy code generator then runs out of stack in Settlement; the solc stand-in turns it
    back on (`CROSSBOOK_SOLC_OPTIMIZE`)."""
    lcov = settings.out / "lcov.info"
    lcov.unlink(missing_ok=True)
    env = {
        "FOUNDRY_PROFILE": "fast",
        "CROSSBOOK_SOLC_OPTIMIZE": "1",
        "FOUNDRY_OUT": ".forge/audit/coverage-out",
        "FOUNDRY_CACHE_PATH": ".forge/audit/coverage-cache",
    }
    command = [
        _forge(settings),
        "coverage",
        "--no-match-coverage",
        COVERAGE_EXCLUDE,
        "--no-match-test",
        GAS_TESTS,
        "--report",
        "lcov",
        "--report-file",
        str(lcov),
    ]
    code, output = _run(settings, command, env, "forge-coverage")
    if code != 0 or not lcov.is_file():
        raise AuditOutputError(f"forge coverage failed: {_tail(output)}")
    coverage = report.parse_lcov(lcov.read_text(), exclude=("contracts/test/",))
    summary.checks += report.coverage_checks(
        "forge coverage contracts/", coverage, LINE_GOAL_CONTRACTS, BRANCH_GOAL_CONTRACTS
    )
    summary.details.append(
        "contracts/ lines never run:"
        + "".join(f"\n  {u}" for u in report.uncovered_listing(coverage))
    )


def deep_fuzz(settings: Settings, summary: Summary) -> None:
    """Every fuzz and invariant test with the `deep` profile's fuzz runs (or `fuzz_runs`),
    invariants at `invariant_runs` runs of `invariant_depth` calls. Built under the `fast`
    profile like coverage and mutants: the runs judge behaviour, and the via-IR build would
    add minutes of compile for nothing."""
    with (settings.root / "foundry.toml").open("rb") as config:
        deep_runs = int(tomllib.load(config)["profile"]["deep"]["fuzz"]["runs"])
    env = {
        "FOUNDRY_PROFILE": "fast",
        "FOUNDRY_FUZZ_RUNS": str(settings.fuzz_runs or deep_runs),
        "FOUNDRY_INVARIANT_RUNS": str(settings.invariant_runs),
        "FOUNDRY_INVARIANT_DEPTH": str(settings.invariant_depth),
    }
    command = [_forge(settings), "test", "--json", "--match-test", "^(invariant|testFuzz)"]
    _, output = _run(settings, command, env, "forge-deep")
    runs = report.parse_forge_test_json(output)
    summary.checks += report.fuzz_checks(runs, INVARIANT_RUNS_GOAL)
    if runs.failed:
        summary.details.append("deep fuzz failures: " + ", ".join(runs.failed))


def python_coverage(settings: Settings, summary: Summary) -> None:
    """pytest-cov over `src/crossbook` for the pytest paths (through ape, on Anvil), the Python
    processes the tests start included (`[tool.coverage.run]` in pyproject.toml). The source is
    the directory, not the package: alembic loads the migrations under module names of its own."""
    result = settings.out / "coverage.json"
    result.unlink(missing_ok=True)
    for stale in settings.out.glob(".coverage*"):  # a killed run's per-process data files
        stale.unlink()
    command = [
        str(settings.root / ".venv" / "bin" / "ape"),
        "test",
        *settings.pytest_paths,
        "-p",
        "no:cacheprovider",
        "-q",
        f"--cov={settings.root / 'src' / 'crossbook'}",
        f"--cov-report=json:{result}",
    ]
    env = {"COVERAGE_FILE": str(settings.out / ".coverage")}
    code, output = _run(settings, command, env, "pytest-cov")
    if not result.is_file():
        raise AuditOutputError(f"pytest-cov wrote no report: {_tail(output)}")
    coverage = report.parse_coverage_json(result.read_text())
    database = "with PostgreSQL" if os.environ.get(POSTGRES_DSN_ENV) else "without PostgreSQL"
    paths = " ".join(settings.pytest_paths)
    scope = f"running {paths} and the processes they start, {database}"
    summary.checks += report.coverage_checks(
        "pytest-cov src/crossbook", coverage, LINE_GOAL_PYTHON, None, scope
    )
    if code != 0:
        summary.add(Check("pytest under coverage", f"failed: {_tail(output, 2)}", "pass", False))
    summary.details.append(
        "src/crossbook lines never run:"
        + "".join(f"\n  {u}" for u in report.uncovered_listing(coverage))
    )


def gas_snapshot(settings: Settings, summary: Summary) -> None:
    """`crossbook bench gas` against snapshots/gas.json (needs a fresh full compile)."""
    from crossbook.bench import gas

    snapshot = gas.read_snapshot()
    rows = gas.compare(gas.measure(), snapshot)
    drifted = [r.name for r in rows if r.drift != 0]
    summary.add(
        Check(
            "gas snapshot",
            f"{len(rows)} scenarios, {len(drifted)} differ from snapshots/gas.json",
            "0 differ",
            not drifted,
        )
    )
    if drifted:
        summary.details.append("gas differs: " + ", ".join(drifted))


Step = Callable[[Settings, Summary], None]

#: in the order they run (cheap and independent of the tests first)
STEPS: dict[str, Step] = {
    "slither": static_analysis,
    "halmos": symbolic,
    "mutation": mutation,
    "forge-coverage": contract_coverage,
    "deep-fuzz": deep_fuzz,
    "gas": gas_snapshot,
    "pytest-cov": python_coverage,
}


def run(
    settings: Settings,
    names: Sequence[str],
    echo: Callable[[str], None],
    step_done: Callable[[list[Check]], None] | None = None,
) -> Summary:
    """Run the named steps; a step that fails adds a row saying so and the next one runs.
    `step_done` gets each step's rows as soon as it ends (so an interrupted audit keeps the
    figures of the steps it finished)."""
    summary = Summary()
    started = time.monotonic()
    times: list[str] = []
    for name in names:
        echo(f"audit: {name} ...")
        step_started = time.monotonic()
        before = len(summary.checks)
        try:
            STEPS[name](settings, summary)
        except (AuditOutputError, OSError, RuntimeError, ValueError) as exc:
            summary.add(Check(name, f"failed: {type(exc).__name__}: {exc}"[:300], "runs", False))
        took = report.duration(time.monotonic() - step_started)
        times.append(f"{name} {took}")
        echo(f"audit: {name} done in {took}")
        summary.add(Check(f"time: {name}", took))
        if step_done is not None:
            step_done(summary.checks[before:])
    if set(names) == set(STEPS):  # the whole audit: its wall time is a figure of its own
        total = report.duration(time.monotonic() - started)
        summary.add(Check("wall time", f"{total} ({', '.join(times)})"))
        if step_done is not None:
            step_done(summary.checks[-1:])
    return summary
