"""Named gas scenarios: full transaction gas (receipt ``gasUsed``) measured on Anvil.

Each scenario runs on a fresh devnet state (an ``evm_snapshot`` taken after deployment and
reverted after the scenario), so a figure does not depend on which scenarios ran before it.
``snapshots/gas.json`` holds the committed figures; ``check`` reports every drift;
``crossbook bench gas --write-page`` records the figures on docs/benchmarks.md
(`crossbook.bench.page`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from web3 import Web3
from web3.contract import Contract

from crossbook.artifacts import load_artifact
from crossbook.chain import wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.errors import CrossbookError
from crossbook.paths import snapshots_dir


class GasSnapshotError(CrossbookError, ValueError):
    """The gas snapshot file is missing, malformed or names an unknown scenario."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    target: int | None  # the most gas the figure should take, if the scenario has a target
    per: int  # the figure is the transaction gas divided by this (1 = whole transaction)
    run: Callable[[Devnet], int]  # returns the receipt gasUsed of the measured transaction


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str, description: str, target: int | None = None, per: int = 1
) -> Callable[[Callable[[Devnet], int]], Callable[[Devnet], int]]:
    def register(fn: Callable[[Devnet], int]) -> Callable[[Devnet], int]:
        if name in SCENARIOS:
            raise GasSnapshotError(f"gas scenario {name!r} registered twice")
        SCENARIOS[name] = Scenario(name, description, target, per, fn)
        return fn

    return register


def token_contract(devnet: Devnet, symbol: str) -> Contract:
    info = devnet.manifest.tokens[symbol]
    return devnet.w3.eth.contract(
        address=Web3.to_checksum_address(info.address), abi=load_artifact("MockERC20").abi
    )


@scenario("erc20_transfer_warm", "MockERC20 transfer between two holders (both balances nonzero)")
def _erc20_transfer(devnet: Devnet) -> int:
    weth = token_contract(devnet, "WETH")
    sender, receiver = devnet.accounts[1].address, devnet.accounts[2].address
    tx = weth.functions.transfer(receiver, 10**18).transact({"from": sender})
    return int(wait_for_receipt(devnet.w3, tx, "transfer")["gasUsed"])


def measure(names: Iterable[str] | None = None) -> dict[str, int]:
    """Run the named scenarios (all by default) on one fresh devnet; figures per scenario."""
    _load_scenario_modules()
    selected = list(names) if names is not None else sorted(SCENARIOS)
    unknown = [n for n in selected if n not in SCENARIOS]
    if unknown:
        raise GasSnapshotError(f"unknown gas scenario(s): {', '.join(unknown)}")
    results: dict[str, int] = {}
    with Devnet.launch() as devnet:
        for name in selected:
            snap = devnet.node.snapshot()
            try:
                gas = SCENARIOS[name].run(devnet)
            finally:
                devnet.node.revert(snap)
            results[name] = gas // SCENARIOS[name].per
    return results


def _load_scenario_modules() -> None:
    """Scenario modules of later components register themselves on import."""
    import importlib

    for module in (
        "crossbook.bench.gas_settlement",
        "crossbook.bench.gas_book",
        "crossbook.bench.gas_amm",
        "crossbook.bench.gas_router",
    ):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def snapshot_path() -> Path:
    return snapshots_dir() / "gas.json"


def read_snapshot(path: Path | None = None) -> dict[str, int]:
    path = path or snapshot_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise GasSnapshotError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise GasSnapshotError(f"{path} must map scenario names to integer gas figures")
    return data


def write_snapshot(figures: dict[str, int], path: Path | None = None) -> Path:
    path = path or snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(figures.items())), indent=2) + "\n")
    return path


@dataclass(frozen=True)
class Row:
    name: str
    measured: int
    snapshot: int | None
    target: int | None

    @property
    def drift(self) -> int | None:
        return None if self.snapshot is None else self.measured - self.snapshot

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.measured <= self.target


def compare(measured: dict[str, int], snapshot: dict[str, int]) -> list[Row]:
    return [
        Row(name, gas, snapshot.get(name), SCENARIOS[name].target)
        for name, gas in sorted(measured.items())
    ]


def format_table(rows: list[Row]) -> str:
    header = f"{'scenario':<40} {'measured':>10} {'snapshot':>10} {'drift':>8} {'target':>9}  ok"
    lines = [header, "-" * len(header)]
    for r in rows:
        snap = "-" if r.snapshot is None else f"{r.snapshot:,}"
        drift = "-" if r.drift is None else f"{r.drift:+,}"
        target = "-" if r.target is None else f"{r.target:,}"
        ok = {None: "", True: "yes", False: "NO"}[r.meets_target]
        lines.append(f"{r.name:<40} {r.measured:>10,} {snap:>10} {drift:>8} {target:>9}  {ok}")
    return "\n".join(lines)
