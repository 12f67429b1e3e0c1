"""`crossbook devnet up|down` and `crossbook demo`: the local Anvil devnet and the whole
exchange trading on one."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crossbook.cli.common import needs
from crossbook.errors import DevnetError

if TYPE_CHECKING:
    from crossbook.devnet import Devnet


def state_file() -> Path:
    """Where `devnet up --detach` records the node it left running."""
    from crossbook.paths import project_root

    return project_root() / ".devnet" / "state.json"


@contextlib.contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so that the `finally` blocks stop Anvil and the relayer."""
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def print_devnet(dn: Devnet) -> None:
    click.echo(f"rpc url    {dn.node.rpc_url}")
    click.echo(f"chain id   {dn.manifest.chain_id}")
    click.echo(f"mining     {dn.node.config.mining.value}")
    for name, contract in sorted(dn.manifest.contracts.items()):
        click.echo(f"contract   {name:<20} {contract.address}  (block {contract.block})")
    for i, account in enumerate(dn.accounts[:4]):
        click.echo(f"account {i}  {account.address}")


@click.group()
def devnet() -> None:
    """Run a local Anvil devnet with the whole suite deployed."""


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
@needs(checkout=True)
def devnet_up(
    mining: str, block_time: float, port: int | None, chain_id: int, detach: bool
) -> None:
    """Start Anvil, deploy the suite, write deployments/<chain-id>.json, mint tokens."""
    from crossbook.devnet import AnvilConfig, Devnet, MiningMode

    state = state_file()
    if detach and state.exists():
        raise DevnetError(
            f"a detached devnet is already recorded in {state}; run `crossbook devnet down` first"
        )
    config = AnvilConfig(
        chain_id=chain_id, mining=MiningMode(mining), block_time=block_time, port=port
    )
    with sigterm_as_exit():
        dn = Devnet.launch(config, detached=detach)
        print_devnet(dn)
        if detach:
            assert dn.node.process is not None
            state.parent.mkdir(parents=True, exist_ok=True)
            record = {"pid": dn.node.process.pid, "rpc_url": dn.node.rpc_url, "chain_id": chain_id}
            state.write_text(json.dumps(record))
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
@needs(checkout=True)
def devnet_down() -> None:
    """Stop a devnet started with `devnet up --detach`."""
    state = state_file()
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


@click.command()
@click.option(
    "--serve",
    is_flag=True,
    help="Keep the wallets trading, and the trading page served, until Ctrl-C.",
)
@needs(checkout=True, extra="relayer")
def demo(serve: bool) -> None:
    """The main job: devnet, suite, relayer (serving the trading page) and sample wallets
    trading for a while; a summary."""
    from crossbook.devnet.demo import TRADING_SECONDS, run_demo

    with sigterm_as_exit():
        run_demo(click.echo, seconds=None if serve else TRADING_SECONDS)
