"""`crossbook bench ...`: gas figures against the committed snapshot, and where the gas goes."""

from __future__ import annotations

import click

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
