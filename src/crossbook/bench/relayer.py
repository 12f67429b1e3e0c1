"""Relayer benchmarks: HTTP ingest (validated, durably stored orders/s), latency at a fixed
1,000 orders/s, the matching engine alone (order events/s), and end to end on a chain (fills
settled per second against the block-gas bound).

The relayer runs as its own process (`crossbook relayer run`, worker off, balance and
allowance checks on against a devnet) so the load generator does not share its interpreter.
Orders are signed before the clock starts. The figures are printed, returned, and with a
`BenchPage` recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import uvloop

from crossbook.bench.gas import token_contract
from crossbook.bench.page import RELAYER_E2E, RELAYER_INGEST, BenchPage, Rows
from crossbook.chain import wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.order import Domain, Order
from crossbook.relayer.matching import BookOrder, Market, match_market
from crossbook.relayer.settlement_events import TRADE as TRADE_TOPIC
from crossbook.signing import sign_order


def _bodies(dn: Devnet, n: int) -> list[dict[str, Any]]:
    domain = Domain(
        chain_id=dn.manifest.chain_id, verifying_contract=dn.manifest.address("Settlement")
    )
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    wallets = dn.accounts[1:8]
    out = []
    for i in range(n):
        w = wallets[i % len(wallets)]
        order = Order(
            owner=w.address,
            sell_token=weth,
            buy_token=usdc,
            sell_amount=10**15,
            buy_amount=2 * 10**6,
            valid_to=2**32 - 1,
            nonce=i,
            flags=1,
        )
        body: dict[str, Any] = order.to_json_dict()
        body["signature"] = "0x" + sign_order(order, domain, w.private_key).hex()
        out.append(body)
    return out


class _Connection:
    """One keep-alive HTTP/1.1 connection that sends pre-encoded requests.

    A general-purpose async HTTP client (httpx) spends more time per request than the relayer
    does on it, so it would measure itself, not the relayer; this costs tens of microseconds
    per request.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"a reply without Content-Length: {head[:200]!r}")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def _post(host: str, port: int, body: Any) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    return (
        f"POST /v1/orders HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


def _check(status: int, reply: bytes) -> None:
    if status >= 300:
        raise RuntimeError(f"ingest failed: {status} {reply[:200]!r}")
    if reply.startswith(b"["):  # the batch form: 200 with one result per order
        results = json.loads(reply)
        bad = [r for r in results if "uid" not in r]
        if bad:
            raise RuntimeError(f"ingest failed: {bad[0]}")


def _run(coro: Any) -> Any:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


async def _closed_loop(host: str, port: int, requests: list[bytes], concurrency: int) -> float:
    """Seconds to send `requests` over `concurrency` connections, each waiting for its reply."""
    pending = iter(requests)
    connections = [await _Connection.open(host, port) for _ in range(concurrency)]

    async def worker(conn: _Connection) -> None:
        for request in pending:
            _check(*await conn.send(request))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for conn in connections:
            conn.close()
    return time.perf_counter() - started


async def _open_loop(host: str, port: int, requests: list[bytes], rate: float) -> list[float]:
    """Send at a fixed `rate` whatever the replies do; latency from each request's scheduled
    time (no coordinated omission: a stalled server is charged for the queue it causes)."""
    idle: list[_Connection] = [await _Connection.open(host, port) for _ in range(16)]
    every: list[_Connection] = list(idle)
    latencies: list[float] = []

    async def one(request: bytes, scheduled: float) -> None:
        conn = idle.pop() if idle else None
        if conn is None:
            conn = await _Connection.open(host, port)
            every.append(conn)
        _check(*await conn.send(request))
        latencies.append(time.perf_counter() - scheduled)
        idle.append(conn)

    tasks = []
    start = time.perf_counter()
    try:
        for i, request in enumerate(requests):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(request, scheduled)))
        await asyncio.gather(*tasks)
    finally:
        for conn in every:
            conn.close()
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
            book.append(
                BookOrder(
                    f"a{i}", base, quote, size, size * price // 10**12, size, rng.random() < 0.5, i
                )
            )
        else:
            q = size * price // 10**12
            book.append(BookOrder(f"b{i}", quote, base, q, size, q, rng.random() < 0.5, i))
    started = time.perf_counter()
    plan = match_market(market, book, max_fills=200)
    elapsed = time.perf_counter() - started
    if plan is None:
        raise RuntimeError("the benchmark book did not cross")
    return orders / elapsed


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its child processes (uvicorn workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        p = pending.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(c) for c in children)
        except (OSError, IndexError, ValueError):
            continue
    return total


@dataclass(frozen=True)
class IngestFigures:
    """What `run_bench` measured; one entry per round (matching: per run)."""

    database: str  # "SQLite", or the scheme of --database-url
    workers: int
    orders: int
    rate_orders: int
    matching: list[float]  # order events/s
    single: list[tuple[float, float]]  # one order per POST: (orders/s, relayer CPU us/order)
    batched: list[tuple[float, float]]  # 100 orders per POST: the same
    latency: list[tuple[float, float, float]]  # at 1,000 orders/s: p50, p99, max in ms

    def rows(self) -> Rows:
        setup = f"{self.database}, {self.workers} API process{'es' if self.workers > 1 else ''}"

        def ingest(figures: list[tuple[float, float]]) -> str:
            rates = " / ".join(f"{r:,.0f}" for r, _ in figures)
            cpu = " / ".join(f"{c:,.0f}" for _, c in figures)
            return f"{rates} orders/s; relayer CPU {cpu} us per order"

        latency = "; ".join(
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {top:.1f} ms"
            for p50, p99, top in self.latency
        )
        return [
            (
                "matching, 100,000-order book, one cut",
                " / ".join(f"{r:,.0f}" for r in self.matching) + " order events/s",
            ),
            (f"ingest, one order per POST, 32 connections ({setup})", ingest(self.single)),
            (f"ingest, 100 orders per POST, 4 connections ({setup})", ingest(self.batched)),
            (f"latency at 1,000 orders/s, one order per POST ({setup})", latency),
        ]


def run_bench(
    echo: Callable[[str], None],
    *,
    orders: int,
    rate_orders: int,
    database_url: str | None,
    workers: int = 1,
    rounds: int = 1,
    page: BenchPage | None = None,
) -> IngestFigures:
    """Ingest and matching figures; each ingest figure comes with the relayer's own CPU time
    per order, which (unlike orders/s) does not depend on what else the machine runs."""
    rates = [bench_matching(seed=r + 1) for r in range(max(rounds, 3))]
    echo(
        "matching: "
        + ", ".join(f"{r:,.0f}" for r in rates)
        + " order events/s (100,000-order book, one cut per run)"
    )
    database = "SQLite" if database_url is None else database_url.split(":")[0]
    figures = IngestFigures(database, workers, orders, rate_orders, rates, [], [], [])
    with Devnet.launch() as dn, tempfile.TemporaryDirectory() as tmp:
        weth = token_contract(dn, "WETH")
        for wallet in dn.accounts[1:8]:
            wait_for_receipt(
                dn.w3,
                weth.functions.approve(dn.manifest.address("Settlement"), 2**256 - 1).transact(
                    {"from": wallet.address}
                ),
                "approve",
            )
        per_round = orders * 2 + rate_orders
        echo(f"signing {per_round * rounds:,} orders ...")
        bodies = _bodies(dn, per_round * rounds)
        port = 18_000 + os.getpid() % 1000
        env = dict(os.environ)
        env.update(
            {
                "CROSSBOOK_RPC_URL": dn.node.rpc_url,
                "CROSSBOOK_MANIFEST_DIR": str(dn.manifest_dir or Path("deployments")),
                "CROSSBOOK_DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.db",
                "CROSSBOOK_PORT": str(port),
                "CROSSBOOK_RUN_WORKER": "false",
                "CROSSBOOK_WORKERS": str(workers),
                "CROSSBOOK_RATE_LIMIT_IP_PER_S": "0",
                "CROSSBOOK_RATE_LIMIT_OWNER_PER_S": "0",
                "CROSSBOOK_MAX_OPEN_ORDERS_PER_OWNER": str(10**9),
            }
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from crossbook.cli import main; main()",
                "relayer",
                "run",
                "--log-level",
                "WARNING",
            ],
            env=env,
        )
        url = f"http://127.0.0.1:{port}"
        host = "127.0.0.1"
        try:
            for _ in range(300):
                try:
                    if httpx.get(url + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            echo(f"relayer: {workers} API process(es), {database}")
            for r in range(rounds):
                mine = bodies[r * per_round : (r + 1) * per_round]

                def measured(coro: Any) -> tuple[Any, float]:
                    cpu = _cpu_seconds(proc.pid)
                    result = _run(coro)
                    return result, (_cpu_seconds(proc.pid) - cpu) / orders * 1e6

                single = [_post(host, port, b) for b in mine[:orders]]
                seconds, cpu = measured(_closed_loop(host, port, single, concurrency=32))
                figures.single.append((orders / seconds, cpu))
                echo(
                    f"[{r + 1}] ingest, one order per POST (32 connections): "
                    f"{orders / seconds:,.0f} orders/s, relayer CPU {cpu:,.0f} us/order"
                )
                batched = mine[orders : 2 * orders]
                chunks = [_post(host, port, batched[i : i + 100]) for i in range(0, orders, 100)]
                seconds, cpu = measured(_closed_loop(host, port, chunks, concurrency=4))
                figures.batched.append((orders / seconds, cpu))
                echo(
                    f"[{r + 1}] ingest, 100 orders per POST (4 connections): "
                    f"{orders / seconds:,.0f} orders/s, relayer CPU {cpu:,.0f} us/order"
                )
                paced = [_post(host, port, b) for b in mine[2 * orders :]]
                latencies = _run(_open_loop(host, port, paced, rate=1_000))
                p50, p99 = _percentile(latencies, 50) * 1000, _percentile(latencies, 99) * 1000
                figures.latency.append((p50, p99, max(latencies) * 1000))
                echo(
                    f"[{r + 1}] latency at 1,000 orders/s, one order per POST "
                    f"({rate_orders:,} orders): p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                    f"max {max(latencies) * 1000:.1f} ms"
                )
        finally:
            proc.terminate()
            proc.wait(30)
    if page is not None:
        command = f"crossbook relayer bench --orders {orders} --rate-orders {rate_orders}"
        command += f" --workers {workers}" if workers != 1 else ""
        command += f" --rounds {rounds}" if rounds != 1 else ""
        command += f" --database-url {database}://..." if database_url else ""
        echo(f"wrote {page.record(RELAYER_INGEST, figures.rows(), command)}")
    return figures


def _pair_bodies(dn: Devnet, pairs: int) -> list[dict[str, Any]]:
    """`pairs` crossing fill-or-kill pairs: 0.1 WETH for >= 199 USDC, 200 USDC for >= 0.099
    WETH, spread over the trading wallets."""
    domain = Domain(
        chain_id=dn.manifest.chain_id, verifying_contract=dn.manifest.address("Settlement")
    )
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    wallets = dn.accounts[1:8]
    out = []
    for i in range(pairs):
        seller, buyer = wallets[i % len(wallets)], wallets[(i + 3) % len(wallets)]
        for w, order in (
            (
                seller,
                Order(
                    owner=seller.address,
                    sell_token=weth,
                    buy_token=usdc,
                    sell_amount=10**17,
                    buy_amount=199 * 10**6,
                    valid_to=2**32 - 1,
                    nonce=2 * i,
                ),
            ),
            (
                buyer,
                Order(
                    owner=buyer.address,
                    sell_token=usdc,
                    buy_token=weth,
                    sell_amount=200 * 10**6,
                    buy_amount=99 * 10**15,
                    valid_to=2**32 - 1,
                    nonce=2 * i + 1,
                ),
            ),
        ):
            body: dict[str, Any] = order.to_json_dict()
            body["signature"] = "0x" + sign_order(order, domain, w.private_key).hex()
            out.append(body)
    return out


@dataclass(frozen=True)
class E2EFigures:
    """What `run_e2e_bench` measured over its window of blocks."""

    block_time: int
    fills_per_batch: int | None  # None: the relayer sizes its batches to its gas budget
    gas_limit: int
    fills_per_block: list[int]
    gas_per_fill: float

    @property
    def window(self) -> int:
        return len(self.fills_per_block) * self.block_time

    @property
    def rate(self) -> float:
        return sum(self.fills_per_block) / self.window

    @property
    def bound(self) -> float:
        return self.gas_limit / self.gas_per_fill / self.block_time

    def rows(self) -> Rows:
        sizing = (
            f"batches of {self.fills_per_batch:,} fills"
            if self.fills_per_batch
            else "batches sized by the relayer"
        )
        setup = f"{self.block_time}-s blocks, {sizing}"
        blocks = len(self.fills_per_block)
        settled = [f for f in self.fills_per_block if f]
        empty = blocks - len(settled)
        return [
            (
                f"fills settled per second ({setup})",
                f"{self.rate:,.0f} fills/s over {self.window} s: {self.rate / self.bound:.0%} of "
                f"the bound of {self.bound:,.0f} fills/s ({self.gas_limit:,} gas per block / "
                f"{self.gas_per_fill:,.0f} gas per fill / {self.block_time} s)",
            ),
            (
                f"fills per block ({setup})",
                f"{min(settled):,} to {max(settled):,} in a block with a settlement; "
                + (f"{empty} of {blocks} blocks without one" if empty else "none without one"),
            ),
            (f"gas per fill on chain, after refunds ({setup})", f"{self.gas_per_fill:,.0f}"),
        ]


def run_e2e_bench(
    echo: Callable[[str], None],
    *,
    seconds: int,
    fills_per_batch: int | None,
    block_time: int,
    page: BenchPage | None = None,
) -> E2EFigures | None:
    """Fills settled per second on Anvil with `block_time`-second blocks, against the bound
    block gas limit / gas per fill. The relayer runs as its own process with its worker;
    enough crossing orders are posted up front for every block of the window, and the window
    starts once they are all in, so the figure is the settling pipeline alone."""
    from crossbook.devnet import AnvilConfig, MiningMode

    config = AnvilConfig(mining=MiningMode.AUTO)
    with Devnet.launch(config) as dn, tempfile.TemporaryDirectory() as tmp:
        settlement = dn.manifest.address("Settlement")
        for wallet in dn.accounts[1:8]:
            for symbol in ("WETH", "USDC"):
                token = token_contract(dn, symbol)
                wait_for_receipt(
                    dn.w3,
                    token.functions.approve(settlement, 2**256 - 1).transact(
                        {"from": wallet.address}
                    ),
                    "approve",
                )
        dn.node.set_mining(MiningMode.INTERVAL, block_time)
        gas_limit = int(dn.w3.eth.get_block("latest")["gasLimit"])
        # enough orders for every block of the window even at a cheap 15k gas per fill; the
        # relayer sizes its batches to its gas budget itself unless told a fill count
        pairs = int(gas_limit / 15_000 / 2) * (seconds // block_time + 4)
        echo(
            f"e2e: {block_time}-s blocks, block gas limit {gas_limit:,}, batches of "
            f"{fills_per_batch or 'up to the gas budget of'} fills; signing {2 * pairs:,} "
            "orders ..."
        )
        bodies = _pair_bodies(dn, pairs)
        port = 19_000 + os.getpid() % 1000
        env = dict(os.environ)
        env.update(
            {
                "CROSSBOOK_RPC_URL": dn.node.rpc_url,
                "CROSSBOOK_MANIFEST_DIR": str(dn.manifest_dir or Path("deployments")),
                "CROSSBOOK_DATABASE_URL": f"sqlite:///{tmp}/e2e.db",
                "CROSSBOOK_PORT": str(port),
                "CROSSBOOK_BATCH_INTERVAL_S": "0",
                "CROSSBOOK_BATCH_MAX_FILLS": str(fills_per_batch or 100_000),
                "CROSSBOOK_RECEIPT_POLL_S": "0.02",
                "CROSSBOOK_CONFIRMATIONS": "1",
                "CROSSBOOK_RATE_LIMIT_IP_PER_S": "0",
                "CROSSBOOK_RATE_LIMIT_OWNER_PER_S": "0",
                "CROSSBOOK_MAX_OPEN_ORDERS_PER_OWNER": str(10**9),
            }
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from crossbook.cli import main; main()",
                "relayer",
                "run",
                "--log-level",
                os.environ.get("CROSSBOOK_BENCH_LOG_LEVEL", "WARNING"),
            ],
            env=env,
        )
        host, url = "127.0.0.1", f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(url + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            chunks = [_post(host, port, bodies[i : i + 500]) for i in range(0, len(bodies), 500)]
            _run(_closed_loop(host, port, chunks, concurrency=2))
            first = dn.w3.eth.block_number + 1
            last = first + seconds // block_time - 1
            while dn.w3.eth.block_number < last:
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(30)
        per_block: list[tuple[int, int]] = []  # (fills, settle gas) per block
        for number in range(first, last + 1):
            block = dn.w3.eth.get_block(number, full_transactions=True)
            fills = gas = 0
            for tx in block["transactions"]:
                tx_data = cast(dict[str, Any], tx)
                if str(tx_data["to"]).lower() != settlement.lower():
                    continue
                receipt = dn.w3.eth.get_transaction_receipt(tx_data["hash"])
                gas += int(receipt["gasUsed"])
                fills += sum(
                    1
                    for log in receipt["logs"]
                    if log["topics"] and "0x" + bytes(log["topics"][0]).hex() == TRADE_TOPIC
                )
            per_block.append((fills, gas))
    total_fills = sum(f for f, _ in per_block)
    total_gas = sum(g for _, g in per_block)
    if total_fills == 0:
        echo(f"e2e: no fills settled in blocks {first}..{last}")
        return None
    figures = E2EFigures(
        block_time, fills_per_batch, gas_limit, [f for f, _ in per_block], total_gas / total_fills
    )
    rate, bound, gas_per_fill = figures.rate, figures.bound, figures.gas_per_fill
    echo(f"e2e: fills per block {figures.fills_per_block}")
    echo(
        f"e2e: {rate:,.0f} fills/s over {figures.window} s (blocks {first}..{last}); gas per "
        f"fill {gas_per_fill:,.0f}; bound {gas_limit:,} / {gas_per_fill:,.0f} / {block_time} s "
        f"= {bound:,.0f} fills/s; {rate / bound:.0%} of the bound"
    )
    if page is not None:
        command = f"crossbook relayer bench --e2e --seconds {seconds}"
        command += f" --fills-per-batch {fills_per_batch}" if fills_per_batch else ""
        echo(f"wrote {page.record(RELAYER_E2E, figures.rows(), command)}")
    return figures
