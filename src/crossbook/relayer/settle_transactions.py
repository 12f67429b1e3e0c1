"""A batch's settle transaction, from signing to final.

send      -> the simulated call, with the access list its simulation generated, is signed
             with our own nonce, stored (raw bytes and hash) and only then broadcast.
submitted -> wait for a receipt; rebroadcast if the node lost it; after `stuck_after_s`
             replace it at the same nonce with fees raised >= 12.5%.
mined     -> wait for `confirmations` blocks, re-checking the block is still canonical (a
             reorg sends the batch back to submitted); then the fills are read from the
             receipt's Trade events, which is what the store records: the chain is the
             source of truth.
final     -> for `reorg_window_blocks`, its block must stay canonical (`recheck_final`): a
             deeper reorg takes its fills back and sends it again.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from typing import Any, TypeVar

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TransactionNotFound
from web3.types import RPCEndpoint

from crossbook.relayer.access_list import AccessList
from crossbook.relayer.chain import ChainReadError
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.db.models import BatchStatus
from crossbook.relayer.rows import BatchRecord, legs_of
from crossbook.relayer.settle_simulation import SettleSimulator, SimulatedBatch, SimulationOutOfGas
from crossbook.relayer.settlement_events import TRADE as TRADE_TOPIC
from crossbook.relayer.settlement_events import ChainTrade, decode_trade_data

# the worker's one logger, whichever of its parts logs
log = logging.getLogger("crossbook.relayer.submitter")
#: how long our nonce may show as used with no receipt of ours before the batch is failed
UNRECORDED_TX_GRACE_S = 10.0

_T = TypeVar("_T")


def _recorded(value: _T | None) -> _T:
    """A column of a submitted batch, which its first transaction set."""
    if value is None:
        raise ValueError("a submitted batch without its transaction's columns")
    return value


@functools.lru_cache(maxsize=65_536)
def checksum(raw: bytes) -> str:
    """EIP-55 form of a 20-byte address (cached: a batch repeats owners and tokens)."""
    return Web3.to_checksum_address(raw)


class SettleTransactions:
    def __init__(
        self,
        ctx: RelayerContext,
        w3: Web3,
        settlement: Contract,
        account: LocalAccount,
        simulator: SettleSimulator,
    ) -> None:
        self.ctx = ctx
        self.w3 = w3
        self.settlement = settlement
        self.account = account
        self.simulator = simulator
        self._nonce_used_at: dict[int, float] = {}  # batch id -> when its nonce was seen used
        self._watched_at: dict[int, int] = {}  # batch id -> head block of its last receipt check
        self._final_checked_at = -1  # head of the last recheck_final

    # ------------------------------------------------------------ planned -> submitted

    def send(self, batch_id: int, simulated: SimulatedBatch) -> None:
        """Sign the simulated batch's transaction at our next nonce, store it, broadcast it."""
        nonce = self._next_nonce(batch_id)
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        priority = max(int(self.w3.eth.max_priority_fee), 10**9)
        max_fee = min(2 * base_fee + priority, self.ctx.settings.max_gas_price_wei)
        tx = self._transaction(
            simulated.call,
            nonce,
            simulated.gas,
            max_fee,
            min(priority, max_fee),
            simulated.access_list,
        )
        self._sign_store_send(batch_id, tx, [], first=True)

    def _next_nonce(self, batch_id: int) -> int:
        """The chain's pending nonce, or one past the last of our transactions still on their
        way if the node has not seen them all (one lost from its pool is rebroadcast by
        `watch` at its own nonce)."""
        chain = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
        ours = [
            int(b["tx_nonce"]) + 1
            for b in self.ctx.store.batches.active_batches()
            if b["tx_nonce"] is not None and int(b["id"]) != batch_id
        ]
        return max([chain, *ours])

    def _transaction(
        self,
        call: dict[str, Any],
        nonce: int,
        gas: int,
        max_fee: int,
        priority: int,
        access_list: AccessList,
    ) -> dict[str, Any]:
        return {
            "to": call["to"],
            "data": call["data"],
            "value": 0,
            "type": 2,
            "nonce": nonce,
            "gas": self._gas_limit(gas),
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "chainId": self.ctx.domain.chain_id,
            "accessList": access_list,
        }

    def _gas_limit(self, estimate: int) -> int:
        """A margin over the estimate, but never above the block gas limit: `settle` uses the
        gas it was estimated with (no state-dependent loops), and a margin that pushed the
        limit past the block's would keep a batch sized to fill a block out of every block."""
        block_limit = int(self.w3.eth.get_block("latest")["gasLimit"])
        return max(estimate, min(int(estimate * 1.25) + 50_000, block_limit))

    def _sign_store_send(self, batch_id: int, tx: Any, hashes: list[str], *, first: bool) -> None:
        signed = self.account.sign_transaction(tx)
        raw = bytes(signed.raw_transaction)
        tx_hash = "0x" + bytes(signed.hash).hex()
        # persisted before it is broadcast: a crash right after sending still knows the tx
        self.ctx.store.batches.update_batch(
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
        log.info(
            "batch %d %s: tx %s nonce %d",
            batch_id,
            "sent" if first else "bumped",
            tx_hash,
            tx["nonce"],
        )
        self.ctx.metrics.inc(
            "crossbook_relayer_transactions_total", "settle txs", kind="first" if first else "bump"
        )

    def _broadcast(self, raw: bytes) -> None:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:  # "already known", "nonce too low": the receipt check decides
            log.info("broadcast: %s", exc)

    # ------------------------------------------------------------ submitted -> mined

    def watch(self, batch: BatchRecord, head: int) -> bool:
        """True when the batch's transaction was found mined (the batch is now MINED)."""
        batch_id = int(batch["id"])
        hashes: list[str] = json.loads(batch["tx_hashes"])
        nonce = int(_recorded(batch["tx_nonce"]))
        stuck = time.time() - float(batch["submitted_at"] or 0) > self.ctx.settings.stuck_after_s
        if self._watched_at.get(batch_id) == head and not stuck:
            return False  # no new block since the last look: no new receipt either
        # read before the receipts: a tx of ours mined after this read is found below, so a
        # used nonce with no receipt of ours really was an unrecorded tx (read after them, a
        # block landing in between would make a settled batch look lost)
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
                self.ctx.store.batches.fail_batch(
                    batch_id, f"settle reverted in tx {tx_hash}", penalise=not legs_of(batch)
                )
                self.ctx.metrics.inc("crossbook_relayer_batches_total", "batches", status="failed")
                return False
            self.ctx.store.batches.update_batch(
                batch_id,
                status=BatchStatus.MINED,
                mined_tx=tx_hash,
                block_number=int(receipt["blockNumber"]),
                gas_used=int(receipt["gasUsed"]),
            )
            return True
        # this head was looked at only once every read succeeded: a failed read is tried
        # again at the next step, not at the next block
        self._watched_at[batch_id] = head
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
            self.ctx.store.batches.fail_batch(batch_id, f"nonce {nonce} used by an unrecorded tx")
            return False
        if stuck:
            self.bump(batch, hashes)
            return False
        if not self._known(hashes[-1]):
            self._broadcast(bytes(_recorded(batch["raw_tx"])))  # the node lost it (restart, reorg)
        return False

    def _known(self, tx_hash: str) -> bool:
        """Whether the node has the transaction (pending or mined)."""
        try:
            self.w3.eth.get_transaction(HexBytes(tx_hash))
        except TransactionNotFound:
            return False
        return True

    def bump(self, batch: BatchRecord, hashes: list[str]) -> None:
        """Replace the stuck tx at the same nonce; fees up by gas_bump_percent (>= 12.5%)."""
        percent = max(self.ctx.settings.gas_bump_percent, 12.5)
        old_prio = int(_recorded(batch["priority_fee"]))
        old_max = int(_recorded(batch["max_fee"]))
        priority = math.ceil(old_prio * (100 + percent) / 100)
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        max_fee = max(math.ceil(old_max * (100 + percent) / 100), 2 * base_fee + priority)
        if max_fee > self.ctx.settings.max_gas_price_wei:
            log.warning("batch %d: bump would exceed max_gas_price_wei; waiting", batch["id"])
            return
        built = self.simulator.batch_fills(int(batch["id"]))
        if built is None:
            return
        call, _direct = self.simulator.settle_call(*built)
        try:
            gas, access_list = self.simulator.simulate(call, block="latest")
        except (ContractLogicError, SimulationOutOfGas) as exc:  # the orders changed on chain
            if self._known(hashes[-1]):  # it lands as it is (and fails on chain if it reverts)
                log.warning("batch %d: not bumping, simulation fails: %s", batch["id"], exc)
                return
            # the node lost it, and it would now revert: nothing of ours is on its way at this
            # nonce, so the batch fails and its orders are matched afresh (the next simulation
            # drops the one that changed)
            log.warning("batch %d: lost, and it no longer settles: %s", batch["id"], exc)
            self.ctx.store.batches.fail_batch(
                int(batch["id"]), f"lost, and it no longer settles: {exc}"[:500], penalise=False
            )
            return
        new_tx = self._transaction(
            call, int(_recorded(batch["tx_nonce"])), gas, max_fee, priority, access_list
        )
        self._sign_store_send(int(batch["id"]), new_tx, hashes, first=False)

    # ------------------------------------------------------------ mined -> final

    def confirm(self, batch: BatchRecord) -> None:
        """Final once `confirmations` blocks deep, with the fills its receipt records."""
        batch_id, tx_hash = int(batch["id"]), str(batch["mined_tx"])
        receipt = self._receipt(tx_hash)
        head = self.w3.eth.block_number
        if receipt is None or int(receipt["blockNumber"]) > head:
            log.warning("batch %d: tx %s left the chain (reorg); resubmitting", batch_id, tx_hash)
            self.ctx.store.batches.update_batch(
                batch_id, status=BatchStatus.SUBMITTED, mined_tx=None
            )
            self._broadcast(bytes(_recorded(batch["raw_tx"])))
            return
        block = self.w3.eth.get_block(int(receipt["blockNumber"]))
        if bytes(block["hash"]) != bytes(receipt["blockHash"]):
            self.ctx.store.batches.update_batch(
                batch_id, status=BatchStatus.SUBMITTED, mined_tx=None
            )
            return
        if head - int(receipt["blockNumber"]) + 1 < self.ctx.settings.confirmations:
            return
        trades = self.trades_from_receipt(receipt)
        self.ctx.store.batches.finalize_batch(
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
            self.ctx.events.publish(t.event(batch_id))
        self.ctx.events.publish(
            {
                "type": "batch",
                "id": batch_id,
                "status": "final",
                "fills": len(trades),
                "txHash": tx_hash,
            }
        )
        log.info(
            "batch %d final: %d fills in block %d", batch_id, len(trades), receipt["blockNumber"]
        )

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
        for batch in self.ctx.store.batches.recent_final_batches(window):
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
            taken = self.ctx.store.batches.unfinalize_batch(int(batch["id"]))
            log.warning(
                "batch %d: block %d left the chain after the batch was final (a reorg "
                "deeper than %d confirmations); %d fills taken back, resubmitting",
                batch["id"],
                number,
                self.ctx.settings.confirmations,
                taken,
            )
            self.ctx.metrics.inc("crossbook_relayer_deep_reorgs_total", "final batches reorged")
            self.ctx.events.publish(
                {"type": "batch", "id": int(batch["id"]), "status": "submitted", "reason": "reorg"}
            )
            raw_tx = batch["raw_tx"]
            if raw_tx is not None:
                self._broadcast(bytes(raw_tx))

    # ------------------------------------------------------------ receipts

    def _receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """The receipt with the fields we read, from the raw RPC reply: web3's receipt
        formatters are slow for receipts of hundreds of logs, and we read few fields."""
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
        """The settlement contract's Trade events in a receipt."""
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
