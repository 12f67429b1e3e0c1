"""Deploy the crossbook suite to a network: `ape run deploy --network <ecosystem:network:provider>`.

Runs the one suite plan (`crossbook.deploy`) the devnet harness runs too: every contract (at
its deterministic CREATE2 address, or `--placement create` at the deployer's nonce address) and
the wiring (relayer allow-list, guardian, fee recipient, book fees, pools and books, the
settlement's liquidity sources, the proposed owner). Shows each step and whether it is already
on chain and the estimated cost (a dry run on a fork of the chain), asks before broadcasting
(`--yes` skips the question), executes the steps not yet done with the same executor as the
devnet, signing with the ape account, and writes `deployments/<chain-id>.json` after each
step. A re-run sends nothing; a stopped run resumes where it stopped.
"""

from __future__ import annotations

import click
from ape import chain
from ape.cli import ConnectedProviderCommand, account_option
from eth_utils.address import is_address, to_checksum_address
from web3 import Web3

from crossbook.chain import contract_at
from crossbook.client.signers import DEVNET_CHAIN_IDS, ApeAccountSigner, well_known_addresses
from crossbook.deploy import (
    DETERMINISTIC_DEPLOYER,
    ExistingToken,
    MarketParams,
    Placement,
    PoolParams,
    SuiteConfig,
    execute_plan,
    plan_status,
    suite_plan,
)
from crossbook.deploy.estimate import estimate_plan
from crossbook.errors import CrossbookError
from crossbook.manifest import ManifestError, new_manifest, read_manifest, write_manifest


def _address(value: str, option: str) -> str:
    if not is_address(value):
        raise click.BadParameter(f"{value!r} is not an address", param_hint=option)
    return to_checksum_address(value)


def _existing_token(w3: Web3, spec: str) -> ExistingToken:
    symbol, sep, address = spec.partition("=")
    if not sep or not symbol or not is_address(address):
        raise click.BadParameter(f"{spec!r} is not SYMBOL=0xADDRESS", param_hint="--token")
    if not w3.eth.get_code(to_checksum_address(address)):
        raise click.BadParameter(f"no contract at {address} on this chain", param_hint="--token")
    erc20 = contract_at(w3, "MockERC20", address)
    return ExistingToken(symbol, erc20.address, int(erc20.functions.decimals().call()))


def _pool(spec: str) -> PoolParams:
    parts = spec.split("/")
    if len(parts) != 3 or not all(parts) or not parts[2].isdigit():
        raise click.BadParameter(f"{spec!r} is not TOKEN_A/TOKEN_B/FEE_BPS", param_hint="--pool")
    return PoolParams(parts[0], parts[1], int(parts[2]))


def _market(spec: str) -> MarketParams:
    parts = spec.split("/")
    if len(parts) != 5 or not all(parts[:2]) or not all(p.isdigit() for p in parts[2:]):
        raise click.BadParameter(
            f"{spec!r} is not BASE/QUOTE/TICK_SIZE/LOT_SIZE/MIN_LOTS", param_hint="--market"
        )
    return MarketParams(parts[0], parts[1], int(parts[2]), int(parts[3]), int(parts[4]))


def _existing_manifest(chain_id: int):
    try:
        return read_manifest(chain_id)
    except ManifestError:
        return new_manifest(chain_id)


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--fee-recipient", help="Receives batch surplus and fees (default: the account).")
@click.option("--guardian", help="May pause settlement (default: the account).")
@click.option("--relayer", "relayers", multiple=True, help="Allow-listed relayer (repeatable).")
@click.option("--owner", help="Final owner; proposed with two-step transfer (default: account).")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="SYMBOL=ADDRESS",
    help="An existing ERC-20 (repeatable): recorded in the manifest, usable by pools and books.",
)
@click.option(
    "--pool",
    "pools",
    multiple=True,
    metavar="A/B/FEE_BPS",
    help="Create this AMM pool (repeatable; default: WETH/USDC/30 when both tokens are given).",
)
@click.option(
    "--market",
    "markets",
    multiple=True,
    metavar="BASE/QUOTE/TICK/LOT/MIN_LOTS",
    help="Create this on-chain book (repeatable; default: the devnet's WETH/USDC grid when "
    "both tokens are given).",
)
@click.option(
    "--placement",
    type=click.Choice([p.value for p in Placement]),
    default=Placement.CREATE2.value,
    show_default=True,
    help="Where contracts land: the CREATE2 proxy (address from the code) or plain CREATE "
    "(address from the deployer's nonce).",
)
@click.option("--yes", is_flag=True, help="Broadcast without asking.")
def cli(account, fee_recipient, guardian, relayers, owner, tokens, pools, markets, placement, yes):
    """Deploy the crossbook suite and wire it."""
    chain_id = chain.chain_id
    deployer = to_checksum_address(account.address)
    if chain_id not in DEVNET_CHAIN_IDS and deployer in well_known_addresses():
        raise click.ClickException(
            f"refusing to deploy on chain {chain_id} with a well-known devnet key ({deployer}); "
            "use an ape keystore account (`ape accounts import`)"
        )
    w3: Web3 = chain.provider.web3
    if placement == Placement.CREATE2 and not w3.eth.get_code(DETERMINISTIC_DEPLOYER):
        raise click.ClickException(
            f"chain {chain_id} has no deterministic deployment proxy at {DETERMINISTIC_DEPLOYER}"
        )
    token_specs = tuple(_existing_token(w3, spec) for spec in tokens)
    config = SuiteConfig(
        deployer=deployer,
        owner=_address(owner, "--owner") if owner else deployer,
        fee_recipient=_address(fee_recipient, "--fee-recipient") if fee_recipient else deployer,
        guardian=_address(guardian, "--guardian") if guardian else deployer,
        relayers=tuple(_address(r, "--relayer") for r in relayers),
        tokens=token_specs,
        pools=tuple(_pool(p) for p in pools) if pools else None,
        markets=tuple(_market(m) for m in markets) if markets else None,
        placement=Placement(placement),
    )
    manifest = _existing_manifest(chain_id)
    try:
        plan = suite_plan(config)
        status = plan_status(w3, plan, manifest)
    except CrossbookError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None

    click.echo(f"chain {chain_id}, deployer {deployer}")
    for step in status:
        click.echo(step.line())
    for token in token_specs:
        click.echo(f"  token {token.symbol:<6} {token.address}  ({token.decimals} decimals)")
    todo = sum(s.done is False for s in status)
    later = sum(s.done is None for s in status)
    more = f" (+{later} if still needed once deployed)" if later else ""
    click.echo(f"{todo} of {len(status)} steps to send{more}")
    if todo + later:
        try:
            cost = estimate_plan(chain.provider.http_uri, w3, plan, manifest)
        except CrossbookError as exc:
            raise click.ClickException(
                f"{type(exc).__name__}: {exc} (in the dry run on a fork; nothing was sent)"
            ) from None
        click.echo(cost.line())
        balance = int(w3.eth.get_balance(deployer))
        if balance < cost.wei:
            raise click.ClickException(
                f"{deployer} holds {Web3.from_wei(balance, 'ether')} ETH, less than the "
                "estimated cost; fund it first"
            )
    if (
        todo + later
        and not yes
        and not click.confirm("broadcast these transactions?", default=False)
    ):
        raise click.Abort()
    if hasattr(account, "set_autosign"):
        # confirmed once for the whole plan: a keystore account signs without a prompt per
        # transaction; its passphrase comes from the prompt or APE_ACCOUNTS_<alias>_PASSPHRASE
        account.set_autosign(True)

    try:
        execute_plan(
            w3, plan, ApeAccountSigner(account), manifest, echo=click.echo, save=write_manifest
        )
    except CrossbookError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    if config.owner != deployer:
        click.echo(f"{config.owner} must call acceptOwnership() on each contract proposed to it")
    path = write_manifest(manifest)
    click.echo(f"wrote {path}")
