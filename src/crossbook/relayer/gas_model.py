"""`FillGasModel`: the gas a settle batch will use, from its fills, before it is simulated.

Two kinds of fill cost different gas: a *direct* trade's sold tokens go straight to its
counterpart's wallet (one token transfer; `Batch.direct_trades`), any other trade's go through
the contract (a pull and a payout), which costs more. A crossing batch whose clearing price
makes its pairs match exactly is nearly all direct; one at another price nearly all through
the contract. Sized from the last batch's gas per fill alone, the first batch after a price
change would come out over the budget (a re-plan and a second simulation) and the next one
under it (part of a block left empty).

The model fits one rate per kind by least squares to the recent simulations, whose gas is
what the receipt will say: the transaction carries the access list its simulation generated
(`relayer.access_list`). Until both kinds have been seen in different proportions, the
pooled rate stands for both.

That figure is after refunds. A batch in which the same wallets' balances go up and down
earns refunds (up to a fifth of its gas), but its execution needs the gas before them, and a
transaction cannot have more than a block's. So the model also keeps a `ceiling`, the gas
(after refunds) a batch is planned to: a batch that ran out of a block's gas although its gas
after refunds was within one lowers it to 4% below that gas, and every batch that fits raises
it by 0.25%, back towards the budget.
"""

from __future__ import annotations

from collections import deque

#: gas of a batch beyond its fills: the 21,000 intrinsic gas, the relayer allow-list and pause
#: reads, each token's first touch and the per-token conservation check
BATCH_OVERHEAD = 50_000


class FillGasModel:
    def __init__(self, initial_per_fill: float, window: int = 16) -> None:
        self.initial = float(initial_per_fill)
        self._seen: deque[tuple[int, int, float]] = deque(maxlen=window)
        self._ceiling: float | None = None  # None: no batch has run out of gas yet

    def ceiling(self, budget: int) -> int:
        """What a batch may be planned to: the budget, or less after an out-of-gas."""
        return budget if self._ceiling is None else int(min(budget, self._ceiling))

    def ran_out_of_gas(self, gas: int) -> None:
        """A batch that uses `gas` after its refunds needed more than a block before them."""
        self._ceiling = gas * 0.96

    def fitted(self, budget: int) -> None:
        """A batch fitted: let the ceiling rise towards the budget again."""
        if self._ceiling is not None:
            self._ceiling = self._ceiling * 1.0025 if self._ceiling * 1.0025 < budget else None

    def observe(self, direct: int, other: int, gas: int) -> None:
        """A simulated (or mined) batch without legs: `direct` and `other` fills, `gas`."""
        if direct + other > 0:
            self._seen.append((direct, other, float(max(gas - BATCH_OVERHEAD, 1))))

    def rates(self) -> tuple[float, float]:
        """(gas per direct fill, gas per other fill)."""
        if not self._seen:
            return self.initial, self.initial
        dd = do = oo = dy = oy = 0.0
        for d, o, y in self._seen:
            dd, do, oo, dy, oy = dd + d * d, do + d * o, oo + o * o, dy + d * y, oy + o * y
        det = dd * oo - do * do
        if det > 1e-6 * dd * oo:  # both kinds seen, in different proportions
            direct, other = (dy * oo - oy * do) / det, (oy * dd - dy * do) / det
            if direct > 0 and other > 0:
                return direct, other
        pooled = sum(y for _, _, y in self._seen) / sum(d + o for d, o, _ in self._seen)
        return pooled, pooled

    def predict(self, direct: int, other: int) -> int:
        rate_direct, rate_other = self.rates()
        return int(BATCH_OVERHEAD + direct * rate_direct + other * rate_other)

    def max_fills(self, budget: int) -> int:
        """The most fills `budget` can hold: at the cheaper rate (a batch of dearer fills is
        trimmed to `fills_within` once its kinds are known)."""
        return max(0, int((budget - BATCH_OVERHEAD) / min(self.rates())))

    def fills_within(self, budget: int, direct: int, other: int, gas: int | None = None) -> int:
        """How many fills of this batch's mix fit `budget`, from its `gas` if it was simulated,
        else from the model."""
        fills = direct + other
        spent = (gas if gas is not None else self.predict(direct, other)) - BATCH_OVERHEAD
        per_fill = max(spent / max(fills, 1), 1.0)
        return max(0, int((budget - BATCH_OVERHEAD) / per_fill))
