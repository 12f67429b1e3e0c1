"""The event follower: brings the store in line with the settlement contract's events, the
source of truth for fills and cancellations that did not go through a batch of ours.

The submitter worker (the lock holder only) calls `follow` on every new head. From a
persisted cursor (last block applied + its hash) it reads the contract's logs with
`eth_getLogs` in ranges of at most `reconcile_log_range_blocks`, up to the block that has
`confirmations` blocks on the chain (itself included, as for batches), and applies each range
in one database transaction together with the cursor move (`ReconcileStore.apply`):

- `Trade` of an order we hold, from a transaction none of our batches recorded: the fill is
  stored (visible in `GET /v1/trades`) and counted; the order is filled (fill-or-kill, or
  fully executed) or keeps its status (a partial fill);
- `OrderCancelled`, `NonceInvalidated` (fill-or-kill orders of those nonce bits),
  `NonceFloorRaised` (every order of the owner below the floor) and `PreSignatureSet(false)`
  for a pre-signed order: live (open or pending) orders become `cancelled` with the event as
  reason. A pre-signature set again reopens an order its revocation had cancelled.

A node error leaves the cursor where it was (the range is read again on the next step; a
failed `eth_getLogs` halves the range, for nodes that cap it). If the block under the cursor
is no longer the one applied (a reorg deeper than the confirmations), the cursor goes back
`reorg_window_blocks` and what was applied above it is undone before it is read again.
"""

from __future__ import annotations

import logging
from typing import Any

from web3 import Web3
from web3.types import RPCEndpoint

from crossbook.relayer.chain import ChainReadError
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.reconcile_store import Applied, Cursor, CursorMoved, ReconcileStore
from crossbook.relayer.settlement_events import (
    FOLLOWED_TOPICS,
    TRADE,
    SettlementEvent,
    decode_log,
)

log = logging.getLogger("crossbook.relayer.reconcile")
#: ranges applied per call, so a long catch-up does not hold the worker's other duties back
MAX_RANGES_PER_STEP = 8


class EventFollower:
    def __init__(
        self,
        ctx: RelayerContext,
        w3: Web3,
        settlement_address: str,
        deployment_block: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.w3 = w3
        self.address = Web3.to_checksum_address(settlement_address)
        self.deployment_block = deployment_block
        self.store = ReconcileStore(ctx.store.engine)
        self._max_range = ctx.settings.reconcile_log_range_blocks
        self._range = self._max_range
        self._followed_head = -1  # the head of the last complete `follow`

    # ------------------------------------------------------------ RPC

    def _rpc(self, method: str, params: list[Any]) -> Any:
        try:
            reply = self.w3.provider.make_request(RPCEndpoint(method), params)
        except Exception as exc:  # connection refused, timeout: the node is away
            raise ChainReadError(f"{method} failed: {exc}") from exc
        if "error" in reply:
            raise ChainReadError(f"{method} failed: {reply['error']}")
        return reply.get("result")

    def _block_hash(self, number: int) -> str | None:
        """The canonical hash at `number` (None below block 0)."""
        if number < 0:
            return None
        block = self._rpc("eth_getBlockByNumber", [hex(number), False])
        if not block:
            raise ChainReadError(f"the node has no block {number}")
        return str(block["hash"]).lower()

    def _logs(self, first: int, last: int) -> list[SettlementEvent]:
        entries = self._rpc(
            "eth_getLogs",
            [
                {
                    "address": self.address,
                    "fromBlock": hex(first),
                    "toBlock": hex(last),
                    "topics": [list(FOLLOWED_TOPICS)],
                }
            ],
        )
        if not isinstance(entries, list):
            raise ChainReadError(f"eth_getLogs returned {type(entries).__name__}, not a list")
        canonical = [e for e in entries if not e.get("removed")]
        # our own batches' fills (a block's worth each) are the receipt path's: not decoded
        ours = self.store.our_transactions(
            str(e["transactionHash"]).lower() for e in canonical if e["topics"][:1] == [TRADE]
        )
        canonical = [e for e in canonical if str(e["transactionHash"]).lower() not in ours]
        canonical.sort(key=lambda e: (int(e["blockNumber"], 16), int(e["logIndex"], 16)))
        return [ev for e in canonical if (ev := decode_log(e)) is not None]

    # ------------------------------------------------------------ cursor

    def start_block(self, head: int) -> int:
        """Where a follower with no cursor starts: `reconcile_from_block`, else the
        contract's deployment block, else `reconcile_start_window_blocks` back from head."""
        settings = self.ctx.settings
        if settings.reconcile_from_block is not None:
            return settings.reconcile_from_block
        if self.deployment_block is not None:
            return self.deployment_block
        return max(0, head - settings.reconcile_start_window_blocks)

    def cursor(self, head: int) -> Cursor:
        cursor = self.store.cursor()
        if cursor is None:
            start = self.start_block(head) - 1
            cursor = self.store.start_cursor(Cursor(start, self._block_hash(start)))
            log.info("event follower starts after block %d", cursor.block_number)
        return cursor

    # ------------------------------------------------------------ following

    def follow(self, head: int) -> None:
        """Apply the confirmed blocks up to `head`'s depth (once per head; a node error is
        logged and the same blocks are read on the next call)."""
        if head == self._followed_head:
            return
        try:
            if self._follow(head):
                self._followed_head = head
        except (ChainReadError, CursorMoved) as exc:
            log.warning("event follower: %s; the cursor stays, retrying", exc)

    def _follow(self, head: int) -> bool:
        """True once the cursor reached the confirmed block."""
        confirmed = head - max(self.ctx.settings.confirmations, 1) + 1
        cursor = self.cursor(head)
        for _ in range(MAX_RANGES_PER_STEP):
            if cursor.block_number > head or self._block_hash(cursor.block_number) != (
                cursor.block_hash
            ):
                cursor = self._rewind(cursor, min(head, cursor.block_number))
                continue
            if cursor.block_number >= confirmed:
                return True
            first = cursor.block_number + 1
            last = min(confirmed, first + self._range - 1)
            last_hash = self._block_hash(last)
            try:
                events = self._logs(first, last)
            except ChainReadError:
                self._range = max(1, self._range // 2)
                raise
            self._range = min(self._max_range, self._range * 2)
            new = Cursor(last, last_hash)
            self._publish(self.store.apply(events, cursor, new))
            cursor = new
        return cursor.block_number >= confirmed

    def _rewind(self, cursor: Cursor, below: int) -> Cursor:
        depth = max(self.ctx.settings.reorg_window_blocks, 1)
        target = max(-1, below - depth)
        to = Cursor(target, self._block_hash(target))
        applied = self.store.rewind(cursor, to)
        log.warning(
            "event follower: block %d is no longer the one applied (a reorg); back to block "
            "%d, %d order(s) changed back",
            cursor.block_number,
            target,
            len(applied.statuses),
        )
        self.ctx.metrics.inc("crossbook_relayer_reconcile_rewinds_total", "event follower rewinds")
        self._publish(applied)
        return to

    def _publish(self, applied: Applied) -> None:
        metrics, events = self.ctx.metrics, self.ctx.events
        for t in applied.trades:
            events.publish(t.event(None))
        for uid, market, status in applied.statuses:
            events.publish({"type": "order", "uid": uid, "market": market, "status": status})
        if applied.trades:
            metrics.inc(
                "crossbook_relayer_reconciled_fills_total",
                "fills read from events",
                len(applied.trades),
            )
        if applied.statuses:
            log.info(
                "event follower: %d fill(s), %d order status change(s)",
                len(applied.trades),
                len(applied.statuses),
            )
