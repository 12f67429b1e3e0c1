"""Deploy the suite to a devnet and record it in a manifest.

The suite is the one plan every deploy path runs (`crossbook.deploy`), configured for a devnet
(`devnet_config`): mock tokens, the default pools and books, the dev accounts' roles, and the
devnet's funding as steps of the plan (each mock token minted to the dev accounts right after
it is deployed, the WETH/USDC pool seeded by the deployer right after it is created). Every
contract is created from the deployer (`Placement.CREATE`), so its address is the deployer's
nonce address: the same on every fresh devnet, whatever the bytecode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from web3 import Web3

from crossbook.deploy import (
    DEFAULT_POOLS,
    Funding,
    MockToken,
    Placement,
    SuiteConfig,
    execute_plan,
    suite_plan,
)
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


def devnet_config(roles: Roles, holders: tuple[str, ...] = ()) -> SuiteConfig:
    """The suite config of a devnet: the mock tokens, the default pools and books; with
    `holders`, the tokens minted to them and the WETH/USDC pool seeded by the deployer."""
    decimals = {t.symbol: t.decimals for t in DEVNET_TOKENS}
    seed_a, seed_b = (
        units * 10 ** decimals[symbol]
        for symbol, units in zip(AMM_SEED_POOL[:2], AMM_SEED_AMOUNTS, strict=True)
    )
    return SuiteConfig(
        deployer=roles.owner,
        owner=roles.owner,
        fee_recipient=roles.fee_recipient,
        guardian=roles.guardian,
        relayers=(roles.relayer,),
        tokens=DEVNET_TOKENS,
        placement=Placement.CREATE,
        funding=Funding(
            holders=holders,
            mints=tuple((s, units * 10 ** decimals[s]) for s, units in MINT_UNITS.items()),
            seed=_seed,
            seed_amounts=(seed_a, seed_b),
        )
        if holders
        else None,
    )


def deploy_suite(
    w3: Web3,
    roles: Roles,
    holders: list[str],
    manifest_dir: Path | None = None,
) -> Manifest:
    """Run the devnet's suite plan: the suite, the mock tokens minted to `holders`, the
    seeded pool."""
    plan = suite_plan(devnet_config(roles, tuple(holders)))
    manifest = execute_plan(w3, plan, roles.owner, echo=log.info)
    write_manifest(manifest, manifest_dir)
    return manifest
