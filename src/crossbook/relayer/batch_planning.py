"""Batch planning: which open orders go into the next batches, and how many fills one holds.

`BatchPlanner.cut` matches the open orders into crossing batches (one uniform clearing price
per market) and routes the orders that did not cross into our AMM pools and on-chain books;
each plan is stored as a planned batch. A batch is sized to the gas budget (`batch_max_gas`,
else 95% of a block) by a model of the gas per fill fitted to the recent simulations
(`gas_model`). `replan` re-matches a planned batch once its simulation has dropped orders or
found it too big.
"""

from __future__ import annotations

import logging

from web3 import Web3
from web3.contract import Contract

from crossbook.relayer.book_quotes import BookQuotes
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.gas_model import FillGasModel
from crossbook.relayer.matching import BatchPlan, BookOrder, match_all, match_market, still_crossing
from crossbook.relayer.routing import PoolQuotes, route_residual
from crossbook.relayer.rows import book_order

# the worker's one logger, whichever of its parts logs
log = logging.getLogger("crossbook.relayer.submitter")
#: Gas per fill assumed until a simulation has measured it (a fill from a cold wallet).
INITIAL_GAS_PER_FILL = 45_000


def even_fills(fills: int) -> int:
    """A fill limit for the matcher, rounded down to an even number (at least 2).

    The matcher takes at most half the limit from each side. With an odd limit one side gets
    an extra order, and filling it moves the clearing price off the price at which the
    pairs match exactly: every fill then goes through the contract (two token transfers)
    instead of paying its counterpart directly (one), which costs more gas per fill."""
    return max(2, fills - fills % 2)


def tokens_prices(plan: BatchPlan) -> tuple[list[str], list[int]]:
    """The plan's clearing prices as a batch stores them: tokens in address order."""
    tokens = sorted(plan.clearing_prices, key=lambda a: int(a, 16))
    return tokens, [plan.clearing_prices[t] for t in tokens]


class BatchPlanner:
    def __init__(self, ctx: RelayerContext, w3: Web3, settlement: Contract) -> None:
        self.ctx = ctx
        self.w3 = w3
        self.pools = PoolQuotes(w3, settlement)
        self.books = BookQuotes(w3, settlement)
        self.gas_model = FillGasModel(INITIAL_GAS_PER_FILL)  # fitted to the simulations
        self._block_gas_limit: int | None = None
        self._open_orders: dict[str, BookOrder] = {}  # the matcher's view, see open_book_orders

    # ------------------------------------------------------------ sizes

    def block_gas_limit(self) -> int:
        if self._block_gas_limit is None:
            self._block_gas_limit = int(self.w3.eth.get_block("latest")["gasLimit"])
        return self._block_gas_limit

    def gas_budget(self) -> int:
        """The most gas (as the receipt counts it) one settle transaction may use:
        `batch_max_gas`, else 95% of the block gas limit, and never more than a block holds;
        lower while the gas model's ceiling is (a recent batch needed more than a block's gas
        before its refunds). The simulation's figure is what the transaction will use (it
        carries its access list), so the margin covers state that changes in between."""
        return self.gas_model.ceiling(self.configured_budget())

    def configured_budget(self) -> int:
        """`batch_max_gas` (at most a block), else 95% of the block gas limit."""
        limit = self.block_gas_limit()
        if self.ctx.settings.batch_max_gas is not None:
            return min(self.ctx.settings.batch_max_gas, limit)
        return limit * 95 // 100

    def max_fills(self) -> int:
        """Fills per batch: `batch_max_fills`, and no more than the gas budget holds at the
        model's cheaper rate (a batch of dearer fills is trimmed once its kinds are known)."""
        by_gas = self.gas_model.max_fills(self.gas_budget())
        return even_fills(min(self.ctx.settings.batch_max_fills, by_gas))

    # ------------------------------------------------------------ plans

    def cut(self) -> list[int]:
        """Plan batches from the open orders and store them; returns their ids."""
        orders = self.ctx.store.orders.open_book_orders(self._open_orders)
        plans = []
        if len(orders) >= self.ctx.settings.batch_min_orders:
            plans = match_all(self.ctx.markets, orders, self.max_fills())
        routing = self.ctx.settings.route_pools or self.ctx.settings.route_books
        if routing and orders:  # one order alone may reach the pool or the book
            plans += self._routed_plans(orders, plans)
        ids = []
        for plan in plans:
            tokens, prices = tokens_prices(plan)
            batch_id = self.ctx.store.batches.create_batch(plan, tokens, prices)
            if batch_id is not None:
                ids.append(batch_id)
                log.info(
                    "batch %d planned: %s, %d fills at %s/%s%s",
                    batch_id,
                    plan.market.name,
                    len(plan.fills),
                    plan.price_num,
                    plan.price_den,
                    f", legs {list(plan.legs)}" if plan.legs else "",
                )
                self.ctx.metrics.inc("crossbook_relayer_batches_total", "batches", status="planned")
        return ids

    def _routed_plans(self, orders: list[BookOrder], crossing: list[BatchPlan]) -> list[BatchPlan]:
        """A batch per market for the orders that did not cross but whose limits reach our
        AMM pool's or on-chain book's price (`routing.route_residual`), each with its own
        uniform price."""
        taken = {f.order.uid for plan in crossing for f in plan.fills}
        residual = [o for o in orders if o.uid not in taken]
        matched = {plan.market.name for plan in crossing}
        plans = []
        for market in self.ctx.markets:
            pair = (market.base, market.quote)
            mine = [o for o in residual if o.sell_token in pair and o.buy_token in pair]
            if not mine or (market.name in matched and still_crossing(market, mine)):
                # a crossing batch at its size limit left crossing orders behind: they are the
                # next batch's, at a price without a pool's or book's fee
                continue
            settings = self.ctx.settings
            pool = self.pools.quote(market) if settings.route_pools else None
            book = self.books.quote(market) if settings.route_books else None
            if pool is None and book is None:
                continue
            plan = route_residual(market, mine, self.max_fills(), pool=pool, book=book)
            if plan is not None:
                plans.append(plan)
        return plans

    def replan(self, batch_id: int, dropped: dict[str, str], max_fills: int | None = None) -> bool:
        """Re-match the batch without `dropped` (and in at most `max_fills` fills); False if
        nothing crosses any more (the batch is then failed, with `dropped` invalid and the
        rest open again)."""
        store = self.ctx.store
        rows = [row for row, _ in store.batches.batch_fills(batch_id)]
        remaining = [book_order(r) for r in rows if r["uid"] not in dropped]
        market = next((m for m in self.ctx.markets if rows and m.name == rows[0]["market"]), None)
        plan = (
            match_market(market, remaining, max_fills or self.max_fills())
            if market is not None and remaining
            else None
        )
        if plan is None:
            store.batches.fail_batch(
                batch_id, "nothing crosses after dropping", invalid=dropped, penalise=False
            )
            return False
        tokens, prices = tokens_prices(plan)
        store.batches.replan_batch(batch_id, plan, tokens, prices, dropped)
        return True
