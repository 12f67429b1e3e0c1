"""The worker: cuts batches (matching), then settles them on chain (submitting).

One thread, behind the single-submitter lock. Every step is persisted before it acts, so a
restart picks up where the last process stopped and never settles an order twice. Up to
`max_inflight_batches` batches are on their way at once, each with its own transaction at
consecutive nonces (their orders are disjoint), so a new batch is built while the last one
waits for its block. `BatchWorker` runs the loop; the work is done by its parts:

- `batch_planning.BatchPlanner`: cuts batches from the open orders, sized to the gas budget,
  and re-plans a batch after its simulation;
- `settle_simulation.SettleSimulator`: simulates a planned batch, drops the orders that make
  it revert and trims it until it settles within the budget;
- `settle_transactions.SettleTransactions`: signs, stores and sends its transaction, then
  follows it to final (receipts, gas bumps, reorgs).
"""

from __future__ import annotations

import logging
import threading
import time

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from crossbook.relayer.batch_planning import BatchPlanner
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.db.models import BatchStatus
from crossbook.relayer.lock import SubmitterLock
from crossbook.relayer.reconcile import EventFollower
from crossbook.relayer.rows import BatchRecord
from crossbook.relayer.settle_simulation import SettleSimulator
from crossbook.relayer.settle_transactions import SettleTransactions

log = logging.getLogger("crossbook.relayer.submitter")


class BatchWorker:
    def __init__(
        self,
        ctx: RelayerContext,
        w3: Web3,
        settlement: Contract,
        key: bytes,
        lock: SubmitterLock,
        follower: EventFollower | None = None,
    ) -> None:
        self.ctx = ctx
        self.w3 = w3
        self.account: LocalAccount = Account.from_key(key)
        self.lock = lock
        self.follower = follower  # other relayers' fills, on-chain cancellations
        self.planner = BatchPlanner(ctx, w3, settlement)
        self.simulator = SettleSimulator(ctx, w3, settlement, self.account.address, self.planner)
        self.transactions = SettleTransactions(ctx, w3, settlement, self.account, self.simulator)
        self._stop = threading.Event()
        self._draining = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_cut = 0.0
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
            if not self.ctx.store.batches.active_batches() or not self._thread.is_alive():
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
        expired = store.orders.expire(int(time.time()))
        for uid in expired:
            self.ctx.events.publish({"type": "order", "uid": uid, "status": "expired"})
        head = int(self.w3.eth.block_number)
        self.transactions.recheck_final(head)
        for batch in store.batches.active_batches():  # oldest first: nonces go out in order
            self.advance(batch, head)
        if self.follower is not None:
            self.follower.follow(head)
        settings = self.ctx.settings
        if self._draining.is_set():
            return
        if len(store.batches.active_batches()) >= settings.max_inflight_batches:
            return
        if time.monotonic() - self._last_cut < settings.batch_interval_s:
            return
        self._last_cut = time.monotonic()
        for batch_id in self.cut():
            planned = store.batches.batch(batch_id)
            if planned is not None:
                self.advance(planned, head)  # submit now: the next block may have room

    def cut(self) -> list[int]:
        """Plan batches from the open orders; returns the ids of those stored."""
        return self.planner.cut()

    def advance(self, batch: BatchRecord, head: int) -> None:
        """One move along planned -> submitted -> mined -> final, as far as the chain allows."""
        status = batch["status"]
        if status == BatchStatus.PLANNED:
            self.submit(batch)
        elif status == BatchStatus.SUBMITTED:
            if self.transactions.watch(batch, head) and self.ctx.settings.confirmations <= 1:
                mined = self.ctx.store.batches.batch(int(batch["id"]))
                if mined is not None and mined["status"] == BatchStatus.MINED:
                    self.transactions.confirm(mined)
        elif status == BatchStatus.MINED:
            self.transactions.confirm(batch)

    def submit(self, batch: BatchRecord) -> None:
        """Planned -> submitted: simulated until it settles within the gas budget (or failed),
        then signed, stored and sent."""
        batch_id = int(batch["id"])
        simulated = self.simulator.simulate_batch(batch_id)
        if simulated is not None:
            self.transactions.send(batch_id, simulated)
