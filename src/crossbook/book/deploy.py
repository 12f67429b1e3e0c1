"""Devnet deployment of the book factory and the default markets (called by deploy_suite)."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from crossbook.book.client import book_key
from crossbook.chain import contract_abi, wait_for_receipt
from crossbook.deploy import BOOK_MAKER_FEE_PPM, BOOK_TAKER_FEE_PPM
from crossbook.devnet.deploy import deploy_contract
from crossbook.manifest import DeployedContract, Manifest


@dataclass(frozen=True)
class MarketParams:
    base: str  # token symbol in the manifest
    quote: str
    tick_size: int  # quote units per lot per tick
    lot_size: int  # base units per lot
    min_lots: int


#: WETH/USDC: a lot is 0.001 WETH, a tick 0.1 USDC per WETH (tick 20,000 = 2,000 USDC),
#: the minimum order 0.01 WETH.
DEVNET_MARKETS = (MarketParams("WETH", "USDC", tick_size=100, lot_size=10**15, min_lots=10),)


def deploy_books(w3: Web3, manifest: Manifest, owner: str, fee_recipient: str) -> None:
    """Deploys ``BookFactory`` and one book per devnet market; records them in ``manifest``."""
    factory, record = deploy_contract(
        w3, "BookFactory", (owner, fee_recipient, BOOK_TAKER_FEE_PPM, BOOK_MAKER_FEE_PPM), owner
    )
    manifest.contracts["BookFactory"] = record
    factory = w3.eth.contract(address=factory.address, abi=contract_abi("BookFactory"))
    for market in DEVNET_MARKETS:
        base = manifest.tokens[market.base].address
        quote = manifest.tokens[market.quote].address
        args = (base, quote, market.tick_size, market.lot_size, market.min_lots)
        tx = factory.functions.createBook(*args).transact({"from": owner})
        receipt = wait_for_receipt(w3, tx, f"creating the {market.base}/{market.quote} book")
        market_id = factory.functions.marketId(*args).call()
        address = factory.functions.bookOf(market_id).call()
        manifest.contracts[book_key(f"{market.base}/{market.quote}")] = DeployedContract(
            address=Web3.to_checksum_address(address),
            block=receipt["blockNumber"],
            tx_hash="0x" + bytes(tx).hex(),
        )
