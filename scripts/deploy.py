"""Deploy the crossbook suite to a network: `ape run deploy --network <ecosystem:network:provider>`.

Shows what it will do and asks before broadcasting (`--yes` skips the question); deploys to
deterministic CREATE2 addresses, so a re-run skips what is already deployed with the same code;
sets the roles (relayer allow-list, guardian, fee recipient, owner) only where they differ; and
writes `deployments/<chain-id>.json`.
"""

from __future__ import annotations

import click
from ape import Contract, chain, project
from ape.cli import ConnectedProviderCommand, account_option

from crossbook.deploy import (
    DETERMINISTIC_DEPLOYER,
    deploy_calldata,
    plan_addresses,
    suite_plan,
)
from crossbook.devnet.accounts import dev_accounts
from crossbook.errors import DeploymentError
from crossbook.manifest import (
    DeployedContract,
    ManifestError,
    TokenInfo,
    new_manifest,
    read_manifest,
    write_manifest,
)

DEVNET_CHAIN_IDS = {31337, 1337}


def _existing_manifest(chain_id: int):
    try:
        return read_manifest(chain_id)
    except ManifestError:
        return new_manifest(chain_id)


def _token_info(spec: str) -> TokenInfo:
    symbol, sep, address = spec.partition("=")
    if not sep or not symbol or not address.startswith("0x") or len(address) != 42:
        raise click.BadParameter(f"{spec!r} is not SYMBOL=0xADDRESS", param_hint="--token")
    if not chain.provider.get_code(address):
        raise click.BadParameter(f"no contract at {address} on this chain", param_hint="--token")
    erc20 = Contract(address, contract_type=project.MockERC20.contract_type)
    return TokenInfo(address=erc20.address, symbol=symbol, decimals=int(erc20.decimals()))


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
    help="Record an existing ERC-20 in the manifest (repeatable); the relayer trades them.",
)
@click.option("--yes", is_flag=True, help="Broadcast without asking.")
def cli(account, fee_recipient, guardian, relayers, owner, tokens, yes):
    """Deploy the crossbook suite and set its roles."""
    chain_id = chain.chain_id
    deployer = account.address
    known_keys = {a.address for a in dev_accounts()}
    if chain_id not in DEVNET_CHAIN_IDS and deployer in known_keys:
        raise click.ClickException(
            f"refusing to deploy on chain {chain_id} with a well-known devnet key ({deployer}); "
            "use an ape keystore account (`ape accounts import`)"
        )
    if not chain.provider.get_code(DETERMINISTIC_DEPLOYER):
        raise click.ClickException(
            f"chain {chain_id} has no deterministic deployment proxy at {DETERMINISTIC_DEPLOYER}"
        )
    fee_recipient = fee_recipient or deployer
    guardian = guardian or deployer
    owner = owner or deployer

    containers = {p.name: getattr(project, p.name) for p in suite_plan(deployer, fee_recipient)}
    plan = []
    for planned, initcode, address in plan_addresses(
        suite_plan(deployer, fee_recipient),
        lambda name: containers[name].contract_type.deployment_bytecode.bytecode,
    ):
        exists = bool(chain.provider.get_code(address))
        plan.append((planned, containers[planned.name], initcode, address, exists))
    token_infos = [_token_info(spec) for spec in tokens]

    click.echo(f"chain {chain_id}, deployer {deployer}")
    for planned, _, _, address, exists in plan:
        state = "already deployed, skip" if exists else "deploy"
        click.echo(f"  {planned.name:<12} {address}  {state}")
    click.echo(
        f"  roles: fee recipient {fee_recipient}, guardian {guardian}, owner {owner}, "
        f"relayers {', '.join(relayers) or '(none)'}"
    )
    for info in token_infos:
        click.echo(f"  token {info.symbol:<6} {info.address}  ({info.decimals} decimals)")
    if not yes and not click.confirm("broadcast these transactions?", default=False):
        raise click.Abort()
    if yes and hasattr(account, "set_autosign"):
        # a keystore account signs without a prompt per transaction; its passphrase comes from
        # the prompt or APE_ACCOUNTS_<alias>_PASSPHRASE
        account.set_autosign(True)

    manifest = _existing_manifest(chain_id)
    for planned, _container, initcode, address, exists in plan:
        if not exists:
            receipt = account.transfer(DETERMINISTIC_DEPLOYER, 0, data=deploy_calldata(initcode))
            if not chain.provider.get_code(address):
                raise DeploymentError(f"{planned.name} did not appear at {address}")
            manifest.contracts[planned.name] = DeployedContract(
                address=address, block=receipt.block_number, tx_hash=receipt.txn_hash
            )
            click.echo(f"deployed {planned.name} at {address}")
        elif planned.name not in manifest.contracts:
            manifest.contracts[planned.name] = DeployedContract(address=address, block=0)

    settlement = Contract(plan[0][3], contract_type=plan[0][1].contract_type)
    if settlement.owner() == deployer:
        for relayer in relayers:
            if not settlement.isRelayer(relayer):
                settlement.setRelayer(relayer, True, sender=account)
        if settlement.guardian() != guardian:
            settlement.setGuardian(guardian, sender=account)
        if settlement.feeRecipient() != fee_recipient:
            settlement.setFeeRecipient(fee_recipient, sender=account)
        if owner != deployer and settlement.pendingOwner() != owner:
            settlement.transferOwnership(owner, sender=account)
            click.echo(f"ownership proposed to {owner}: it must call acceptOwnership()")
    else:
        click.echo(f"Settlement is owned by {settlement.owner()}: roles left unchanged")
    for planned, container, _, address, _ in plan[1:]:
        if "pendingOwner" not in container.contract_type.view_methods:
            continue  # not ownable (the Router)
        ownable = Contract(address, contract_type=container.contract_type)
        if owner != deployer and ownable.owner() == deployer and ownable.pendingOwner() != owner:
            ownable.transferOwnership(owner, sender=account)
            click.echo(f"{planned.name}: ownership proposed to {owner}")
    for info in token_infos:
        manifest.tokens[info.symbol] = info
    manifest.roles = {
        "owner": owner,
        "guardian": guardian,
        "fee_recipient": fee_recipient,
        "relayer": relayers[0] if relayers else "",
    }
    path = write_manifest(manifest)
    click.echo(f"wrote {path}")
