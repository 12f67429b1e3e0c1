"""The worker: cuts batches (matching), then settles them on chain (submitting).

One thread, behind the single-submitter lock. Every step is persisted before it acts, so a
restart picks up where the last process stopped and never settles an order twice. Up to
`max_inflight_batches` batches are on their way at once, each with its own transaction at
consecutive nonces (their orders are disjoint), so a new batch is built while the last one
waits for its block; a batch is sized to the gas budget (`batch_max_gas`, else 95% of a
block) by a model of the gas per fill fitted to the recent simulations (`gas_model`):

planned   -> simulate (one execution, against the pending state, so it sees the batches
             still in flight); an order that makes it revert is dropped (the revert's
             custom error names its uid) and the rest re-matched; a batch over the gas
             budget is trimmed; then the transaction, with the access list its simulation
             generated, is signed with our own nonce, stored (raw bytes and hash) and only
             then broadcast.
submitted -> wait for a receipt; rebroadcast if the node lost it; after `stuck_after_s`
             replace it at the same nonce with fees raised >= 12.5%.
mined     -> wait for `confirmations` blocks, re-checking the block is still canonical (a
             reorg sends the batch back to submitted); then the fills are read from the
             receipt's Trade events, which is what the store records: the chain is the
             source of truth.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import threading
import time
from collections.abc import Sequence
from typing import Any, cast

from eth_abi.abi import decode as abi_decode
from eth_account import Account
from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TransactionNotFound
from web3.types import RPCEndpoint

from crossbook.hashing import keccak
from crossbook.order import Order
from crossbook.relayer.access_list import AccessList, worthwhile
from crossbook.relayer.book_quotes import BookQuotes
from crossbook.relayer.calldata import Encoder
from crossbook.relayer.chain import ChainReadError
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.db.models import BatchStatus
from crossbook.relayer.gas_model import FillGasModel
from crossbook.relayer.lock import SubmitterLock
from crossbook.relayer.matching import (
    BatchPlan,
    BookOrder,
    PlannedBookLeg,
    PlannedLeg,
    match_all,
    match_market,
    still_crossing,
)
from crossbook.relayer.reconcile import EventFollower
from crossbook.relayer.routing import PoolQuotes, route_residual
from crossbook.relayer.settlement_events import TRADE as TRADE_TOPIC
from crossbook.relayer.settlement_events import decode_trade_data
from crossbook.relayer.store import ChainTrade, Row, book_order, legs_of, row_order
from crossbook.settlement import BookLeg, Fill, PoolLeg, build_batch
from crossbook.signing import SigningScheme

log = logging.getLogger("crossbook.relayer.submitter")
UNRECORDED_TX_GRACE_S = 10.0
#: Gas per fill assumed until a simulation has measured it (a fill from a cold wallet).
INITIAL_GAS_PER_FILL = 45_000


#: a batch with fewer fills does not size the next batches (its fixed costs would distort)
_LEARN_MIN_FILLS = 20
#: a batch is trimmed before its simulation at most this often on the model's word alone
_PREDICTED_TRIMS = 2


def _even(fills: int) -> int:
    """A fill limit for the matcher, rounded down to an even number (at least 2).

    The matcher takes at most half the limit from each side. With an odd limit one side gets
    an extra order, and filling it moves the clearing price off the price at which the
    pairs match exactly: every fill then goes through the contract (two token transfers)
    instead of paying its counterpart directly (one). Measured in the end-to-end bench:
    batches cut to an odd size cost about 18.3k gas per fill, even ones 15.3k."""
    return max(2, fills - fills % 2)


class SimulationOutOfGas(Exception):
    """The simulated settle call ran out of gas: the batch is more than a block holds."""


def error_table(abi: Sequence[Any]) -> dict[bytes, tuple[str, list[str], list[str]]]:
    """4-byte selector -> (error name, input types, input names) of a contract's errors."""
    table = {}
    for item in abi:
        if item.get("type") != "error":
            continue
        types = [i["type"] for i in item["inputs"]]
        selector = keccak(f"{item['name']}({','.join(types)})".encode())[:4]
        table[selector] = (item["name"], types, [i["name"] for i in item["inputs"]])
    return table


@functools.lru_cache(maxsize=65_536)
def checksum(raw: bytes) -> str:
    """EIP-55 form of a 20-byte address (cached: a batch repeats owners and tokens)."""
    return Web3.to_checksum_address(raw)


def revert_data(exc: Exception) -> bytes:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return b""


def _settlement_leg(leg: PlannedLeg | PlannedBookLeg) -> PoolLeg | BookLeg:
    """A planned leg as `build_batch` encodes it; a book leg takes exactly its lots
    (`minTakeLots == maxLots`)."""
    if isinstance(leg, PlannedLeg):
        return PoolLeg(leg.token_in, leg.token_out, leg.fee, leg.amount_in, leg.min_amount_out)
    return BookLeg(leg.base, leg.quote, leg.tick_size, leg.lot_size, leg.min_lots, leg.side,
                   leg.limit_tick, leg.lots, leg.lots, leg.max_steps)  # fmt: skip


class BatchWorker:
    def __init__(
        self, ctx: RelayerContext, w3: Web3, settlement: Contract, key: bytes, lock: SubmitterLock,
        follower: EventFollower | None = None,
    ) -> None:  # fmt: skip
        self.ctx = ctx
        self.w3 = w3
        self.settlement = settlement
        self.account = Account.from_key(key)
        self.lock = lock
        self.follower = follower  # other relayers' fills, on-chain cancellations
        self.errors = error_table(settlement.abi)
        settle_abi = next(i for i in settlement.abi if i.get("name") == "settle")
        self._settle_encoder = Encoder(get_abi_input_types(settle_abi))
        legs_abi = next(i for i in settlement.abi if i.get("name") == "settleWithLiquidity")
        self._legs_encoder = Encoder(get_abi_input_types(legs_abi))
        self._legs_selector = function_abi_to_4byte_selector(legs_abi)
        self.pools = PoolQuotes(w3, settlement)
        self.books = BookQuotes(w3, settlement)
        self._settle_selector = function_abi_to_4byte_selector(settle_abi)
        self._stop = threading.Event()
        self._draining = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_cut = 0.0
        self._nonce_used_at: dict[int, float] = {}  # batch id -> when its nonce was seen used
        self._watched_at: dict[int, int] = {}  # batch id -> head block of its last receipt check
        self.gas_model = FillGasModel(INITIAL_GAS_PER_FILL)  # fitted to the simulations
        self._block_gas_limit: int | None = None
        self._final_checked_at = -1  # head of the last recheck_final
        self._open_orders: dict[str, BookOrder] = {}  # the matcher's view, see open_book_orders
        self._orders: dict[str, Order] = {}  # uid -> signed order (immutable)
        self._access_list_rpc = True  # False once the node says it lacks eth_createAccessList
        self.crashed: BaseException | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="batch-worker", daemon=True)
        self._thread.start()

    def stop(self, drain_timeout: float) -> None:
        """Cut no new batch; let in-flight batches finish (up to the timeout); stop."""
        self._draining.set()
        deadline = time.monotonic() + drain_timeout
        while time.monotonic() < deadline and self.lock.held and self._thread is not None:
            if not self.ctx.store.active_batches() or not self._thread.is_alive():
                break
            time.sleep(0.1)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.lock.release()

    def healthy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and not self.lock.try_acquire():
                log.info("another submitter holds the lock; standing by")
                self._stop.wait(1.0)
            if self._stop.is_set():
                return
            log.info("submitter lock acquired; relayer account %s", self.account.address)
            while not self._stop.is_set():
                try:
                    self.step()
                except Exception:  # an RPC outage or a DB hiccup: log, back off, go on
                    log.exception("worker step failed; retrying")
                    self._stop.wait(1.0)
                self._stop.wait(self.ctx.settings.receipt_poll_s)
        except BaseException as exc:
            self.crashed = exc
            raise

    # ------------------------------------------------------------ one step

    def step(self) -> None:
        store = self.ctx.store
        expired = store.expire(int(time.time()))
        for uid in expired:
            self.ctx.events.publish({"type": "order", "uid": uid, "status": "expired"})
        head = int(self.w3.eth.block_number)
        self.recheck_final(head)
        for batch in store.active_batches():  # oldest first: nonces go out in order
            self.advance(batch, head)
        if self.follower is not None:
            self.follower.follow(head)
        settings = self.ctx.settings
        if self._draining.is_set():
            return
        if len(store.active_batches()) >= settings.max_inflight_batches:
            return
        if time.monotonic() - self._last_cut < settings.batch_interval_s:
            return
        self._last_cut = time.monotonic()
        for batch_id in self.cut():
            planned = store.batch(batch_id)
            if planned is not None:
                self.advance(planned, head)  # submit now: the next block may have room

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
        return self.gas_model.ceiling(self._configured_budget())

    def _configured_budget(self) -> int:
        limit = self.block_gas_limit()
        if self.ctx.settings.batch_max_gas is not None:
            return min(self.ctx.settings.batch_max_gas, limit)
        return limit * 95 // 100

    def max_fills(self) -> int:
        """Fills per batch: `batch_max_fills`, and no more than the gas budget holds at the
        model's cheaper rate (a batch of dearer fills is trimmed once its kinds are known)."""
        by_gas = self.gas_model.max_fills(self.gas_budget())
        return _even(min(self.ctx.settings.batch_max_fills, by_gas))

    def cut(self) -> list[int]:
        orders = self.ctx.store.open_book_orders(self._open_orders)
        plans = []
        if len(orders) >= self.ctx.settings.batch_min_orders:
            plans = match_all(self.ctx.markets, orders, self.max_fills())
        routing = self.ctx.settings.route_pools or self.ctx.settings.route_books
        if routing and orders:  # one order alone may reach the pool or the book
            plans += self._routed_plans(orders, plans)
        ids = []
        for plan in plans:
            tokens, prices = self._tokens_prices(plan)
            batch_id = self.ctx.store.create_batch(plan, tokens, prices)
            if batch_id is not None:
                ids.append(batch_id)
                log.info(
                    "batch %d planned: %s, %d fills at %s/%s%s",
                    batch_id, plan.market.name, len(plan.fills), plan.price_num, plan.price_den,
                    f", legs {list(plan.legs)}" if plan.legs else "",
                )  # fmt: skip
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

    @staticmethod
    def _tokens_prices(plan: BatchPlan) -> tuple[list[str], list[int]]:
        tokens = sorted(plan.clearing_prices, key=lambda a: int(a, 16))
        return tokens, [plan.clearing_prices[t] for t in tokens]

    def advance(self, batch: Row, head: int) -> None:
        status = batch["status"]
        if status == BatchStatus.PLANNED:
            self.submit(batch)
        elif status == BatchStatus.SUBMITTED:
            if self.watch(batch, head) and self.ctx.settings.confirmations <= 1:
                mined = self.ctx.store.batch(int(batch["id"]))
                if mined is not None and mined["status"] == BatchStatus.MINED:
                    self.confirm(mined)
        elif status == BatchStatus.MINED:
            self.confirm(batch)

    # ------------------------------------------------------------ planned -> submitted

    def _fills(
        self, batch_id: int
    ) -> tuple[list[Fill], dict[str, int], list[PoolLeg | BookLeg]] | None:
        batch = self.ctx.store.batch(batch_id)
        assert batch is not None
        legs = [_settlement_leg(g) for g in legs_of(batch)]
        tokens, prices = json.loads(batch["tokens"]), [int(p) for p in json.loads(batch["prices"])]
        fills = [
            Fill(self._order(row), bytes(row["signature"]), executed,
                 SigningScheme(row["signing_scheme"]))
            for row, executed in self.ctx.store.batch_fills(batch_id)
        ]  # fmt: skip
        if not fills:
            return None
        return fills, dict(zip(tokens, prices, strict=True)), legs

    def _order(self, row: Row) -> Order:
        """The signed order of a stored row; built (and checked) once per uid: a batch of
        1,400 fills spent a tenth of the worker's time re-building the same orders."""
        uid = row["uid"]
        order = self._orders.get(uid)
        if order is None:
            if len(self._orders) >= 200_000:
                self._orders.clear()
            order = self._orders[uid] = row_order(row)
        return order

    def _culprits(self, data: bytes, fills: list[Fill]) -> dict[str, str]:
        """uid -> reason for the orders a revert blames (decoded custom error)."""
        by_uid = {"0x" + f.order.uid(self.ctx.domain).hex(): f for f in fills}
        entry = self.errors.get(data[:4])
        if entry is None:
            return self._unfunded(fills, by_uid, "revert " + ("0x" + data.hex())[:74])
        name, types, _names = entry
        try:
            args = abi_decode(types, data[4:])
        except Exception:
            return {}
        if types and types[0] == "bytes32":
            uid = "0x" + bytes(args[0]).hex()
            if uid in by_uid:
                return {uid: f"{name}{tuple(a.hex() if isinstance(a, bytes) else a for a in args)}"}
        if name == "InsufficientInternalBalance":
            owner, token = Web3.to_checksum_address(args[0]), Web3.to_checksum_address(args[1])
            return {
                u: name for u, f in by_uid.items()
                if f.order.owner == owner and f.order.sell_token == token
            }  # fmt: skip
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
            token = self.w3.eth.contract(
                address=Web3.to_checksum_address(o.sell_token),
                abi=[
                    {"name": "balanceOf", "type": "function", "stateMutability": "view",
                     "inputs": [{"name": "a", "type": "address"}],
                     "outputs": [{"name": "", "type": "uint256"}]},
                    {"name": "allowance", "type": "function", "stateMutability": "view",
                     "inputs": [{"name": "a", "type": "address"}, {"name": "b", "type": "address"}],
                     "outputs": [{"name": "", "type": "uint256"}]},
                ],
            )  # fmt: skip
            balance = int(token.functions.balanceOf(o.owner).call())
            allowance = int(token.functions.allowance(o.owner, self.settlement.address).call())
            if balance < need or allowance < need:
                blamed[uid] = f"{why}: balance {balance}, allowance {allowance} < {need}"
        return blamed

    def submit(self, batch: Row) -> None:
        store, batch_id = self.ctx.store, int(batch["id"])
        budget = self.gas_budget()
        predicted_trims = 0
        for _attempt in range(20):
            built = self._fills(batch_id)
            if built is None:
                store.fail_batch(batch_id, "every order was dropped by simulation")
                return
            fills, prices, legs = built
            call, direct = self._settle_call(fills, prices, legs)
            other = len(fills) - direct
            if not legs and len(fills) > 2 and predicted_trims < _PREDICTED_TRIMS:
                predicted = self.gas_model.predict(direct, other)
                if predicted > budget:  # dearer fills than the cut assumed: trim before simulating
                    predicted_trims += 1
                    smaller = _even(self.gas_model.fills_within(budget, direct, other))
                    log.info("batch %d: %d fills (%d direct) predicted at %d gas; trimming to %d",
                             batch_id, len(fills), direct, predicted, smaller)  # fmt: skip
                    if not self._replan(batch_id, fills, {}, max_fills=smaller):
                        return
                    continue
            try:
                gas, access_list = self._simulate(call)
            except SimulationOutOfGas as exc:
                # it needs more than a block's gas before its refunds: re-planned smaller
                if legs or len(fills) <= 2:
                    store.fail_batch(batch_id, f"simulation ran out of gas: {exc}"[:500],
                                     penalise=False)  # fmt: skip
                    return
                smaller = self._after_out_of_gas(call, direct, other)
                log.info("batch %d: %d fills ran out of gas in simulation; trimming to %d",
                         batch_id, len(fills), smaller)  # fmt: skip
                if not self._replan(batch_id, fills, {}, max_fills=smaller):
                    return
                continue
            except ContractLogicError as exc:
                dropped = self._culprits(revert_data(exc), fills)
                if legs:  # culprits out, the rest routed afresh at the next cut
                    why = "order dropped by simulation" if dropped else "a leg no longer holds"
                    self._exclude_odd_books(revert_data(exc), legs)
                    store.fail_batch(batch_id, f"{why}: {exc}"[:500], invalid=dropped,
                                     penalise=False)  # fmt: skip
                    return
                if not dropped:
                    store.fail_batch(batch_id, f"simulation reverted: {exc}"[:500])
                    return
                log.warning("batch %d: simulation dropped %s", batch_id, dropped)
                if not self._replan(batch_id, fills, dropped):
                    return  # nothing left to settle: the batch failed, its orders reopened
                continue
            if not legs and len(fills) >= _LEARN_MIN_FILLS:
                self.gas_model.observe(direct, other, gas)
            log.debug("batch %d: %d fills simulated at %d gas", batch_id, len(fills), gas)
            # the simulation had less than a block's gas and did not run out: it fits, even
            # above the ceiling, which only sizes the plans to spare out-of-gas simulations
            if gas <= self._configured_budget() or len(fills) <= 2:
                self.gas_model.fitted(self._configured_budget())
                break
            # over the budget: trimmed to what this batch's own gas per fill says fits
            if legs:  # a routed batch is planned afresh, with the gas per fill now measured
                store.fail_batch(batch_id, f"{len(fills)} fills need {gas} gas; over budget",
                                 penalise=False)  # fmt: skip
                return
            fit = self.gas_model.fills_within(budget, direct, other, gas)
            smaller = _even(min(len(fills) - 1, fit * 199 // 200))  # 0.5% below: one trim
            log.info("batch %d: %d fills need %d gas; trimming to %d", batch_id, len(fills),
                     gas, smaller)  # fmt: skip
            if not self._replan(batch_id, fills, {}, max_fills=smaller):
                return
        else:
            store.fail_batch(batch_id, "simulation kept reverting")
            return
        nonce = self._next_nonce(batch_id)
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        priority = max(int(self.w3.eth.max_priority_fee), 10**9)
        max_fee = min(2 * base_fee + priority, self.ctx.settings.max_gas_price_wei)
        tx = self._transaction(call, nonce, gas, max_fee, min(priority, max_fee), access_list)
        self._sign_store_send(batch_id, tx, [], first=True)

    def _after_out_of_gas(self, call: dict[str, Any], direct: int, other: int) -> int:
        """The fills to trim a batch to that ran out of a block's gas in simulation: it is
        simulated once more with room to spare, which measures its gas (as the receipt would
        count it). Over a block, the batch was too big for the model (which learns its
        rates from it); within one, its refunds were what a block could not advance, and
        the model's ceiling drops below it."""
        fills = direct + other
        try:
            gas, _ = self._simulate(call, cap=4 * self.block_gas_limit())
        except (SimulationOutOfGas, ContractLogicError):
            return _even(min(fills * 3 // 4, fills - 1))
        if fills >= _LEARN_MIN_FILLS:
            self.gas_model.observe(direct, other, gas)
        if gas <= self.block_gas_limit() * 99 // 100:
            self.gas_model.ran_out_of_gas(gas)
        fit = self.gas_model.fills_within(self.gas_budget(), direct, other, gas)
        return _even(min(fit, fills - 1))

    def _next_nonce(self, batch_id: int) -> int:
        """The chain's pending nonce, or one past the last of our transactions still on their
        way if the node has not seen them all (one lost from its pool is rebroadcast by
        `watch` at its own nonce)."""
        chain = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
        ours = [
            int(b["tx_nonce"]) + 1
            for b in self.ctx.store.active_batches()
            if b["tx_nonce"] is not None and int(b["id"]) != batch_id
        ]
        return max([chain, *ours])

    def _simulate(
        self, call: dict[str, Any], cap: int | None = None, block: str = "pending"
    ) -> tuple[int, AccessList]:
        """Gas the settle call uses and the access list worth sending with it, from one
        `eth_createAccessList` against `block`, by default the pending state (so it sees the
        batches still in flight; a replacement is simulated against the latest block, where
        the transaction it replaces has not run) (`eth_estimateGas` searches,
        running the call a dozen times). A revert raises ContractLogicError with the revert
        data, as web3 does; an execution out of gas raises `SimulationOutOfGas`.

        The gas is that of a run with the generated access list, which is what the
        transaction carries (less the entries that do not pay, which only lowers it): the
        figure is what the receipt will say, and sizes the next batches (`gas_model`). The
        call may use `cap`, by default 99% of a block's gas (the transaction gets the whole
        block's: the rest is a margin for state that changes before it lands); a batch that
        runs out of it needs more before its refunds than a transaction can have.
        (`eth_simulateV1` was tried: Anvil 1.7 leaves the intrinsic gas out of its figure and
        stalled for 30 s on a 1,700-fill batch.)"""
        call = {**call, "gas": hex(cap or self.block_gas_limit() * 99 // 100)}
        if self._access_list_rpc:
            reply = self.w3.provider.make_request(
                RPCEndpoint("eth_createAccessList"), [call, block]
            )
            error = reply.get("error")
            if error is None:
                result = reply["result"]
                listed = worthwhile(result.get("accessList") or [], to=call["to"],
                                    sender=call["from"])  # fmt: skip
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

    def _exclude_odd_books(self, data: bytes, legs: Sequence[PoolLeg | BookLeg]) -> None:
        """A book leg that failed with `FeeOnTransferToken` will fail again whatever the book
        holds: its book is no longer routed into (until a restart), and that is logged."""
        entry = self.errors.get(data[:4])
        if entry is None or entry[0] != "FeeOnTransferToken":
            return
        token = Web3.to_checksum_address(abi_decode(["address"], data[4:])[0])
        for leg in legs:
            if isinstance(leg, BookLeg) and token in (
                Web3.to_checksum_address(leg.base),
                Web3.to_checksum_address(leg.quote),
            ):
                key = (leg.base, leg.quote, leg.tick_size, leg.lot_size, leg.min_lots)
                log.warning("book %s: token %s changes amounts in transit (fee-on-transfer "
                            "or rebasing); no longer routed into", key, token)  # fmt: skip
                self.books.exclude(key)

    def _settle_call(
        self, fills: list[Fill], prices: dict[str, int], legs: Sequence[PoolLeg | BookLeg] = ()
    ) -> tuple[dict[str, Any], int]:
        """`settle` calldata, encoded once (see `calldata.Encoder`), and how many of its trades
        pay their counterpart directly: web3's contract-function path re-encodes on every
        estimate and build, and eth-abi's validation of every value was most of the
        submitter's time for batches of a thousand fills."""
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
        call = {"from": self.account.address, "to": self.settlement.address,
                "data": "0x" + data.hex()}  # fmt: skip
        return call, batch.direct_trades

    def _transaction(
        self, call: dict[str, Any], nonce: int, gas: int, max_fee: int, priority: int,
        access_list: AccessList,
    ) -> dict[str, Any]:  # fmt: skip
        return {
            "to": call["to"], "data": call["data"], "value": 0, "type": 2, "nonce": nonce,
            "gas": self._gas_limit(gas), "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority, "chainId": self.ctx.domain.chain_id,
            "accessList": access_list,
        }  # fmt: skip

    def _gas_limit(self, estimate: int) -> int:
        """A margin over the estimate, but never above the block gas limit: `settle` uses the
        gas it was estimated with (no state-dependent loops), and a margin that pushed the
        limit past the block's would keep a batch sized to fill a block out of every block."""
        block_limit = int(self.w3.eth.get_block("latest")["gasLimit"])
        return max(estimate, min(int(estimate * 1.25) + 50_000, block_limit))

    def _replan(
        self, batch_id: int, fills: list[Fill], dropped: dict[str, str],
        max_fills: int | None = None,
    ) -> bool:  # fmt: skip
        """Re-match the batch without `dropped` (and in at most `max_fills` fills); False if
        nothing crosses any more (the batch is then failed, with `dropped` invalid and the
        rest open again)."""
        rows = [row for row, _ in self.ctx.store.batch_fills(batch_id)]
        remaining = [book_order(r) for r in rows if r["uid"] not in dropped]
        market = next((m for m in self.ctx.markets if rows and m.name == rows[0]["market"]), None)
        plan = (
            match_market(market, remaining, max_fills or self.max_fills())
            if market is not None and remaining
            else None
        )
        if plan is None:
            self.ctx.store.fail_batch(
                batch_id, "nothing crosses after dropping", invalid=dropped, penalise=False
            )
            return False
        tokens, prices = self._tokens_prices(plan)
        self.ctx.store.replan_batch(batch_id, plan, tokens, prices, dropped)
        return True

    def _sign_store_send(self, batch_id: int, tx: Any, hashes: list[str], *, first: bool) -> None:
        signed = self.account.sign_transaction(tx)
        raw = bytes(signed.raw_transaction)
        tx_hash = "0x" + bytes(signed.hash).hex()
        # persisted before it is broadcast: a crash right after sending still knows the tx
        self.ctx.store.update_batch(
            batch_id,
            status=BatchStatus.SUBMITTED,
            tx_nonce=int(tx["nonce"]),
            tx_hashes=json.dumps([*hashes, tx_hash]),
            raw_tx=raw,
            max_fee=str(tx["maxFeePerGas"]),
            priority_fee=str(tx["maxPriorityFeePerGas"]),
            submitted_at=time.time(),
        )
        self._broadcast(raw)
        log.info("batch %d %s: tx %s nonce %d", batch_id, "sent" if first else "bumped",
                 tx_hash, tx["nonce"])  # fmt: skip
        self.ctx.metrics.inc("crossbook_relayer_transactions_total", "settle txs",
                             kind="first" if first else "bump")  # fmt: skip

    def _broadcast(self, raw: bytes) -> None:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:  # "already known", "nonce too low": the receipt check decides
            log.info("broadcast: %s", exc)

    # ------------------------------------------------------------ submitted -> mined

    def watch(self, batch: Row, head: int) -> bool:
        """True when the batch's transaction was found mined (the batch is now MINED)."""
        batch_id = int(batch["id"])
        hashes: list[str] = json.loads(batch["tx_hashes"])
        nonce = int(batch["tx_nonce"])
        stuck = time.time() - float(batch["submitted_at"] or 0) > self.ctx.settings.stuck_after_s
        if self._watched_at.get(batch_id) == head and not stuck:
            return False  # no new block since the last look: no new receipt either
        self._watched_at[batch_id] = head
        # read before the receipts: a tx of ours mined after this read is found below, so a
        # used nonce with no receipt of ours really was an unrecorded tx (read after them, a
        # block landing in between made a settled batch look lost and reopened its orders)
        nonce_used = self.w3.eth.get_transaction_count(self.account.address, "latest") > nonce
        for tx_hash in reversed(hashes):
            receipt = self._receipt(tx_hash)
            if receipt is None:
                continue
            self._nonce_used_at.pop(batch_id, None)
            self._watched_at.pop(batch_id, None)
            if receipt["status"] != 1:
                log.warning("batch %d: settle reverted in tx %s", batch_id, tx_hash)
                # a leg can revert through no fault of the orders (the pool or book moved)
                self.ctx.store.fail_batch(batch_id, f"settle reverted in tx {tx_hash}",
                                          penalise=not legs_of(batch))  # fmt: skip
                self.ctx.metrics.inc("crossbook_relayer_batches_total", "batches", status="failed")
                return False
            self.ctx.store.update_batch(
                batch_id,
                status=BatchStatus.MINED,
                mined_tx=tx_hash,
                block_number=int(receipt["blockNumber"]),
                gas_used=int(receipt["gasUsed"]),
            )
            return True
        if nonce_used:
            # Anvil can report the new nonce a moment before the receipt of the tx that used
            # it: only a nonce used with no receipt of ours for a while was an unrecorded tx
            # (its orders go back to open; the next simulation drops those the chain filled)
            since = self._nonce_used_at.setdefault(batch_id, time.monotonic())
            self._watched_at.pop(batch_id, None)  # look again on every step until decided
            if time.monotonic() - since < UNRECORDED_TX_GRACE_S:
                return False
            self._nonce_used_at.pop(batch_id, None)
            log.warning("batch %d: nonce %d used by a tx we did not record", batch_id, nonce)
            self.ctx.store.fail_batch(batch_id, f"nonce {nonce} used by an unrecorded tx")
            return False
        if stuck:
            self.bump(batch, hashes)
            return False
        try:
            self.w3.eth.get_transaction(HexBytes(hashes[-1]))
        except TransactionNotFound:
            self._broadcast(bytes(batch["raw_tx"]))  # the node lost it (restart, reorg)
        return False

    def bump(self, batch: Row, hashes: list[str]) -> None:
        """Replace the stuck tx at the same nonce; fees up by gas_bump_percent (>= 12.5%)."""
        percent = max(self.ctx.settings.gas_bump_percent, 12.5)
        old_prio, old_max = int(batch["priority_fee"]), int(batch["max_fee"])
        priority = math.ceil(old_prio * (100 + percent) / 100)
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        max_fee = max(math.ceil(old_max * (100 + percent) / 100), 2 * base_fee + priority)
        if max_fee > self.ctx.settings.max_gas_price_wei:
            log.warning("batch %d: bump would exceed max_gas_price_wei; waiting", batch["id"])
            return
        built = self._fills(int(batch["id"]))
        if built is None:
            return
        call, _direct = self._settle_call(*built)
        try:
            gas, access_list = self._simulate(call, block="latest")
        except (ContractLogicError, SimulationOutOfGas) as exc:  # the orders changed on chain
            log.warning("batch %d: not bumping, simulation fails: %s", batch["id"], exc)
            return
        new_tx = self._transaction(call, int(batch["tx_nonce"]), gas, max_fee, priority,
                                   access_list)  # fmt: skip
        self._sign_store_send(int(batch["id"]), new_tx, hashes, first=False)

    # ------------------------------------------------------------ mined -> final

    def confirm(self, batch: Row) -> None:
        batch_id, tx_hash = int(batch["id"]), str(batch["mined_tx"])
        receipt = self._receipt(tx_hash)
        head = self.w3.eth.block_number
        if receipt is None or int(receipt["blockNumber"]) > head:
            log.warning("batch %d: tx %s left the chain (reorg); resubmitting", batch_id, tx_hash)
            self.ctx.store.update_batch(batch_id, status=BatchStatus.SUBMITTED, mined_tx=None)
            self._broadcast(bytes(batch["raw_tx"]))
            return
        block = self.w3.eth.get_block(int(receipt["blockNumber"]))
        if bytes(block["hash"]) != bytes(receipt["blockHash"]):
            self.ctx.store.update_batch(batch_id, status=BatchStatus.SUBMITTED, mined_tx=None)
            return
        if head - int(receipt["blockNumber"]) + 1 < self.ctx.settings.confirmations:
            return
        trades = self.trades_from_receipt(receipt)
        self.ctx.store.finalize_batch(
            batch_id,
            tx_hash,
            int(receipt["blockNumber"]),
            int(receipt["gasUsed"]),
            trades,
            block_hash="0x" + bytes(receipt["blockHash"]).hex(),
        )
        self.ctx.metrics.inc("crossbook_relayer_batches_total", "batches", status="final")
        self.ctx.metrics.inc("crossbook_relayer_fills_total", "fills on chain", len(trades))
        for t in trades:
            self.ctx.events.publish(
                {"type": "trade", "orderUid": t.order_uid, "owner": t.owner,
                 "sellToken": t.sell_token, "buyToken": t.buy_token, "soldAmount": str(t.sold),
                 "boughtAmount": str(t.bought), "txHash": t.tx_hash, "batchId": batch_id}
            )  # fmt: skip
        self.ctx.events.publish({"type": "batch", "id": batch_id, "status": "final",
                                 "fills": len(trades), "txHash": tx_hash})  # fmt: skip
        log.info("batch %d final: %d fills in block %d", batch_id, len(trades),
                 receipt["blockNumber"])  # fmt: skip

    def recheck_final(self, head: int) -> None:
        """Reorgs deeper than the confirmations: the blocks of the batches final within the
        last `reorg_window_blocks` must still be canonical. Newest first, and a block found
        canonical ends the check (its hash commits to every block below it), so a quiet
        chain costs one block read per new head."""
        if head == self._final_checked_at:
            return
        self._final_checked_at = head
        window = head - self.ctx.settings.reorg_window_blocks
        checked: dict[int, bool] = {}
        for batch in self.ctx.store.recent_final_batches(window):
            number, stored = int(batch["block_number"]), batch["block_hash"]
            if stored is None:
                continue
            if number not in checked:
                block = self.w3.eth.get_block(number) if number <= head else None
                checked[number] = block is not None and "0x" + bytes(block["hash"]).hex() == stored
                if checked[number]:
                    return
            if checked[number]:
                continue
            taken = self.ctx.store.unfinalize_batch(int(batch["id"]))
            log.warning("batch %d: block %d left the chain after the batch was final (a reorg "
                        "deeper than %d confirmations); %d fills taken back, resubmitting",
                        batch["id"], number, self.ctx.settings.confirmations, taken)  # fmt: skip
            self.ctx.metrics.inc("crossbook_relayer_deep_reorgs_total", "final batches reorged")
            self.ctx.events.publish({"type": "batch", "id": int(batch["id"]),
                                     "status": "submitted", "reason": "reorg"})  # fmt: skip
            if batch["raw_tx"] is not None:
                self._broadcast(bytes(batch["raw_tx"]))

    def _receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """The receipt with the fields we read, from the raw RPC reply: web3's receipt
        formatters took longer than the rest of a batch for receipts of hundreds of logs."""
        reply = self.w3.provider.make_request(RPCEndpoint("eth_getTransactionReceipt"), [tx_hash])
        if "error" in reply:
            raise ChainReadError(f"eth_getTransactionReceipt failed: {reply['error']}")
        raw = reply.get("result")
        if not raw:
            return None
        return {
            "status": int(raw["status"], 16),
            "blockNumber": int(raw["blockNumber"], 16),
            "blockHash": bytes.fromhex(raw["blockHash"][2:]),
            "gasUsed": int(raw["gasUsed"], 16),
            "transactionHash": bytes.fromhex(raw["transactionHash"][2:]),
            "logs": [
                {
                    "address": entry["address"],
                    "topics": [bytes.fromhex(t[2:]) for t in entry["topics"]],
                    "data": bytes.fromhex(entry["data"][2:]),
                    "logIndex": int(entry["logIndex"], 16),
                }
                for entry in raw["logs"]
            ],
        }

    def trades_from_receipt(self, receipt: Any) -> list[ChainTrade]:
        trades = []
        settlement = self.settlement.address.lower()
        topic = bytes.fromhex(TRADE_TOPIC[2:])
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        block = int(receipt["blockNumber"])
        for entry in receipt["logs"]:
            topics = entry["topics"]
            if str(entry["address"]).lower() != settlement or not topics:
                continue
            if bytes(topics[0]) != topic:
                continue
            sell, buy, sold, bought, fee = decode_trade_data(bytes(entry["data"]))
            trades.append(
                ChainTrade(
                    tx_hash=tx_hash,
                    log_index=int(entry["logIndex"]),
                    block_number=block,
                    order_uid="0x" + bytes(topics[1]).hex(),
                    owner=checksum(bytes(topics[2])[12:]),
                    sell_token=sell,
                    buy_token=buy,
                    sold=sold,
                    bought=bought,
                    fee=fee,
                )
            )
        return trades
