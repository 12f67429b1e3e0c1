"""Running the deploy paths and reading back what a deployment wired."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from web3 import Web3

from crossbook.chain import contract_at
from crossbook.deploy import DEFAULT_MARKETS, market_id
from crossbook.manifest import Manifest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run_deploy(
    tool: str, rpc_url: str, data_folder: Path, deployments: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """`ape run deploy ARGS` (tool "ape") or `crossbook deploy ARGS` (tool "crossbook")
    against the node at `rpc_url`, manifests written under `deployments`."""
    command = ["run", "deploy"] if tool == "ape" else ["deploy"]
    return subprocess.run(
        [str(BIN / tool), *command, "--network", "ethereum:local:foundry", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "APE_DATA_FOLDER": str(data_folder),
            "APE_FOUNDRY_HOST": rpc_url,
            "CROSSBOOK_DEPLOYMENTS_DIR": str(deployments),
            "PATH": f"{ROOT / 'node_modules' / '.bin'}:{BIN}:{os.environ['PATH']}",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def wiring(w3: Web3, manifest: Manifest) -> dict[str, Any]:
    """Every role, link and fee setting of a deployment, as its contracts answer them."""
    settlement = contract_at(w3, "Settlement", manifest.address("Settlement"))
    factory = contract_at(w3, "Factory", manifest.address("Factory"))
    router = contract_at(w3, "Router", manifest.address("Router"))
    book_factory = contract_at(w3, "BookFactory", manifest.address("BookFactory"))
    hybrid = contract_at(w3, "HybridRouter", manifest.address("HybridRouter"))
    relayer = manifest.roles["relayer"]
    out: dict[str, Any] = {
        "Settlement.owner": settlement.functions.owner().call(),
        "Settlement.pendingOwner": settlement.functions.pendingOwner().call(),
        "Settlement.guardian": settlement.functions.guardian().call(),
        "Settlement.feeRecipient": settlement.functions.feeRecipient().call(),
        "Settlement.isRelayer(relayer)": settlement.functions.isRelayer(relayer).call(),
        "Settlement.ammFactory": settlement.functions.ammFactory().call(),
        "Settlement.bookFactory": settlement.functions.bookFactory().call(),
        "Factory.owner": factory.functions.owner().call(),
        "Router.factory": router.functions.factory().call(),
        "BookFactory.owner": book_factory.functions.owner().call(),
        "BookFactory.feeRecipient": book_factory.functions.feeRecipient().call(),
        "BookFactory.takerFeePpm": book_factory.functions.takerFeePpm().call(),
        "BookFactory.makerFeePpm": book_factory.functions.makerFeePpm().call(),
        "BookFactory.bookCount": book_factory.functions.bookCount().call(),
        "HybridRouter.factory": hybrid.functions.factory().call(),
        "HybridRouter.bookFactory": hybrid.functions.bookFactory().call(),
    }
    weth, usdc = manifest.tokens["WETH"].address, manifest.tokens["USDC"].address
    out["Factory.getPool(WETH, USDC, 30)"] = factory.functions.getPool(weth, usdc, 30).call()
    market = DEFAULT_MARKETS[0]
    grid = (market.tick_size, market.lot_size, market.min_lots)
    book = book_factory.functions.bookOf(market_id(weth, usdc, *grid)).call()
    out["BookFactory.bookOf(WETH/USDC)"] = book
    order_book = contract_at(w3, "OrderBook", book)
    out["book.takerFeePpm"] = order_book.functions.takerFeePpm().call()
    out["book.makerFeePpm"] = order_book.functions.makerFeePpm().call()
    return out


def deployer_transactions(w3: Web3, sender: str) -> list[tuple[str, str]]:
    """(to, input) of every transaction `sender` sent, in chain order."""
    out = []
    for number in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            assert not isinstance(tx, bytes)
            if tx["from"] == sender:
                out.append((str(tx["to"]), "0x" + bytes(tx["input"]).hex()))
    return out
