"""crossbook.audit.report reads the tools' real outputs (captured in `fixtures/`) into the
figures of the summary, and the summary lands in the audit section of the benchmarks page."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossbook.audit import report
from crossbook.audit.mutants import (
    DECLARATION,
    Campaign,
    Mutant,
    Outcome,
    assembly_blocks,
    forge_reported_failure,
    sample,
    spread,
    yul_mutants,
)
from crossbook.audit.report import AuditOutputError, Check, Summary
from crossbook.bench.page import AUDIT, BenchPage, read_rows

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_lcov_counts_lines_and_branches_of_contracts_only() -> None:
    coverage = report.parse_lcov(fixture("forge-coverage.lcov"), exclude=("contracts/test/",))
    paths = [f.path for f in coverage.files]
    assert paths and all(p.startswith("contracts/") for p in paths)
    assert not any(p.startswith("contracts/test/") for p in paths)
    pool_math = next(f for f in coverage.files if f.path == "contracts/libraries/PoolMath.sol")
    assert pool_math.lines > 0 and pool_math.branches > 0
    assert pool_math.lines_hit == pool_math.lines - len(pool_math.uncovered)
    assert coverage.lines == sum(f.lines for f in coverage.files)
    assert 0 < coverage.line_share <= 1 and 0 < coverage.branch_share <= 1


def test_lcov_line_records_are_read_exactly() -> None:
    text = "\n".join(
        [
            "TN:",
            "SF:contracts/A.sol",
            "DA:3,1",
            "DA:4,0",
            "DA:5,0",
            "DA:9,2",
            "BRDA:3,0,0,1",
            "BRDA:3,0,1,-",
            "end_of_record",
            "SF:contracts/test/Mock.sol",
            "DA:1,0",
            "end_of_record",
        ]
    )
    coverage = report.parse_lcov(text, exclude=("contracts/test/",))
    (only,) = coverage.files
    assert (only.lines, only.lines_hit, only.branches, only.branches_hit) == (4, 2, 2, 1)
    assert report.uncovered_listing(coverage) == ["contracts/A.sol: 4-5"]


def test_lcov_without_contracts_is_refused() -> None:
    with pytest.raises(AuditOutputError, match="no coverage record"):
        report.parse_lcov("SF:tests/foundry/X.t.sol\nDA:1,1\nend_of_record\n")


def test_coverage_py_json() -> None:
    coverage = report.parse_coverage_json(fixture("coverage.json"))
    assert coverage.files and all(f.path.startswith("src/crossbook/") for f in coverage.files)
    assert coverage.branches == 0
    first = coverage.files[0]
    assert first.lines_hit == first.lines - len(first.uncovered)
    with pytest.raises(AuditOutputError):
        report.parse_coverage_json("{}")


def test_forge_test_json_gives_runs_per_invariant_and_fuzz_test() -> None:
    runs = report.parse_forge_test_json(fixture("forge-test.json"))
    assert runs.invariants == {
        "PoolInvariantsTest.invariant_kNeverDecreasesAcrossASwap": 20,
        "PoolInvariantsTest.invariant_lpShareValueNeverFalls": 20,
        "PoolInvariantsTest.invariant_minimumLiquidityStaysLocked": 20,
        "PoolInvariantsTest.invariant_reservesNeverExceedBalances": 20,
    }
    assert set(runs.calls.values()) == {1280}
    assert set(runs.fuzz.values()) == {256} and len(runs.fuzz) == 2
    assert runs.failed == ()
    goal = report.fuzz_checks(runs, 10_000)
    assert goal[0].met is False and goal[1].met is True
    assert report.fuzz_checks(runs, 20)[0].met is True


def test_forge_test_json_followed_by_failure_events() -> None:
    """forge prints an invariant's failure as an event line after the report (as the first
    complete audit run met); the report is read, the events do not break it."""
    event = (
        '{"timestamp":1796594016,"event":"failure","invariant":"invariant_callSummary",'
        '"target":"tests/foundry/settlement/SettlementInvariants.t.sol:SettlementInvariantsTest",'
        '"reason":"no fill in the whole run: 0 <= 0"}'
    )
    text = fixture("forge-test.json").rstrip() + "\n" + event + "\n" + event + "\n"
    assert report.parse_forge_test_json(text) == report.parse_forge_test_json(
        fixture("forge-test.json")
    )


def test_forge_test_json_after_warnings_on_stdout() -> None:
    runs = report.parse_forge_test_json("Compiling 3 files\n" + fixture("forge-test.json"))
    assert len(runs.invariants) == 4
    with pytest.raises(AuditOutputError):
        report.parse_forge_test_json("Error: compilation failed")


def test_halmos_json_splits_proven_from_not_proven() -> None:
    # A real run in which one check timed out: a timeout is not a proof.
    results = report.parse_halmos_json(fixture("halmos.json"))
    assert results.passed == (
        "NonceLibSymbolic.check_spendInvalidateSpend",
        "NonceLibSymbolic.check_spendTwice",
    )
    assert results.failed == ("NonceLibSymbolic.check_raiseFloor",)
    check = report.symbolic_check(results)
    assert (check.figure, check.met) == ("2/3 proven within bounds", False)


def test_slither_json_counts_every_level() -> None:
    findings = report.parse_slither_json(fixture("slither.json"))
    assert set(report.SLITHER_LEVELS) <= set(findings.by_level)
    assert sum(findings.by_level.values()) == sum(findings.by_detector.values()) > 0
    check = report.static_check(findings)
    assert check.figure.startswith("High 0, Medium 0, Low ")
    assert check.met is True
    with pytest.raises(AuditOutputError, match="did not finish"):
        report.parse_slither_json('{"success": false, "error": "compile", "results": {}}')


def test_summary_table_and_page_rows(tmp_path: Path) -> None:
    summary = Summary()
    summary.add(Check("forge coverage contracts/: lines", "96.0% (960/1,000)", ">= 95%", True))
    summary.add(Check("mutation: core contracts", "score 70.0%", ">= 80%", False))
    summary.add(Check("wall time", "41m3s"))
    table = summary.table().splitlines()
    assert table[0].split() == ["check", "figure", "goal"]
    assert set(table[1]) <= {"-", " "}
    assert table[2].endswith("met") and table[3].endswith("MISSED")
    assert not summary.all_met

    page_path = tmp_path / "benchmarks.md"
    BenchPage(page_path).record_audit(summary.page_rows(), "crossbook bench audit")
    rows = read_rows(page_path.read_text(), AUDIT)
    assert [r[:3] for r in rows] == [
        ("forge coverage contracts/: lines", "96.0% (960/1,000)", ">= 95% (met)"),
        ("mutation: core contracts", "score 70.0%", ">= 80% (missed)"),
        ("wall time", "41m3s", "-"),
    ]
    assert rows[0][3] == "`crossbook bench audit`"


def test_line_ranges_and_durations() -> None:
    assert report.line_ranges([7, 1, 2, 3, 9, 10]) == "1-3, 7, 9-10"
    assert report.duration(59.6) == "1m0s"
    assert report.duration(3 * 3600 + 65) == "3h1m5s"


def test_mutants_are_spread_over_the_file() -> None:
    mutants = [
        Mutant("contracts/X.sol", "ROR", line, line, line + 1, "<", ">") for line in range(10)
    ]
    assert [m.line for m in spread(mutants, 3)] == [1, 5, 8]
    assert [m.line for m in spread(mutants, 1)] == [5]  # the middle one, not the first
    assert spread(mutants, 20) == mutants and spread(mutants, 0) == []
    assert mutants[0].describe() == "contracts/X.sol:0 [ROR] `<` -> `>`"


def test_a_sample_takes_every_mutator_in_turn_and_spreads_each() -> None:
    mutants = [
        Mutant("contracts/X.sol", name, i, i, i + 1, "<", ">")
        for i, name in enumerate(["ROR"] * 6 + ["AOR"] * 3 + ["RR"])
    ]
    chosen = sample(mutants, 5, ("ROR", "AOR", "YOR", "RR"))
    assert [(m.mutator, m.line) for m in chosen] == [
        ("ROR", 1),
        ("ROR", 4),
        ("AOR", 6),
        ("AOR", 8),
        ("RR", 9),
    ]
    assert sample(mutants, 5, ("ROR", "AOR", "YOR", "RR")) == chosen  # deterministic
    # The next file starts where this one's turn ended: AOR, (no YOR), RR.
    later = sample(mutants, 2, ("ROR", "AOR", "YOR", "RR"), turn=1)
    assert [(m.mutator, m.line) for m in later] == [("AOR", 7), ("RR", 9)]
    assert len(sample(mutants, 50, ("ROR", "AOR", "RR"))) == len(mutants)


def test_inline_assembly_is_mutated_inside_its_block_only() -> None:
    source = (
        b"function f(uint256 a) pure returns (uint256 r) {\n"
        b"    r = add(a, 1);\n"
        b'    assembly ("memory-safe") {\n'
        b"        if lt(a, 2) { r := add(a, shl(1, a)) }\n"
        b"    }\n"
        b"}\n"
    )
    found = yul_mutants("contracts/X.sol", source)
    assert [(m.line, m.old, m.new) for m in found] == [
        (4, "lt", "gt"),
        (4, "add", "sub"),
        (4, "shl", "shr"),
    ]
    patched = source[: found[0].start] + found[0].new.encode() + source[found[0].end :]
    assert b"if gt(a, 2)" in patched


def test_comments_and_strings_are_not_mutated_nor_open_an_assembly_block() -> None:
    source = (
        b"/// The inline assembly below {reads} `add(a, b)`.\n"
        b"function add(uint256 a) pure returns (uint256 r) {\n"
        b'    /* assembly { */ r = bytes("assembly {").length;\n'
        b'    assembly { // sub(a, 1) would underflow: "}"\n'
        b"        r := mul(a, 2) /* or(a, 1) */\n"
        b"    }\n"
        b"}\n"
    )
    found = yul_mutants("contracts/X.sol", source)
    assert [(m.line, m.old, m.new) for m in found] == [(5, "mul", "div")]
    block = source.index(b"    assembly { //") + 4
    closing = source.rindex(b"}\n}")
    assert assembly_blocks(source) == [(block, block + len(b"assembly {"), closing + 1)]


def test_mutants_that_do_not_compile_are_not_in_the_score() -> None:
    def outcome(status: str) -> Outcome:
        return Outcome(Mutant("contracts/X.sol", "AOR", 1, 0, 1, "+", "-"), status, 1.0)

    statuses = ["killed", "killed", "killed", "survived", "no-compile", "no-compile", "not-run"]
    campaign = Campaign(tuple(outcome(s) for s in statuses))
    assert campaign.score == 0.75
    assert len(campaign.survivors) == 1


def test_a_failing_forge_run_is_seen_in_its_report() -> None:
    # What forge 1.7 printed for a killed mutant with --fail-fast, exit code 0.
    killed = (
        "Ran 2 tests for tests/foundry/amm/Attacks.t.sol:AttacksTest\n"
        "[FAIL: ZeroAmount()] test_donation_existingLpGainsNewcomerPaysFair() (gas: 221176)\n"
        "Suite result: FAILED. 1 passed; 1 failed; 0 skipped; finished in 1.73ms\n"
    )
    passed = "Suite result: ok. 4 passed; 0 failed; 0 skipped; finished in 13.46s\n"
    assert forge_reported_failure(killed) and not forge_reported_failure(passed)


def test_declarations_are_not_replaced_by_revert() -> None:
    # `revert()` in place of a declaration never compiles (the variable is used later).
    assert DECLARATION.match("uint256 w = q.level")
    assert DECLARATION.match("(address t0, address t1, uint16 fee_) = f.parameters()")
    assert DECLARATION.match("LevelDepth[] memory out = x")
    assert not DECLARATION.match("out = new LevelDepth[](levels)")
    assert not DECLARATION.match("_balances[owner][token] += amount")
