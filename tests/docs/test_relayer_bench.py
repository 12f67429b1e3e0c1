"""`crossbook relayer bench` against a real relayer process on a devnet: every order it sends
is accepted (the bench fails on any other answer), its figures are sane, and it records its
rows on a page without touching the other sections. Small sizes: this checks the benchmark,
not the relayer's speed (that is `make bench`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crossbook.bench.page import GAS, RELAYER_E2E, read_rows
from crossbook.cli import main
from tests.docs.test_benchmarks_page import check_well_formed


@pytest.mark.devnet
def test_ingest_bench_sends_real_orders_and_records_its_rows(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "benchmarks.md"
    args = ["relayer", "bench", "--orders", "150", "--rate-orders", "40", "--write-page", page]
    result = CliRunner(mix_stderr=False).invoke(main, [str(a) for a in args])
    output = result.stdout + result.stderr
    assert result.exit_code == 0, output
    # one figure per kind, each from what was measured
    single = re.search(r"one order per POST \(32 connections\): ([\d,]+) orders/s", output)
    batched = re.search(r"100 orders per POST \(4 connections\): ([\d,]+) orders/s", output)
    latency = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms", output)
    assert single and batched and latency, output
    assert int(single[1].replace(",", "")) > 0 and int(batched[1].replace(",", "")) > 0
    p50, p99, top = (float(latency[i]) for i in (1, 2, 3))
    assert 0 < p50 <= p99 <= top
    rows = check_well_formed(page.read_text())
    ingest = rows["relayer-ingest"]
    assert len(ingest) == 4 and ingest[0][0].startswith("matching")
    assert ingest[0][-3] == "`crossbook relayer bench --orders 150 --rate-orders 40`"
    assert read_rows(page.read_text(), GAS) == [] and read_rows(page.read_text(), RELAYER_E2E) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--orders", "0"],
        ["--rate-orders", "0"],
        ["--workers", "0"],
        ["--rounds", "0"],
        ["--e2e", "--seconds", "0"],
        ["--e2e", "--fills-per-batch", "0"],
    ],
)
def test_sizes_that_cannot_be_measured_are_refused(args: list[str]) -> None:
    result = CliRunner(mix_stderr=False).invoke(main, ["relayer", "bench", *args])
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Invalid value for" in result.stderr and "Traceback" not in result.stderr
