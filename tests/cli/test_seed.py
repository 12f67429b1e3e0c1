"""`ape run seed` fills a devnet: tokens, pool liquidity, resting on-chain book orders and a
resting ladder at the relayer; on a chain that is not a devnet it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossbook.amm.client import AmmClient
from crossbook.book import BookClient, read_depth
from crossbook.client import RelayerClient
from crossbook.devnet import AnvilConfig, AnvilNode, Devnet
from crossbook.relayer.service import build
from tests.relayer.helpers import serve
from tests.stacks import relayer_settings

pytestmark = pytest.mark.devnet
ROOT = Path(__file__).resolve().parents[2]
APE = Path(sys.executable).with_name("ape")


def ape_seed(rpc_url: str, manifest_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "APE_FOUNDRY_HOST": rpc_url,
        "CROSSBOOK_DEPLOYMENTS_DIR": str(manifest_dir),
        "PATH": f"{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
    }
    argv = [str(APE), "run", "seed", "--network", "ethereum:local:foundry", *args]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[tuple[Devnet, str]]:
    with Devnet.launch(manifest_dir=tmp_path) as dn:
        relayer = build(relayer_settings(dn.node.rpc_url, tmp_path, f"sqlite:///{tmp_path}/r.db"))
        with serve(relayer.app) as url:
            yield dn, url


def test_seed_fills_pools_books_and_the_relayer(devnet: tuple[Devnet, str]) -> None:
    dn, url = devnet
    amm = AmmClient(dn.w3, dn.manifest)
    weth, usdc, dai = amm.token("WETH"), amm.token("USDC"), amm.token("DAI")
    before = amm.pool(weth, usdc, 30).reserve0
    result = ape_seed(
        dn.node.rpc_url, dn.manifest_dir or Path(), "--relayer-url", url, "--levels", "2"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "seeded chain 31337: 3 pool deposits, 4 book orders, 12 relayer orders" in result.stdout
    assert amm.pool(weth, usdc, 30).reserve0 > before
    assert amm.pool(usdc, dai, 5).reserve0 > 0 and amm.pool(weth, dai, 30).reserve0 > 0
    depth = read_depth(BookClient.from_manifest(dn.w3, dn.manifest, "WETH/USDC").contract, 10)
    assert len(depth.bids) == 2 and len(depth.asks) == 2
    assert max(b.tick for b in depth.bids) < min(a.tick for a in depth.asks)  # nothing crossed
    with RelayerClient(url) as relayer:
        book = relayer.book("WETH-USDC")
        assert len(book["bids"]) == 2 and len(book["asks"]) == 2
        best_bid = max(float(b["priceApprox"]) for b in book["bids"])
        best_ask = min(float(a["priceApprox"]) for a in book["asks"])
        assert best_bid < best_ask


def test_seed_refuses_a_chain_that_is_not_a_devnet(tmp_path: Path) -> None:
    with AnvilNode(AnvilConfig(chain_id=11_155_111)) as node:
        result = ape_seed(node.rpc_url, tmp_path)
    assert result.returncode != 0
    assert "chain 11155111 is not a devnet" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
