"""Where a transaction's gas goes: opcode classes per call depth, from Anvil's step traces.

`crossbook bench gas-profile settle-wallet|settle-internal`: the measured batch of a settle
scenario is traced and its execution gas split into storage reads and writes, logs, hashing,
calls and everything else; calldata, the 21,000 base and the storage refund make up the rest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from web3 import Web3

from crossbook.devnet import AnvilConfig, AnvilNode, Devnet
from crossbook.errors import DevnetError
from crossbook.order import OrderFlags

_NAMED = {"SLOAD", "SSTORE", "LOG1", "LOG2", "LOG3", "LOG4", "KECCAK256", "TLOAD", "TSTORE"}
#: the opcodes that run code in a frame of their own, one call depth deeper
_FRAMES = {"CALL", "STATICCALL", "DELEGATECALL", "CALLCODE", "CREATE", "CREATE2"}
BASE_GAS = 21_000


class StepTraceMissing(DevnetError):
    """The node kept no step trace of a transaction that ran code."""


@dataclass(frozen=True)
class GasProfile:
    gas_used: int
    calldata_gas: int
    by_class: dict[str, int]  # "depth:class" -> gas
    refund: int = 0  # the storage refund the transaction got back (EIP-3529: at most a fifth)

    @property
    def execution_gas(self) -> int:
        return sum(self.by_class.values())

    @property
    def unattributed(self) -> int:
        """What the parts leave out of the receipt's gasUsed: 0 unless the transaction carried
        an access list (EIP-2930) or the calldata floor (EIP-7623) set its price."""
        return self.gas_used - self.execution_gas - self.calldata_gas - BASE_GAS + self.refund


def _frame_end(steps: list[dict[str, Any]], i: int) -> int:
    """The first step after step `i` back at its depth (after the frame `i` opened)."""
    depth, j = steps[i]["depth"], i + 1
    while j < len(steps) and steps[j]["depth"] != depth:
        j += 1
    return j


def _consumed(steps: list[dict[str, Any]], i: int) -> int:
    """The gas step `i` took, the whole frame it opened included."""
    if steps[i]["op"] not in _FRAMES:
        return int(steps[i]["gasCost"])
    j = _frame_end(steps, i)
    return int(steps[i]["gas"]) - (int(steps[j]["gas"]) if j < len(steps) else int(steps[i]["gas"]))


def profile_transaction(node: AnvilNode, w3: Web3, tx_hash: bytes) -> GasProfile:
    h = "0x" + tx_hash.hex().removeprefix("0x")
    trace: dict[str, Any] = node.rpc("debug_traceTransaction", [h, {}])
    steps: list[dict[str, Any]] = trace["structLogs"]
    tx = w3.eth.get_transaction(h)  # type: ignore[arg-type]
    receipt = w3.eth.get_transaction_receipt(h)  # type: ignore[arg-type]
    if not steps and (tx["to"] is None or w3.eth.get_code(tx["to"], receipt["blockNumber"])):
        raise StepTraceMissing(f"no step trace of {h}: start Anvil with --steps-tracing")
    totals: Counter[str] = Counter()
    for i, step in enumerate(steps):
        op, depth = step["op"], step["depth"]
        if op in _FRAMES:
            # the call's own cost: what it took minus what its frame's steps took
            inner = range(i + 1, _frame_end(steps, i))
            callee = sum(_consumed(steps, k) for k in inner if steps[k]["depth"] == depth + 1)
            totals[f"{depth}:{op}"] += _consumed(steps, i) - callee
        else:
            totals[f"{depth}:{op if op in _NAMED else 'other'}"] += step["gasCost"]
    data = bytes(tx["input"])
    zeros = data.count(0)
    calldata = 4 * zeros + 16 * (len(data) - zeros)
    counter = int(steps[-1].get("refund", 0)) if steps else 0
    refund = min(counter, (BASE_GAS + calldata + sum(totals.values())) // 5)
    return GasProfile(int(receipt["gasUsed"]), calldata, dict(totals), refund)


def profile_settlement(internal: bool, makers: int = 100) -> GasProfile:
    """The measured batch of settle_100_orders_per_fill_{wallet,internal}, traced."""
    with Devnet.launch(AnvilConfig(extra_args=("--steps-tracing",))) as dn:
        return profile_transaction(dn.node, dn.w3, settle_measured_batch(dn, internal, makers))


def settle_measured_batch(dn: Devnet, internal: bool, makers: int) -> bytes:
    """A settle scenario's warm-up batch, then its measured batch (sent without an access
    list); the measured batch's transaction hash."""
    from crossbook.bench import gas_settlement as gs
    from crossbook.chain import wait_for_receipt
    from crossbook.settlement import build_batch

    flags = int(OrderFlags.SELL_FROM_INTERNAL | OrderFlags.BUY_TO_INTERNAL) if internal else 0
    group = gs.bench_makers(makers)
    gs.fund_makers(dn, group, internal=internal)
    gs.settle(dn, gs.pair_fills(dn, group, nonce=0, flags=flags))
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    batch = build_batch(
        gs.pair_fills(dn, group, nonce=1, flags=flags),
        {weth: gs.WETH_PRICE, usdc: gs.USDC_PRICE},
    )
    tx = (
        gs.settlement_contract(dn)
        .functions.settle(*batch.args())
        .transact({"from": dn.manifest.roles["relayer"], "gas": 25_000_000})
    )
    wait_for_receipt(dn.w3, tx, "settle")
    return bytes(tx)


def format_profile(profile: GasProfile, per: int) -> str:
    lines = [f"{'where (call depth:opcode class)':<34} {'gas':>11} {'per fill':>9}"]
    rows = sorted(profile.by_class.items(), key=lambda kv: -kv[1])
    rows += [
        ("calldata", profile.calldata_gas),
        ("transaction base", BASE_GAS),
        ("storage refund", -profile.refund),
    ]
    if profile.unattributed:
        rows.append(("(unattributed)", profile.unattributed))
    for name, gas in rows:
        lines.append(f"{name:<34} {gas:>11,} {gas / per:>9,.0f}")
    lines.append(f"{'total gasUsed':<34} {profile.gas_used:>11,} {profile.gas_used / per:>9,.0f}")
    return "\n".join(lines)
