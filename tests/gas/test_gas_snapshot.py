"""Every gas scenario, measured on Anvil, equals the committed snapshots/gas.json figure."""

import pytest

from crossbook.bench import gas

pytestmark = pytest.mark.devnet


@pytest.fixture(scope="module")
def measured():
    return gas.measure()


def test_every_scenario_has_a_snapshot(measured):
    snapshot = gas.read_snapshot()
    missing = sorted(set(measured) - set(snapshot))
    assert not missing, f"scenarios without a committed figure (run `make bench-update`): {missing}"


def test_measured_gas_equals_snapshot(measured):
    snapshot = gas.read_snapshot()
    drift = {
        name: (snapshot.get(name), figure)
        for name, figure in measured.items()
        if snapshot.get(name) != figure
    }
    assert not drift, f"gas drifted from snapshots/gas.json (snapshot, measured): {drift}"


def test_snapshot_has_no_stale_scenarios(measured):
    stale = sorted(set(gas.read_snapshot()) - set(measured))
    assert not stale, f"snapshots/gas.json names scenarios that no longer exist: {stale}"
