"""Deploy the suite to a devnet and record it in a manifest.

The suite is the one plan every deploy path runs (`crossbook.deploy`), configured for a devnet
(`devnet_config`): mock tokens, the default pools and books, the dev accounts' roles. After
it, and only on a devnet, the mock tokens are minted to the dev accounts and the deployer
seeds the WETH/USDC pool.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from web3 import Web3

from crossbook.chain import MAX_UINT, contract_at, send_transaction
from crossbook.deploy import DEFAULT_POOLS, MockToken, SuiteConfig, execute_plan, suite_plan
from crossbook.manifest import Manifest, write_manifest

log = logging.getLogger(__name__)

DEVNET_TOKENS: Final = (
    MockToken("WETH", "Wrapped Ether (devnet)", 18),
    MockToken("USDC", "USD Coin (devnet)", 6),
    MockToken("DAI", "Dai (devnet)", 18),
)
#: Whole tokens minted to each dev account.
MINT_UNITS: Final = {"WETH": 1_000, "USDC": 5_000_000, "DAI": 5_000_000}

_seed = DEFAULT_POOLS[0]
AMM_SEED_POOL: Final = (_seed.token_a, _seed.token_b, _seed.fee)  # token A, token B, fee (bps)
AMM_SEED_AMOUNTS: Final = (100, 200_000)  # whole tokens of A and B: 2,000 USDC per WETH


@dataclass(frozen=True)
class Roles:
    owner: str  # deploys the suite and keeps it
    guardian: str
    relayer: str
    fee_recipient: str


def devnet_config(roles: Roles) -> SuiteConfig:
    """The suite config of a devnet: the mock tokens, the default pools and books."""
    return SuiteConfig(
        deployer=roles.owner,
        owner=roles.owner,
        fee_recipient=roles.fee_recipient,
        guardian=roles.guardian,
        relayers=(roles.relayer,),
        tokens=DEVNET_TOKENS,
    )


def deploy_suite(
    w3: Web3,
    roles: Roles,
    holders: list[str],
    manifest_dir: Path | None = None,
) -> Manifest:
    """Run the devnet's suite plan, mint the mock tokens to `holders`, seed the pool."""
    plan = suite_plan(devnet_config(roles))
    manifest = execute_plan(w3, plan, roles.owner, echo=log.info)
    fund_devnet(w3, manifest, roles.owner, holders)
    write_manifest(manifest, manifest_dir)
    return manifest


def fund_devnet(w3: Web3, manifest: Manifest, deployer: str, holders: list[str]) -> None:
    """Mint every mock token to `holders`; the deployer adds the seed pool's liquidity."""
    for token in DEVNET_TOKENS:
        erc20 = contract_at(w3, "MockERC20", manifest.tokens[token.symbol].address)
        amount = MINT_UNITS[token.symbol] * 10**token.decimals
        for holder in holders:
            send_transaction(w3, erc20.functions.mint(holder, amount), deployer, "mint")
    symbol_a, symbol_b, fee = AMM_SEED_POOL
    router = contract_at(w3, "Router", manifest.address("Router"))
    amounts = []
    for symbol, units in zip((symbol_a, symbol_b), AMM_SEED_AMOUNTS, strict=True):
        info = manifest.tokens[symbol]
        erc20 = contract_at(w3, "MockERC20", info.address)
        approve = erc20.functions.approve(router.address, MAX_UINT)
        send_transaction(w3, approve, deployer, f"approving {symbol} for the router")
        amounts.append(units * 10**info.decimals)
    params = (
        manifest.tokens[symbol_a].address,
        manifest.tokens[symbol_b].address,
        fee,
        amounts[0],
        amounts[1],
        amounts[0],
        amounts[1],
        deployer,
        2**32 - 1,
    )
    send_transaction(
        w3,
        router.functions.addLiquidity(params),
        deployer,
        f"seeding the {symbol_a}/{symbol_b} pool",
    )
