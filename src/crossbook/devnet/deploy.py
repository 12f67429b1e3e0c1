"""Deploy the suite to a devnet with web3.py and record it in a manifest.

In order: Settlement (relayer allow-listed, guardian set), the mock tokens minted to the dev
accounts, the AMM Factory and Router with a seeded WETH/USDC pool, the BookFactory and its
books, the HybridRouter, and the settlement's liquidity sources (the two factories). Each step
deploys one contract from the compiled artifacts (`make build`) and records its address and
deploy block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from crossbook.artifacts import load_artifact
from crossbook.chain import wait_for_receipt
from crossbook.errors import DeploymentError
from crossbook.manifest import DeployedContract, Manifest, TokenInfo, new_manifest, write_manifest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MockToken:
    symbol: str
    name: str
    decimals: int
    mint_units: int  # whole tokens minted to each dev account


DEVNET_TOKENS = (
    MockToken("WETH", "Wrapped Ether (devnet)", 18, 1_000),
    MockToken("USDC", "USD Coin (devnet)", 6, 5_000_000),
    MockToken("DAI", "Dai (devnet)", 18, 5_000_000),
)


def deploy_contract(
    w3: Web3, name: str, args: tuple[Any, ...], sender: str
) -> tuple[Contract, DeployedContract]:
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx_hash = factory.constructor(*args).transact({"from": sender})
    receipt = wait_for_receipt(w3, tx_hash, f"deploying {name}")
    if not receipt.get("contractAddress"):
        raise DeploymentError(f"deploying {name} failed (tx {tx_hash.hex()})")
    address = str(receipt["contractAddress"])
    log.info("deployed %s at %s (block %d)", name, address, receipt["blockNumber"])
    record = DeployedContract(
        address=address,
        block=receipt["blockNumber"],
        tx_hash="0x" + tx_hash.hex().removeprefix("0x"),
    )
    contract: Contract = w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=artifact.abi
    )
    return contract, record


@dataclass(frozen=True)
class Roles:
    owner: str
    guardian: str
    relayer: str
    fee_recipient: str


def deploy_suite(
    w3: Web3,
    roles: Roles,
    holders: list[str],
    manifest_dir: Path | None = None,
) -> Manifest:
    """Deploy the mock tokens (minted to `holders`) and the exchange contracts."""
    deployer = roles.owner
    manifest = new_manifest(w3.eth.chain_id)
    manifest.roles = {
        "owner": roles.owner,
        "guardian": roles.guardian,
        "relayer": roles.relayer,
        "fee_recipient": roles.fee_recipient,
    }
    settlement, record = deploy_contract(
        w3, "Settlement", (roles.owner, roles.fee_recipient), deployer
    )
    manifest.contracts["Settlement"] = record
    wait_for_receipt(
        w3,
        settlement.functions.setRelayer(roles.relayer, True).transact({"from": deployer}),
        "allow-listing the relayer",
    )
    wait_for_receipt(
        w3,
        settlement.functions.setGuardian(roles.guardian).transact({"from": deployer}),
        "setting the guardian",
    )
    for token in DEVNET_TOKENS:
        contract, record = deploy_contract(
            w3, "MockERC20", (token.name, token.symbol, token.decimals), deployer
        )
        manifest.tokens[token.symbol] = TokenInfo(
            address=contract.address, symbol=token.symbol, decimals=token.decimals
        )
        manifest.contracts[f"token:{token.symbol}"] = record
        amount = token.mint_units * 10**token.decimals
        for holder in holders:
            wait_for_receipt(
                w3,
                contract.functions.mint(holder, amount).transact({"from": deployer}),
                f"minting {token.symbol}",
            )
    deploy_amm(w3, manifest, deployer)
    from crossbook.book.deploy import deploy_books  # the on-chain order books

    deploy_books(w3, manifest, deployer, roles.fee_recipient)
    # the hybrid router: one swap split between a market's book and its AMM pool
    _, manifest.contracts["HybridRouter"] = deploy_contract(
        w3,
        "HybridRouter",
        (manifest.address("Factory"), manifest.address("BookFactory")),
        deployer,
    )
    # settlement legs may route a batch's residual into these pools and books
    wait_for_receipt(
        w3,
        settlement.functions.setLiquiditySources(
            manifest.address("Factory"), manifest.address("BookFactory")
        ).transact({"from": deployer}),
        "setting the settlement's liquidity sources",
    )
    write_manifest(manifest, manifest_dir)
    return manifest


AMM_SEED_POOL = ("WETH", "USDC", 30)  # token A, token B, fee tier (bps)
AMM_SEED_AMOUNTS = (100, 200_000)  # whole tokens of A and B: 2,000 USDC per WETH


def deploy_amm(w3: Web3, manifest: Manifest, deployer: str) -> None:
    """The AMM Factory and Router, and a WETH/USDC pool seeded by the deployer."""
    factory, record = deploy_contract(w3, "Factory", (deployer,), deployer)
    manifest.contracts["Factory"] = record
    router, record = deploy_contract(w3, "Router", (factory.address,), deployer)
    manifest.contracts["Router"] = record
    symbol_a, symbol_b, fee = AMM_SEED_POOL
    token_a, token_b = manifest.tokens[symbol_a], manifest.tokens[symbol_b]
    receipt = wait_for_receipt(
        w3,
        factory.functions.createPool(token_a.address, token_b.address, fee).transact(
            {"from": deployer}
        ),
        f"creating the {symbol_a}/{symbol_b} pool",
    )
    pool = factory.functions.getPool(token_a.address, token_b.address, fee).call()
    manifest.contracts[f"pool:{symbol_a}/{symbol_b}/{fee}"] = DeployedContract(
        address=pool,
        block=receipt["blockNumber"],
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
    )
    abi = load_artifact("MockERC20").abi
    amounts = []
    for token, units in ((token_a, AMM_SEED_AMOUNTS[0]), (token_b, AMM_SEED_AMOUNTS[1])):
        erc20 = w3.eth.contract(address=Web3.to_checksum_address(token.address), abi=abi)
        wait_for_receipt(
            w3,
            erc20.functions.approve(router.address, 2**256 - 1).transact({"from": deployer}),
            f"approving {token.symbol} for the router",
        )
        amounts.append(units * 10**token.decimals)
    params = (
        token_a.address,
        token_b.address,
        fee,
        amounts[0],
        amounts[1],
        amounts[0],
        amounts[1],
        deployer,
        2**32 - 1,
    )
    wait_for_receipt(
        w3,
        router.functions.addLiquidity(params).transact({"from": deployer}),
        f"seeding the {symbol_a}/{symbol_b} pool",
    )
