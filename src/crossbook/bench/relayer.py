"""Relayer benchmarks: HTTP ingest (validated, durably stored orders/s), latency at a fixed
1,000 orders/s, and the matching engine alone (order events/s).

The relayer runs as its own process (`crossbook relayer run`, worker off, balance and
allowance checks on against a devnet) so the load generator does not share its interpreter.
Orders are signed before the clock starts.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from crossbook.bench.gas import token_contract
from crossbook.devnet import Devnet
from crossbook.devnet.deploy import wait_ok
from crossbook.order import Domain, Order
from crossbook.relayer.matching import BookOrder, Market, match_market
from crossbook.signing import sign_order


def _bodies(dn: Devnet, n: int) -> list[dict[str, Any]]:
    domain = Domain(chain_id=dn.manifest.chain_id,
                    verifying_contract=dn.manifest.address("Settlement"))  # fmt: skip
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    wallets = dn.accounts[1:8]
    out = []
    for i in range(n):
        w = wallets[i % len(wallets)]
        order = Order(owner=w.address, sell_token=weth, buy_token=usdc, sell_amount=10**15,
                      buy_amount=2 * 10**6, valid_to=2**32 - 1, nonce=i, flags=1)  # fmt: skip
        body: dict[str, Any] = order.to_json_dict()
        body["signature"] = "0x" + sign_order(order, domain, w.private_key).hex()
        out.append(body)
    return out


async def _closed_loop(url: str, bodies: list[Any], concurrency: int) -> float:
    queue = list(reversed(bodies))
    async with httpx.AsyncClient(
        base_url=url, timeout=60, limits=httpx.Limits(max_connections=concurrency)
    ) as client:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                for attempt in range(3):  # a dropped keep-alive connection: send again
                    try:
                        reply = await client.post("/v1/orders", json=body)
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                if reply.status_code >= 300:
                    raise RuntimeError(f"ingest failed: {reply.status_code} {reply.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def _open_loop(url: str, bodies: list[Any], rate: float) -> list[float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(
        base_url=url, timeout=60, limits=httpx.Limits(max_connections=200)
    ) as client:

        async def one(body: Any) -> None:
            t0 = time.perf_counter()
            reply = await client.post("/v1/orders", json=body)
            latencies.append(time.perf_counter() - t0)
            if reply.status_code >= 300:
                raise RuntimeError(f"ingest failed: {reply.status_code} {reply.text[:200]}")

        tasks = []
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return latencies


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def bench_matching(orders: int = 100_000, seed: int = 1) -> float:
    """Order events/s: orders through one price-time sort, clearing and plan check."""
    rng = random.Random(seed)
    base, quote = "0x" + "aa" * 20, "0x" + "bb" * 20
    market = Market("B-Q", base, quote)
    book = []
    for i in range(orders):
        size = rng.randint(10**15, 10**18)
        price = rng.randint(1_900, 2_100)
        if i % 2:
            book.append(BookOrder(f"a{i}", base, quote, size, size * price // 10**12, size,
                                  rng.random() < 0.5, i))  # fmt: skip
        else:
            q = size * price // 10**12
            book.append(BookOrder(f"b{i}", quote, base, q, size, q, rng.random() < 0.5, i))
    started = time.perf_counter()
    plan = match_market(market, book, max_fills=200)
    elapsed = time.perf_counter() - started
    if plan is None:
        raise RuntimeError("the benchmark book did not cross")
    return orders / elapsed


def run_bench(
    echo: Callable[[str], None], *, orders: int, rate_orders: int, database_url: str | None
) -> None:
    echo(f"matching: {bench_matching():,.0f} order events/s (100,000-order book, one cut)")
    with Devnet.launch() as dn, tempfile.TemporaryDirectory() as tmp:
        weth = token_contract(dn, "WETH")
        for wallet in dn.accounts[1:8]:
            wait_ok(dn.w3, weth.functions.approve(dn.manifest.address("Settlement"), 2**256 - 1)
                    .transact({"from": wallet.address}), "approve")  # fmt: skip
        total = orders * 2 + rate_orders
        echo(f"signing {total:,} orders ...")
        bodies = _bodies(dn, total)
        port = 18_000 + os.getpid() % 1000
        env = dict(os.environ)
        env.update({
            "CROSSBOOK_RPC_URL": dn.node.rpc_url,
            "CROSSBOOK_MANIFEST_DIR": str(dn.manifest_dir or Path("deployments")),
            "CROSSBOOK_DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.db",
            "CROSSBOOK_PORT": str(port), "CROSSBOOK_RUN_WORKER": "false",
            "CROSSBOOK_RATE_LIMIT_IP_PER_S": "0", "CROSSBOOK_RATE_LIMIT_OWNER_PER_S": "0",
            "CROSSBOOK_MAX_OPEN_ORDERS_PER_OWNER": str(10**9),
        })  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-c", "from crossbook.cli import main; main()", "relayer", "run",
             "--log-level", "WARNING"], env=env,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(url + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            single = bodies[:orders]
            seconds = asyncio.run(_closed_loop(url, single, concurrency=32))
            echo(f"ingest, one order per POST (32 connections): {orders / seconds:,.0f} orders/s")
            batched = bodies[orders : 2 * orders]
            chunks = [batched[i : i + 100] for i in range(0, len(batched), 100)]
            seconds = asyncio.run(_closed_loop(url, chunks, concurrency=4))
            echo(f"ingest, 100 orders per POST (4 connections): {orders / seconds:,.0f} orders/s")
            latencies = asyncio.run(_open_loop(url, bodies[2 * orders :], rate=1_000))
            echo(
                f"latency at 1,000 orders/s ({rate_orders:,} orders): p50 "
                f"{_percentile(latencies, 50) * 1000:.1f} ms, p99 "
                f"{_percentile(latencies, 99) * 1000:.1f} ms"
            )
        finally:
            proc.terminate()
            proc.wait(30)
