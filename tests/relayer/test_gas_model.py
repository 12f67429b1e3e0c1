"""The submitter's batch sizing (`gas_model.FillGasModel`) and the access list it sends
(`crossbook.relayer.access_list.worthwhile`): pure, no chain."""

from __future__ import annotations

import pytest

from crossbook.relayer.access_list import worthwhile
from crossbook.relayer.gas_model import BATCH_OVERHEAD, FillGasModel

DIRECT, OTHER = 15_300, 18_200


def _gas(direct: int, other: int) -> int:
    return BATCH_OVERHEAD + direct * DIRECT + other * OTHER


def test_rates_start_at_the_initial_guess() -> None:
    model = FillGasModel(45_000)
    assert model.rates() == (45_000, 45_000)
    assert model.max_fills(BATCH_OVERHEAD + 450_000) == 10


def test_one_kind_seen_gives_the_pooled_rate_for_both() -> None:
    model = FillGasModel(45_000)
    model.observe(1_000, 0, _gas(1_000, 0))
    model.observe(1_200, 0, _gas(1_200, 0))
    assert model.rates() == pytest.approx((DIRECT, DIRECT))


@pytest.mark.parametrize(
    "batches",
    [
        [(1_000, 0), (0, 800)],  # a pure batch of each kind
        [(900, 100), (300, 700), (1_000, 20)],  # mixed batches only
    ],
)
def test_both_rates_are_recovered_from_batches_of_different_mixes(
    batches: list[tuple[int, int]],
) -> None:
    model = FillGasModel(45_000)
    for direct, other in batches:
        model.observe(direct, other, _gas(direct, other))
    assert model.rates() == pytest.approx((DIRECT, OTHER))
    assert model.predict(500, 500) == pytest.approx(_gas(500, 500), abs=2)


def test_the_cut_assumes_the_cheaper_fill_and_a_dearer_mix_is_trimmed_to_fit() -> None:
    model = FillGasModel(45_000)
    model.observe(1_000, 0, _gas(1_000, 0))
    model.observe(0, 1_000, _gas(0, 1_000))
    budget = 28_500_000
    cut = model.max_fills(budget)
    assert cut == (budget - BATCH_OVERHEAD) // DIRECT
    fit = model.fills_within(budget, 0, cut)  # the cut came out as dearer fills
    assert model.predict(0, fit) <= budget < model.predict(0, fit + 1)
    # from a simulation's own figure: the same answer without the model
    assert FillGasModel(1).fills_within(budget, 0, cut, gas=_gas(0, cut)) == fit


def test_the_ceiling_drops_below_a_batch_that_ran_out_of_gas_and_rises_back() -> None:
    model = FillGasModel(45_000)
    budget = 28_500_000
    assert model.ceiling(budget) == budget
    model.ran_out_of_gas(25_000_000)  # fitted a block after refunds, not before them
    assert model.ceiling(budget) == 24_000_000
    model.fitted(budget)
    assert model.ceiling(budget) == pytest.approx(24_060_000, abs=1)
    for _ in range(100):
        model.fitted(budget)
    assert model.ceiling(budget) == budget


SENDER = "0x" + "aa" * 20
SETTLEMENT = "0x" + "bb" * 20
TOKEN = "0x" + "cc" * 20


def _keys(n: int) -> list[str]:
    return ["0x" + i.to_bytes(32, "big").hex() for i in range(n)]


def test_worthwhile_keeps_the_accounts_that_pay_for_their_entry() -> None:
    generated = [
        {"address": SETTLEMENT, "storageKeys": _keys(24)},  # warm: 24 x 100 < 2,400
        {"address": TOKEN, "storageKeys": _keys(1)},  # cold: it and its slot save 100 each
        {"address": SENDER, "storageKeys": []},
        {"address": "0x" + "00" * 19 + "01", "storageKeys": []},  # ecrecover, a precompile
    ]
    kept = worthwhile(generated, to=SETTLEMENT, sender=SENDER)
    assert kept == [{"address": TOKEN, "storageKeys": _keys(1)}]


def test_worthwhile_keeps_a_warm_account_with_enough_slots() -> None:
    generated = [{"address": SETTLEMENT.upper().replace("0X", "0x"), "storageKeys": _keys(25)}]
    assert worthwhile(generated, to=SETTLEMENT, sender=SENDER) == generated
