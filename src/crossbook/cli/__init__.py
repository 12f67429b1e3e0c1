"""The `crossbook` command line: one module per command group, sharing `crossbook.cli.common`.

`main` is the console script (``crossbook = "crossbook.cli:main"``).
"""

from __future__ import annotations

import logging

import click

from crossbook.cli import admin, bench, book, deploy, devnet, pool, relayer, swap, wallet

__all__ = ["main"]


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress (INFO) to stderr.")
@click.version_option(package_name="crossbook", prog_name="crossbook")
def main(verbose: bool) -> None:
    """crossbook: batch-settled EIP-712 orders, AMM pools and an on-chain order book."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for command in (
    devnet.devnet,
    devnet.demo,
    bench.bench,
    relayer.relayer,
    pool.pool,
    book.book,
    swap.swap,
    wallet.order,
    wallet.balance,
    wallet.approve,
    wallet.deposit,
    wallet.withdraw,
    deploy.deploy,
    admin.admin,
):
    main.add_command(command)
