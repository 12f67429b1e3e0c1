"""`crossbook relayer ...`: run the relayer; benchmark it."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from crossbook.bench.page import BenchPage, write_page_option
from crossbook.cli.common import needs


@click.group()
def relayer() -> None:
    """The off-chain relayer (settings from CROSSBOOK_* environment variables)."""


@relayer.command("run")
@click.option("--host", default=None, help="Overrides CROSSBOOK_HOST.")
@click.option("--port", type=int, default=None, help="Overrides CROSSBOOK_PORT.")
@click.option(
    "--database-url",
    default=None,
    help="Overrides CROSSBOOK_DATABASE_URL; with neither, SQLite under --data-dir.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Overrides CROSSBOOK_DATA_DIR: where the SQLite database and its lock live, one "
    "folder per chain id (default: the user's data directory, ~/.local/share/crossbook).",
)
@click.option(
    "--rpc-url",
    default=None,
    help="Overrides CROSSBOOK_RPC_URL; with neither, a detached devnet's node "
    "(`crossbook devnet up --detach`), else http://127.0.0.1:8545.",
)
@click.option("--workers", type=int, default=None, help="Overrides CROSSBOOK_WORKERS.")
@click.option("--log-level", default="INFO", show_default=True)
@needs(extra="relayer")
def run_cmd(
    host: str | None,
    port: int | None,
    database_url: str | None,
    data_dir: Path | None,
    rpc_url: str | None,
    workers: int | None,
    log_level: str,
) -> None:
    """Serve the API and run the matcher and submitter until SIGTERM/Ctrl-C."""
    from crossbook.chain import default_rpc_url
    from crossbook.relayer.service import configure_logging, run
    from crossbook.relayer.settings import RelayerSettings

    configure_logging(getattr(logging, log_level.upper(), logging.INFO))
    given = {
        "host": host,
        "port": port,
        "database_url": database_url,
        "data_dir": data_dir,
        "rpc_url": rpc_url,
        "workers": workers,
    }
    overrides = {name: value for name, value in given.items() if value is not None}
    if rpc_url is None and "CROSSBOOK_RPC_URL" not in os.environ:
        overrides["rpc_url"] = default_rpc_url()
    run(RelayerSettings.load(**overrides))


@relayer.command("bench")
@click.option("--orders", type=click.IntRange(min=1), default=20_000, show_default=True)
@click.option(
    "--rate-orders",
    type=click.IntRange(min=1),
    default=5_000,
    show_default=True,
    help="Orders sent at 1,000/s for the latency figure.",
)
@click.option("--database-url", default=None, help="Default: a temporary SQLite file.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="API processes of the relayer under test.",
)
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Repeat the ingest figures with fresh orders to see the spread.",
)
@click.option(
    "--e2e", is_flag=True, help="Instead: fills settled per second on Anvil with 1-second blocks."
)
@click.option(
    "--seconds", type=click.IntRange(min=1), default=20, show_default=True, help="--e2e window."
)
@click.option(
    "--fills-per-batch",
    type=click.IntRange(min=1),
    default=None,
    help="--e2e batch size (default: the relayer's own sizing to 95% of a block's gas).",
)
@write_page_option
@needs(checkout=True, extra="relayer")
def bench_cmd(
    orders: int,
    rate_orders: int,
    database_url: str | None,
    workers: int,
    rounds: int,
    e2e: bool,
    seconds: int,
    fills_per_batch: int | None,
    write_page: BenchPage | None,
) -> None:
    """Ingest orders/s over HTTP, p99 latency at 1,000 orders/s, matching events/s; or,
    with --e2e, fills settled per second against the block-gas bound."""
    from crossbook.bench.relayer import run_bench, run_e2e_bench

    if e2e:
        run_e2e_bench(
            click.echo,
            seconds=seconds,
            fills_per_batch=fills_per_batch,
            block_time=1,
            page=write_page,
        )
        return
    run_bench(
        click.echo,
        orders=orders,
        rate_orders=rate_orders,
        database_url=database_url,
        workers=workers,
        rounds=rounds,
        page=write_page,
    )
