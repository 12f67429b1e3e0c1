"""docs/benchmarks.md: the writer produces a well-formed page from real measurements, each
command updates only its own rows, and the committed page reads back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crossbook.bench import gas
from crossbook.bench.page import (
    GAS,
    RELAYER_E2E,
    RELAYER_INGEST,
    SECTIONS,
    BenchPage,
    BenchPageError,
    read_rows,
)
from crossbook.bench.relayer import E2EFigures, IngestFigures, bench_matching

ROOT = Path(__file__).resolve().parents[2]
DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def check_well_formed(text: str) -> dict[str, list[tuple[str, ...]]]:
    """Every section once, in order, with its heading, markers and a table whose rows have
    the header's cells; returns the rows per section."""
    assert text.startswith("# Benchmarks\n")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == [s.title for s in SECTIONS]
    rows = {}
    for section in SECTIONS:
        assert text.count(section.start_marker) == 1 and text.count(section.end_marker) == 1
        assert text.index(section.start_marker) < text.index(section.end_marker)
        rows[section.key] = read_rows(text, section)
        for row in rows[section.key]:
            command, date, machine = row[-3:]
            assert command.startswith("`crossbook ") and command.endswith("`"), row
            assert DATE.fullmatch(date), row
            assert re.search(r", \d+ cores", machine), row
            assert re.search(
                r"; (quiet: |machine busy: |CPU use of other processes unknown)", machine
            ), row
    return rows


@pytest.mark.devnet
def test_gas_section_from_a_real_measurement(tmp_path: Path) -> None:
    page_path = tmp_path / "docs" / "benchmarks.md"
    page = BenchPage(page_path)  # as `--write-page` opens it: before the measurement
    measured = gas.measure(["erc20_transfer_warm", "settle_1_pair"])

    page.record_gas(measured)
    rows = check_well_formed(page_path.read_text())
    assert "CPU use of other processes unknown" not in rows["gas"][0][-1]

    by_name = {row[0]: row for row in rows["gas"]}
    assert set(by_name) == {"`erc20_transfer_warm`", "`settle_1_pair`"}
    pair = by_name["`settle_1_pair`"]
    assert pair[1] == gas.SCENARIOS["settle_1_pair"].description
    assert pair[2] == f"{measured['settle_1_pair']:,}"
    target = gas.SCENARIOS["settle_1_pair"].target
    assert target is not None
    met = measured["settle_1_pair"] <= target
    assert pair[3] == f"{target:,} " + ("(met)" if met else "(missed)")
    assert pair[4] == "`crossbook bench gas erc20_transfer_warm settle_1_pair`"
    assert rows["relayer-ingest"] == [] and rows["relayer-e2e"] == []

    # a later command writes its own section and keeps the gas rows as they were
    ingest = IngestFigures(
        "SQLite",
        1,
        100,
        50,
        [bench_matching(orders=2_000)],
        [(5_000.0, 180.0)],
        [(9_000.0, 90.0)],
        [(1.2, 4.5, 9.9)],
    )
    BenchPage(page_path).record(RELAYER_INGEST, ingest.rows(), "crossbook relayer bench")
    e2e = E2EFigures(1, None, 30_000_000, [1_500, 0, 1_600], 15_400.0)
    BenchPage(page_path).record(RELAYER_E2E, e2e.rows(), "crossbook relayer bench --e2e")
    after = check_well_formed(page_path.read_text())
    assert after["gas"] == rows["gas"]
    assert len(after["relayer-ingest"]) == 4 and len(after["relayer-e2e"]) == 3
    assert after["relayer-e2e"][1][1] == (
        "1,500 to 1,600 in a block with a settlement; 1 of 3 blocks without one"
    )

    # re-measuring one scenario replaces its row alone
    BenchPage(page_path).record_gas({"settle_1_pair": measured["settle_1_pair"] + 1})
    again = check_well_formed(page_path.read_text())
    assert {r[0]: r for r in again["gas"]}["`erc20_transfer_warm`"] == by_name[
        "`erc20_transfer_warm`"
    ]
    assert {r[0]: r for r in again["gas"]}["`settle_1_pair`"][2] == (
        f"{measured['settle_1_pair'] + 1:,}"
    )
    assert again["relayer-ingest"] == after["relayer-ingest"]


def test_a_table_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    page_path = tmp_path / "benchmarks.md"
    page_path.write_text(
        f"# Benchmarks\n\n{GAS.start_marker}\n| scenario | gas |\n|---|---|\n| `x` | 1 |\n"
        f"{GAS.end_marker}\n"
    )
    with pytest.raises(BenchPageError, match="columns"):
        BenchPage(page_path).record_gas({})


def test_committed_page_is_well_formed() -> None:
    rows = check_well_formed((ROOT / "docs" / "benchmarks.md").read_text())
    names = {row[0].strip("`") for row in rows["gas"]}
    assert names, "docs/benchmarks.md has no gas figures: run make bench"
    gas._load_scenario_modules()
    assert names <= set(gas.SCENARIOS), names - set(gas.SCENARIOS)
