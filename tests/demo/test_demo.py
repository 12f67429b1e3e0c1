"""The README's run command, shortened: the whole exchange trades and settles on a devnet."""

import pytest

from crossbook.devnet.demo import run_demo

pytestmark = pytest.mark.devnet


def test_demo_wallets_trade_through_the_relayer():
    lines: list[str] = []
    summary = run_demo(lines.append, seconds=3)
    assert summary["accepted"] > 0
    assert summary["rejected"] == 0
    assert summary["fills"] > 0 and summary["batches"] > 0
    assert summary["filled"] + summary["open"] <= summary["accepted"]
    assert 20_000 < summary["gas_per_fill"] < 200_000
    assert any(line.startswith("  batch 1:") and "clearing price" in line for line in lines)
    assert lines[-1] == "relayer and devnet stopped"
