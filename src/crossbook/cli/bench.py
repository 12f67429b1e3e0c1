"""`crossbook bench ...`: gas figures against the committed snapshot, where the gas goes, and
the audit's figures (`make audit`)."""

from __future__ import annotations

import click
from click.core import ParameterSource

from crossbook.audit.report import Check
from crossbook.audit.steps import STEPS as AUDIT_STEPS
from crossbook.bench.page import BenchPage, write_page_option
from crossbook.cli.common import needs


@click.group()
def bench() -> None:
    """Benchmarks."""


@bench.command("gas-profile")
@click.argument("scenario", type=click.Choice(["settle-wallet", "settle-internal"]))
@needs(checkout=True)
def bench_gas_profile(scenario: str) -> None:
    """Split the gas of a settle scenario's measured batch by opcode class (step traces)."""
    from crossbook.bench.gas_profile import format_profile, profile_settlement

    profile = profile_settlement(internal=scenario == "settle-internal")
    click.echo(format_profile(profile, per=100))


@bench.command("gas")
@click.argument("scenarios", nargs=-1)
@click.option("--update", is_flag=True, help="Write the figures to snapshots/gas.json.")
@click.option("--check", is_flag=True, help="Exit 1 if any figure differs from the snapshot.")
@write_page_option
@needs(checkout=True)
def bench_gas(
    scenarios: tuple[str, ...], update: bool, check: bool, write_page: BenchPage | None
) -> None:
    """Measure gas scenarios on a fresh Anvil and print them against snapshots/gas.json."""
    from crossbook.bench import gas

    snapshot = gas.read_snapshot()
    measured = gas.measure(scenarios or None)
    click.echo(gas.format_table(gas.compare(measured, snapshot)))
    if write_page:
        click.echo(f"wrote {write_page.record_gas(measured)}")
    if update:
        path = gas.write_snapshot({**snapshot, **measured})
        click.echo(f"wrote {path}")
    elif check:
        drifted = [n for n, g in measured.items() if snapshot.get(n) != g]
        if drifted:
            raise gas.GasSnapshotError(f"gas differs from the snapshot: {', '.join(drifted)}")


@bench.command("page")
@click.option(
    "--loads",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Cold loads of the page timed.",
)
@click.option(
    "--fills",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Crossing pairs whose fill is timed to the page.",
)
@write_page_option
@needs(checkout=True, extra="relayer")
def bench_page(loads: int, fills: int, write_page: BenchPage | None) -> None:
    """The trading page in Chromium: JS+CSS gzipped, time to a usable page, and the delay from
    a batch's receipt to the page showing the fill (a devnet and the relayer on localhost)."""
    from crossbook.bench.web import run_page_bench

    run_page_bench(click.echo, loads=loads, fills=fills, page=write_page)


@bench.command("audit")
@click.option(
    "--step",
    "steps",
    multiple=True,
    type=click.Choice(list(AUDIT_STEPS)),
    help="Run only this step (repeatable); default: all, in the order listed here.",
)
@click.option(
    "--mutants",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Mutants tried per core contract (the mutators take turns, each spread over the file).",
)
@click.option(
    "--mutation-minutes",
    type=click.FloatRange(min=0),
    default=28.0,
    show_default=True,
    help="No new mutant is started after this (the rest count as not run).",
)
@click.option(
    "--mutation-jobs",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Mutants judged side by side, each in its own scratch copy (a compile keeps a core busy).",
)
@click.option("--invariant-runs", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option(
    "--invariant-depth",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Calls per invariant run: 10,000 runs of 8 calls keep the deep fuzz near 10 minutes.",
)
@click.option(
    "--fuzz-runs",
    type=click.IntRange(min=1),
    default=None,
    help="Runs per fuzz test [default: the deep profile's].",
)
@click.option(
    "--pytest-path",
    "pytest_paths",
    multiple=True,
    help="What pytest-cov runs (repeatable; default: the whole `tests` suite).",
)
@write_page_option
@needs(checkout=True)
def bench_audit(
    steps: tuple[str, ...],
    mutants: int,
    mutation_minutes: float,
    mutation_jobs: int,
    invariant_runs: int,
    invariant_depth: int,
    fuzz_runs: int | None,
    pytest_paths: tuple[str, ...],
    write_page: BenchPage | None,
) -> None:
    """Coverage, mutation score, halmos proofs, deep fuzz, slither at every level and the gas
    snapshot, in one summary table (exit 1 if a goal is missed). Expects `make build` and a
    fresh full compile for the gas step (`make audit` does both)."""
    from crossbook.audit import steps as audit
    from crossbook.paths import project_root

    settings = audit.Settings(
        root=project_root(),
        mutants_per_contract=mutants,
        mutation_minutes=mutation_minutes,
        mutation_jobs=mutation_jobs,
        invariant_runs=invariant_runs,
        invariant_depth=invariant_depth,
        fuzz_runs=fuzz_runs,
        pytest_paths=pytest_paths or ("tests",),
    )
    from crossbook.audit.report import page_rows

    page = write_page
    # The page says how the figures were measured: every option given, not only the steps.
    ctx = click.get_current_context()
    command = "crossbook bench audit"
    for param in ctx.command.params:
        name = param.name or ""
        if name == "write_page" or ctx.get_parameter_source(name) is ParameterSource.DEFAULT:
            continue
        value = ctx.params[name]
        for v in value if isinstance(value, tuple) else (value,):
            command += f" {param.opts[0]} {v}"

    def record(checks: list[Check]) -> None:
        if page is not None and checks:
            click.echo(f"wrote {page.record_audit(page_rows(checks), command)}")

    summary = audit.run(settings, steps or list(AUDIT_STEPS), click.echo, record)
    click.echo("")
    click.echo(summary.table())
    for detail in summary.details:
        click.echo(detail)
    if not summary.all_met:
        raise click.exceptions.Exit(1)
