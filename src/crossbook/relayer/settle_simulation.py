"""Simulating a planned batch's settle call until it will settle within the gas budget.

One execution (`eth_createAccessList`) against the pending state, so it sees the batches
still in flight, gives the gas the transaction will use and the access list it carries. An
order that makes the call revert is dropped (the revert's custom error names its uid, or a
fresh read of balances and allowances finds the owner who moved their funds) and the rest
re-matched; a batch over the gas budget, or one that runs out of a block's gas, is trimmed
(`BatchPlanner.replan`) and simulated again.

The revert decoding is the three functions under "revert decoding" below: the settlement
contract's error table, the revert data of a failed call, and the custom error it encodes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.types import RPCEndpoint

from crossbook.chain import contract_at, decode_revert, revert_data
from crossbook.order import Order
from crossbook.relayer.access_list import AccessList, worthwhile
from crossbook.relayer.batch_planning import BatchPlanner, even_fills
from crossbook.relayer.calldata import Encoder
from crossbook.relayer.chain import ChainReadError
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.matching import PlannedBookLeg, PlannedLeg
from crossbook.relayer.rows import OrderRecord, legs_of, row_order
from crossbook.settlement import BookLeg, Fill, PoolLeg, build_batch
from crossbook.signing import SigningScheme

# the worker's one logger, whichever of its parts logs
log = logging.getLogger("crossbook.relayer.submitter")

#: a batch with fewer fills does not size the next batches (its fixed costs would distort)
_LEARN_MIN_FILLS = 20
#: a batch is trimmed before its simulation at most this often on the model's word alone
_PREDICTED_TRIMS = 2

#: reverts that refuse every batch, whatever its orders: the settlement contract is paused, or
#: the relayer's account is not (or no longer) allow-listed. A batch that meets one fails
#: without counting against its orders, which stay open until the operator clears it.
REFUSES_EVERY_BATCH = frozenset({"SettlementPaused", "NotRelayer"})


class SimulationOutOfGas(Exception):
    """The simulated settle call ran out of gas: the batch is more than a block holds."""


# ------------------------------------------------------------ simulation


@dataclass(frozen=True)
class SimulatedBatch:
    """A batch ready to sign: its settle call, the gas it uses and the access list to send."""

    call: dict[str, Any]
    gas: int
    access_list: AccessList


def _settlement_leg(leg: PlannedLeg | PlannedBookLeg) -> PoolLeg | BookLeg:
    """A planned leg as `build_batch` encodes it; a book leg takes exactly its lots
    (`minTakeLots == maxLots`)."""
    if isinstance(leg, PlannedLeg):
        return PoolLeg(leg.token_in, leg.token_out, leg.fee, leg.amount_in, leg.min_amount_out)
    return BookLeg(
        leg.base,
        leg.quote,
        leg.tick_size,
        leg.lot_size,
        leg.min_lots,
        leg.side,
        leg.limit_tick,
        leg.lots,
        leg.lots,
        leg.max_steps,
    )


class SettleSimulator:
    def __init__(
        self,
        ctx: RelayerContext,
        w3: Web3,
        settlement: Contract,
        sender: str,
        planner: BatchPlanner,
    ) -> None:
        self.ctx = ctx
        self.w3 = w3
        self.settlement = settlement
        self.sender = sender
        self.planner = planner
        self.books = planner.books
        settle_abi = next(i for i in settlement.abi if i.get("name") == "settle")
        self._settle_encoder = Encoder(get_abi_input_types(settle_abi))
        self._settle_selector = function_abi_to_4byte_selector(settle_abi)
        legs_abi = next(i for i in settlement.abi if i.get("name") == "settleWithLiquidity")
        self._legs_encoder = Encoder(get_abi_input_types(legs_abi))
        self._legs_selector = function_abi_to_4byte_selector(legs_abi)
        self._orders: dict[str, Order] = {}  # uid -> signed order (immutable)
        self._access_list_rpc = True  # False once the node says it lacks eth_createAccessList

    def simulate_batch(self, batch_id: int) -> SimulatedBatch | None:
        """Simulate the planned batch, dropping the orders that make it revert and trimming it
        to the gas budget, until it settles; None if it was failed instead (its orders are
        then open again, or invalid)."""
        batches, gas_model = self.ctx.store.batches, self.planner.gas_model
        budget = self.planner.gas_budget()
        predicted_trims = 0
        for _attempt in range(20):
            built = self.batch_fills(batch_id)
            if built is None:
                batches.fail_batch(batch_id, "every order was dropped by simulation")
                return None
            fills, prices, legs = built
            call, direct = self.settle_call(fills, prices, legs)
            other = len(fills) - direct
            if not legs and len(fills) > 2 and predicted_trims < _PREDICTED_TRIMS:
                predicted = gas_model.predict(direct, other)
                if predicted > budget:  # dearer fills than the cut assumed: trim before simulating
                    predicted_trims += 1
                    smaller = even_fills(gas_model.fills_within(budget, direct, other))
                    log.info(
                        "batch %d: %d fills (%d direct) predicted at %d gas; trimming to %d",
                        batch_id,
                        len(fills),
                        direct,
                        predicted,
                        smaller,
                    )
                    if not self.planner.replan(batch_id, {}, max_fills=smaller):
                        return None
                    continue
            try:
                gas, access_list = self.simulate(call)
            except SimulationOutOfGas as exc:
                # it needs more than a block's gas before its refunds: re-planned smaller
                if legs or len(fills) <= 2:
                    batches.fail_batch(
                        batch_id, f"simulation ran out of gas: {exc}"[:500], penalise=False
                    )
                    return None
                smaller = self._after_out_of_gas(call, direct, other)
                log.info(
                    "batch %d: %d fills ran out of gas in simulation; trimming to %d",
                    batch_id,
                    len(fills),
                    smaller,
                )
                if not self.planner.replan(batch_id, {}, max_fills=smaller):
                    return None
                continue
            except ContractLogicError as exc:
                error = decode_revert(revert_data(exc))
                if error is not None and error.name in REFUSES_EVERY_BATCH:
                    log.warning(
                        "batch %d: the settlement contract refuses every batch (%s); "
                        "its orders stay open",
                        batch_id,
                        error.name,
                    )
                    batches.fail_batch(
                        batch_id, f"settlement refused the batch: {error.name}", penalise=False
                    )
                    return None
                dropped = self._culprits(revert_data(exc), fills)
                if legs:  # culprits out, the rest routed afresh at the next cut
                    why = "order dropped by simulation" if dropped else "a leg no longer holds"
                    self._exclude_odd_books(revert_data(exc), legs)
                    batches.fail_batch(
                        batch_id, f"{why}: {exc}"[:500], invalid=dropped, penalise=False
                    )
                    return None
                if not dropped:
                    batches.fail_batch(batch_id, f"simulation reverted: {exc}"[:500])
                    return None
                log.warning("batch %d: simulation dropped %s", batch_id, dropped)
                if not self.planner.replan(batch_id, dropped):
                    return None  # nothing left to settle: the batch failed, its orders reopened
                continue
            if not legs and len(fills) >= _LEARN_MIN_FILLS:
                gas_model.observe(direct, other, gas)
            log.debug("batch %d: %d fills simulated at %d gas", batch_id, len(fills), gas)
            # the simulation had less than a block's gas and did not run out: it fits, even
            # above the ceiling, which only sizes the plans to spare out-of-gas simulations
            if gas <= self.planner.configured_budget() or len(fills) <= 2:
                gas_model.fitted(self.planner.configured_budget())
                return SimulatedBatch(call, gas, access_list)
            # over the budget: trimmed to what this batch's own gas per fill says fits
            if legs:  # a routed batch is planned afresh, with the gas per fill now measured
                batches.fail_batch(
                    batch_id, f"{len(fills)} fills need {gas} gas; over budget", penalise=False
                )
                return None
            fit = gas_model.fills_within(budget, direct, other, gas)
            smaller = even_fills(min(len(fills) - 1, fit * 199 // 200))  # 0.5% below: one trim
            log.info(
                "batch %d: %d fills need %d gas; trimming to %d", batch_id, len(fills), gas, smaller
            )
            if not self.planner.replan(batch_id, {}, max_fills=smaller):
                return None
        batches.fail_batch(batch_id, "simulation kept reverting")
        return None

    def _after_out_of_gas(self, call: dict[str, Any], direct: int, other: int) -> int:
        """The fills to trim a batch to that ran out of a block's gas in simulation: it is
        simulated once more with room to spare, which measures its gas (as the receipt would
        count it). Over a block, the batch was too big for the model (which learns its
        rates from it); within one, its refunds were what a block could not advance, and
        the model's ceiling drops below it."""
        fills = direct + other
        block_gas_limit, gas_model = self.planner.block_gas_limit(), self.planner.gas_model
        try:
            gas, _ = self.simulate(call, cap=4 * block_gas_limit)
        except (SimulationOutOfGas, ContractLogicError):
            return even_fills(min(fills * 3 // 4, fills - 1))
        if fills >= _LEARN_MIN_FILLS:
            gas_model.observe(direct, other, gas)
        if gas <= block_gas_limit * 99 // 100:
            gas_model.ran_out_of_gas(gas)
        fit = gas_model.fills_within(self.planner.gas_budget(), direct, other, gas)
        return even_fills(min(fit, fills - 1))

    # ------------------------------------------------------------ the settle call

    def batch_fills(
        self, batch_id: int
    ) -> tuple[list[Fill], dict[str, int], list[PoolLeg | BookLeg]] | None:
        """The stored batch as `settle` takes it: fills, clearing prices by token, legs;
        None if it has no fills left."""
        batches = self.ctx.store.batches
        batch = batches.batch(batch_id)
        assert batch is not None
        legs = [_settlement_leg(g) for g in legs_of(batch)]
        tokens, prices = json.loads(batch["tokens"]), [int(p) for p in json.loads(batch["prices"])]
        fills = [
            Fill(
                self._order(row),
                bytes(row["signature"]),
                executed,
                SigningScheme(row["signing_scheme"]),
            )
            for row, executed in batches.batch_fills(batch_id)
        ]
        if not fills:
            return None
        return fills, dict(zip(tokens, prices, strict=True)), legs

    def _order(self, row: OrderRecord) -> Order:
        """The signed order of a stored row; built (and checked) once per uid, as a batch
        holds up to a block of fills and is built again at every simulation."""
        uid = row["uid"]
        order = self._orders.get(uid)
        if order is None:
            if len(self._orders) >= 200_000:
                self._orders.clear()
            order = self._orders[uid] = row_order(row)
        return order

    def settle_call(
        self, fills: list[Fill], prices: dict[str, int], legs: Sequence[PoolLeg | BookLeg] = ()
    ) -> tuple[dict[str, Any], int]:
        """`settle` calldata, encoded once (see `calldata.Encoder`), and how many of its trades
        pay their counterpart directly. web3's contract-function path would re-encode on every
        estimate and build, and eth-abi validates every value, which is slow for batches of a
        thousand fills."""
        if legs:
            batch = build_batch(
                fills,
                prices,
                pool_legs=[g for g in legs if isinstance(g, PoolLeg)],
                book_legs=[g for g in legs if isinstance(g, BookLeg)],
            )
            data = self._legs_selector + self._legs_encoder.encode(batch.legs_args())
        else:
            batch = build_batch(fills, prices)
            data = self._settle_selector + self._settle_encoder.encode(batch.args())
        call = {"from": self.sender, "to": self.settlement.address, "data": "0x" + data.hex()}
        return call, batch.direct_trades

    def simulate(
        self, call: dict[str, Any], cap: int | None = None, block: str = "pending"
    ) -> tuple[int, AccessList]:
        """Gas the settle call uses and the access list worth sending with it, from one
        `eth_createAccessList` against `block`, by default the pending state (so it sees the
        batches still in flight; a replacement is simulated against the latest block, where
        the transaction it replaces has not run). `eth_estimateGas` would search, running the
        call a dozen times. A revert raises ContractLogicError with the revert data, as web3
        does; an execution out of gas raises `SimulationOutOfGas`.

        The gas is that of a run with the generated access list, which is what the
        transaction carries (less the entries that do not pay, which only lowers it): the
        figure is what the receipt will say, and sizes the next batches (`gas_model`). The
        call may use `cap`, by default 99% of a block's gas (the transaction gets the whole
        block's: the rest is a margin for state that changes before it lands); a batch that
        runs out of it needs more before its refunds than a transaction can have.
        `eth_simulateV1` is not used: Anvil leaves the intrinsic gas out of its figure."""
        call = {**call, "gas": hex(cap or self.planner.block_gas_limit() * 99 // 100)}
        if self._access_list_rpc:
            reply = self.w3.provider.make_request(
                RPCEndpoint("eth_createAccessList"), [call, block]
            )
            error = reply.get("error")
            if error is None:
                result = reply["result"]
                listed = worthwhile(
                    result.get("accessList") or [], to=call["to"], sender=call["from"]
                )
                return int(result["gasUsed"], 16), listed
            message = str(error.get("message", ""))
            if error.get("code") == 3 or "revert" in message:
                raise ContractLogicError(message, data=error.get("data"))
            if "outofgas" in message.lower().replace(" ", ""):
                raise SimulationOutOfGas(message)
            if error.get("code") != -32601:  # anything but "method not found"
                raise ChainReadError(f"eth_createAccessList failed: {error}")
            self._access_list_rpc = False
        return int(self.w3.eth.estimate_gas(cast(Any, call), cast(Any, block))), []

    # ------------------------------------------------------------ culprits

    def _culprits(self, data: bytes, fills: list[Fill]) -> dict[str, str]:
        """uid -> reason for the orders a revert blames (decoded custom error)."""
        by_uid = {"0x" + f.order.uid(self.ctx.domain).hex(): f for f in fills}
        error = decode_revert(data)
        if error is None:
            return self._unfunded(fills, by_uid, "revert " + ("0x" + data.hex())[:74])
        name, types, args = error.name, error.types, error.args
        if types and types[0] == "bytes32":
            uid = "0x" + bytes(args[0]).hex()
            if uid in by_uid:
                return {uid: f"{name}{tuple(a.hex() if isinstance(a, bytes) else a for a in args)}"}
        if name == "InsufficientInternalBalance":
            owner, token = Web3.to_checksum_address(args[0]), Web3.to_checksum_address(args[1])
            return {
                u: name
                for u, f in by_uid.items()
                if f.order.owner == owner and f.order.sell_token == token
            }
        return self._unfunded(fills, by_uid, name)

    def _unfunded(self, fills: list[Fill], by_uid: dict[str, Fill], why: str) -> dict[str, str]:
        """For reverts that name no order (a token transfer failed): fresh balance and
        allowance reads, no cache, to find the owners who moved their funds away."""
        blamed: dict[str, str] = {}
        for uid, f in by_uid.items():
            o = f.order
            fee = o.fee_amount * f.executed_sell // o.sell_amount
            need = f.executed_sell + fee
            if o.sell_from_internal:
                have = int(self.settlement.functions.balanceOf(o.owner, o.sell_token).call())
                if have < need:
                    blamed[uid] = f"{why}: internal balance {have} < {need}"
                continue
            token = contract_at(self.w3, "MockERC20", o.sell_token)
            try:
                balance = int(token.functions.balanceOf(o.owner).call())
                allowance = int(token.functions.allowance(o.owner, self.settlement.address).call())
            except ContractLogicError:
                # even its reads revert (code bricked or gone): nothing that sells it settles,
                # and the worker goes on with the other batches
                blamed[uid] = f"{why}: token {o.sell_token} reverts balanceOf/allowance"
                continue
            if balance < need or allowance < need:
                blamed[uid] = f"{why}: balance {balance}, allowance {allowance} < {need}"
        return blamed

    def _exclude_odd_books(self, data: bytes, legs: Sequence[PoolLeg | BookLeg]) -> None:
        """A book leg that failed with `FeeOnTransferToken` will fail again whatever the book
        holds: its book is no longer routed into (until a restart), and that is logged."""
        error = decode_revert(data)
        if error is None or error.name != "FeeOnTransferToken":
            return
        token = Web3.to_checksum_address(error.args[0])
        for leg in legs:
            if isinstance(leg, BookLeg) and token in (
                Web3.to_checksum_address(leg.base),
                Web3.to_checksum_address(leg.quote),
            ):
                key = (leg.base, leg.quote, leg.tick_size, leg.lot_size, leg.min_lots)
                log.warning(
                    "book %s: token %s changes amounts in transit (fee-on-transfer "
                    "or rebasing); no longer routed into",
                    key,
                    token,
                )
                self.books.exclude(key)
