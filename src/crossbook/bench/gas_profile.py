"""Where a transaction's gas goes: opcode classes per call depth, from Anvil's step traces.

`crossbook bench gas-profile settle-wallet|settle-internal`: the measured batch of a settle
scenario is traced and its execution gas split into storage reads and writes, logs, hashing,
calls and everything else; calldata and the 21,000 base make up the rest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from crossbook.devnet import AnvilConfig, Devnet
from crossbook.order import OrderFlags

_NAMED = {"SLOAD", "SSTORE", "LOG1", "LOG2", "LOG3", "LOG4", "KECCAK256", "TLOAD", "TSTORE"}
_CALLS = {"CALL", "STATICCALL", "DELEGATECALL"}


@dataclass(frozen=True)
class GasProfile:
    gas_used: int
    calldata_gas: int
    by_class: dict[str, int]  # "depth:class" -> gas

    @property
    def execution_gas(self) -> int:
        return sum(self.by_class.values())


def profile_transaction(dn: Devnet, tx_hash: bytes) -> GasProfile:
    h = "0x" + tx_hash.hex().removeprefix("0x")
    trace: dict[str, Any] = dn.node.rpc("debug_traceTransaction", [h, {}])
    steps: list[dict[str, Any]] = trace["structLogs"]
    if not steps:
        raise RuntimeError("no step trace: start Anvil with --steps-tracing")
    totals: Counter[str] = Counter()
    for i, step in enumerate(steps):
        op, depth = step["op"], step["depth"]
        if op in _CALLS:
            # the call's own cost: gas before it minus gas after it returns, minus the callee's
            j = i + 1
            while j < len(steps) and steps[j]["depth"] != depth:
                j += 1
            after = steps[j]["gas"] if j < len(steps) else step["gas"]
            callee = sum(
                s["gasCost"]
                for s in steps[i + 1 : j]
                if s["depth"] == depth + 1 and s["op"] not in _CALLS
            )
            totals[f"{depth}:{op}"] += step["gas"] - after - callee
        else:
            totals[f"{depth}:{op if op in _NAMED else 'other'}"] += step["gasCost"]
    tx = dn.w3.eth.get_transaction(h)  # type: ignore[arg-type]
    data = bytes(tx["input"])
    zeros = data.count(0)
    receipt = dn.w3.eth.get_transaction_receipt(h)  # type: ignore[arg-type]
    return GasProfile(int(receipt["gasUsed"]), 4 * zeros + 16 * (len(data) - zeros), dict(totals))


def profile_settlement(internal: bool, makers: int = 100) -> GasProfile:
    """The measured batch of settle_100_orders_per_fill_{wallet,internal}, traced."""
    from crossbook.bench import gas_settlement as gs
    from crossbook.chain import wait_for_receipt
    from crossbook.settlement import build_batch

    flags = int(OrderFlags.SELL_FROM_INTERNAL | OrderFlags.BUY_TO_INTERNAL) if internal else 0
    with Devnet.launch(AnvilConfig(extra_args=("--steps-tracing",))) as dn:
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
        return profile_transaction(dn, tx)


def format_profile(profile: GasProfile, per: int) -> str:
    base = 21_000
    lines = [f"{'where (call depth:opcode class)':<34} {'gas':>11} {'per fill':>9}"]
    rows = sorted(profile.by_class.items(), key=lambda kv: -kv[1])
    rows += [("calldata", profile.calldata_gas), ("transaction base", base)]
    for name, gas in rows:
        lines.append(f"{name:<34} {gas:>11,} {gas / per:>9,.0f}")
    other = profile.gas_used - profile.execution_gas - profile.calldata_gas - base
    lines.append(f"{'(refunds, unattributed)':<34} {other:>11,} {other / per:>9,.0f}")
    lines.append(f"{'total gasUsed':<34} {profile.gas_used:>11,} {profile.gas_used / per:>9,.0f}")
    return "\n".join(lines)
