"""`crossbook bench gas`: a scenario measured on a fresh Anvil against snapshots/gas.json, and
the mistakes (an unknown scenario, a broken snapshot file) as one-line errors."""

import json

import pytest
from click.testing import CliRunner

from crossbook.bench import gas
from crossbook.cli import main

pytestmark = pytest.mark.devnet
SCENARIO = "erc20_transfer_warm"


def test_one_scenario_is_measured_and_checked_against_the_snapshot():
    result = CliRunner(mix_stderr=False).invoke(main, ["bench", "gas", SCENARIO, "--check"])
    assert result.exit_code == 0, result.stdout + result.stderr
    header, rule, row = result.stdout.strip().splitlines()
    assert header.split() == ["scenario", "measured", "snapshot", "drift", "target", "ok"]
    assert set(rule) == {"-"}
    snapshot = gas.read_snapshot()[SCENARIO]
    assert row.split()[:4] == [SCENARIO, f"{snapshot:,}", f"{snapshot:,}", "+0"]


def test_an_unknown_scenario_is_one_line():
    result = CliRunner(mix_stderr=False).invoke(main, ["bench", "gas", "no_such_scenario"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: GasSnapshotError: unknown gas scenario(s): no_such_scenario"
    )


def test_snapshot_files(tmp_path):
    path = tmp_path / "snapshots" / "gas.json"
    assert gas.read_snapshot(path) == {}
    assert gas.write_snapshot({"b": 2, "a": 1}, path) == path
    assert path.read_text() == '{\n  "a": 1,\n  "b": 2\n}\n'
    assert gas.read_snapshot(path) == {"a": 1, "b": 2}
    path.write_text("{not json")
    with pytest.raises(gas.GasSnapshotError, match="is not valid JSON"):
        gas.read_snapshot(path)
    path.write_text(json.dumps({"a": "21000"}))
    with pytest.raises(gas.GasSnapshotError, match="must map scenario names to integer"):
        gas.read_snapshot(path)
