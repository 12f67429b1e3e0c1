"""Fill a devnet with tokens, pool liquidity and resting book orders: `ape run seed`.

    ape run seed --network ethereum:local:foundry              # APE_FOUNDRY_HOST=<devnet rpc>
    ape run seed --network ethereum:local:foundry --relayer-url http://127.0.0.1:8080

Reads `deployments/<chain-id>.json` (written by `crossbook devnet up`); devnet chains only.
"""

from __future__ import annotations

import click
from ape import chain
from ape.cli import ConnectedProviderCommand

from crossbook.devnet.accounts import dev_accounts
from crossbook.devnet.seed import seed_devnet
from crossbook.errors import CrossbookError
from crossbook.manifest import read_manifest

DEVNET_CHAIN_IDS = {31337, 1337}


@click.command(cls=ConnectedProviderCommand)
@click.option(
    "--maker",
    type=click.IntRange(0, 9),
    default=0,
    show_default=True,
    help="Dev account index that provides liquidity and rests the orders.",
)
@click.option(
    "--levels",
    type=click.IntRange(1, 50),
    default=3,
    show_default=True,
    help="Bids and asks per book.",
)
@click.option(
    "--mint-usd",
    type=click.IntRange(min=0),
    default=2_000_000,
    show_default=True,
    help="USD worth of each token minted to every dev account.",
)
@click.option(
    "--relayer-url", default=None, help="Also rest a ladder of signed orders at this relayer."
)
def cli(maker, levels, mint_usd, relayer_url):
    """Seed a devnet: tokens, pool liquidity, resting orders."""
    chain_id = chain.chain_id
    if chain_id not in DEVNET_CHAIN_IDS:
        raise click.ClickException(
            f"chain {chain_id} is not a devnet ({sorted(DEVNET_CHAIN_IDS)}): seed mints mock "
            "tokens and uses the public test keys; run it against `crossbook devnet up`"
        )
    accounts = list(dev_accounts())
    try:
        manifest = read_manifest(chain_id)
        report = seed_devnet(
            chain.provider.uri,
            manifest,
            accounts,
            maker=accounts[maker],
            mint_usd=mint_usd,
            levels=levels,
            relayer_url=relayer_url,
            echo=click.echo,
        )
    except CrossbookError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    click.echo(
        f"seeded chain {chain_id}: {len(report.pools)} pool deposits, "
        f"{len(report.book_orders)} book orders, {len(report.relayer_orders)} relayer orders"
    )
