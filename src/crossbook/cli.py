"""The `crossbook` command line."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from crossbook.cli_common import friendly_errors
from crossbook.errors import DevnetError


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress (INFO) to stderr.")
@click.version_option(package_name="crossbook")
def main(verbose: bool) -> None:
    """crossbook: batch-settled EIP-712 orders, AMM pools and an on-chain order book."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# -- devnet ------------------------------------------------------------------------------------
@main.group()
def devnet() -> None:
    """Run a local Anvil devnet with the whole suite deployed."""


def _state_file() -> Path:
    from crossbook.paths import project_root

    return project_root() / ".devnet" / "state.json"


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_devnet(dn: Any) -> None:
    click.echo(f"rpc url    {dn.node.rpc_url}")
    click.echo(f"chain id   {dn.manifest.chain_id}")
    click.echo(f"mining     {dn.node.config.mining.value}")
    for name, contract in sorted(dn.manifest.contracts.items()):
        click.echo(f"contract   {name:<20} {contract.address}  (block {contract.block})")
    for i, account in enumerate(dn.accounts[:4]):
        click.echo(f"account {i}  {account.address}")


@devnet.command("up")
@click.option(
    "--mining",
    type=click.Choice(["auto", "interval", "manual"]),
    default="auto",
    show_default=True,
    help="auto: a block per tx; interval: every --block-time s; manual: only on evm_mine.",
)
@click.option(
    "--block-time",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between blocks with --mining interval.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="RPC port (default: a free one)."
)
@click.option("--chain-id", type=click.IntRange(min=1), default=31337, show_default=True)
@click.option(
    "--detach", is_flag=True, help="Leave the devnet running; stop it with `devnet down`."
)
@friendly_errors
def devnet_up(
    mining: str, block_time: float, port: int | None, chain_id: int, detach: bool
) -> None:
    """Start Anvil, deploy the suite, write deployments/<chain-id>.json, mint tokens."""
    from crossbook.devnet import AnvilConfig, Devnet, MiningMode

    state = _state_file()
    if detach and state.exists():
        raise DevnetError(
            f"a detached devnet is already recorded in {state}; run `crossbook devnet down` first"
        )
    config = AnvilConfig(
        chain_id=chain_id, mining=MiningMode(mining), block_time=block_time, port=port
    )
    with _sigterm_as_exit():
        dn = Devnet.launch(config, detached=detach)
        _print_devnet(dn)
        if detach:
            assert dn.node.process is not None
            state.parent.mkdir(parents=True, exist_ok=True)
            state.write_text(
                json.dumps(
                    {"pid": dn.node.process.pid, "rpc_url": dn.node.rpc_url, "chain_id": chain_id}
                )
            )
            click.echo(f"detached (pid {dn.node.process.pid}); stop with `crossbook devnet down`")
            return
        click.echo("running; Ctrl-C to stop")
        try:
            while dn.node.process is not None and dn.node.process.poll() is None:
                time.sleep(0.5)
            raise DevnetError(f"anvil exited unexpectedly: {dn.node.log_tail()}")
        except KeyboardInterrupt:
            click.echo("stopping")
        finally:
            dn.stop()


@devnet.command("down")
@friendly_errors
def devnet_down() -> None:
    """Stop a devnet started with `devnet up --detach`."""
    state = _state_file()
    if not state.exists():
        raise DevnetError("no detached devnet is recorded; nothing to stop")
    pid = int(json.loads(state.read_text())["pid"])
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"anvil" in cmdline.read_bytes():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            if not cmdline.exists():
                break
            time.sleep(0.1)
        click.echo(f"stopped anvil (pid {pid})")
    else:
        click.echo(f"anvil (pid {pid}) was not running")
    state.unlink()


# -- demo --------------------------------------------------------------------------------------
@main.command()
@friendly_errors
def demo() -> None:
    """The main job: devnet, suite, relayer and sample wallets trading for a while; a summary."""
    from crossbook.devnet.demo import run_demo

    with _sigterm_as_exit():
        run_demo(click.echo)


# -- bench -------------------------------------------------------------------------------------
@main.group()
def bench() -> None:
    """Benchmarks."""


@bench.command("gas-profile")
@click.argument("scenario", type=click.Choice(["settle-wallet", "settle-internal"]))
@friendly_errors
def bench_gas_profile(scenario: str) -> None:
    """Split the gas of a settle scenario's measured batch by opcode class (step traces)."""
    from crossbook.bench.gas_profile import format_profile, profile_settlement

    profile = profile_settlement(internal=scenario == "settle-internal")
    click.echo(format_profile(profile, per=100))


@bench.command("gas")
@click.argument("scenarios", nargs=-1)
@click.option("--update", is_flag=True, help="Write the figures to snapshots/gas.json.")
@click.option("--check", is_flag=True, help="Exit 1 if any figure differs from the snapshot.")
@friendly_errors
def bench_gas(scenarios: tuple[str, ...], update: bool, check: bool) -> None:
    """Measure gas scenarios on a fresh Anvil and print them against snapshots/gas.json."""
    from crossbook.bench import gas

    snapshot = gas.read_snapshot()
    measured = gas.measure(scenarios or None)
    click.echo(gas.format_table(gas.compare(measured, snapshot)))
    if update:
        path = gas.write_snapshot({**snapshot, **measured})
        click.echo(f"wrote {path}")
    elif check:
        drifted = [n for n, g in measured.items() if snapshot.get(n) != g]
        if drifted:
            raise gas.GasSnapshotError(f"gas differs from the snapshot: {', '.join(drifted)}")


from crossbook.cli_relayer import relayer  # noqa: E402

main.add_command(relayer)
from crossbook.cli_pool import pool  # noqa: E402

main.add_command(pool)
from crossbook.cli_book import book  # noqa: E402

main.add_command(book)
from crossbook.cli_wallet import approve, balance, deploy, deposit, order, withdraw  # noqa: E402

main.add_command(order)
main.add_command(balance)
main.add_command(approve)
main.add_command(deposit)
main.add_command(withdraw)
main.add_command(deploy)
from crossbook.cli_router import swap  # noqa: E402

main.add_command(swap)
