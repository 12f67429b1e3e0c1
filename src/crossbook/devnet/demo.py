"""The README's run command: the whole exchange on a local devnet.

Anvil starts, the suite is deployed, the relayer runs as its own process (as an operator runs
it), and sample wallets trade through its HTTP API for a short while: each signs EIP-712
orders around a drifting WETH/USDC price and posts them. The relayer matches them per market
at one uniform clearing price per batch and settles the batches on chain. The run ends with a
summary (orders, fills, batches, gas per fill, clearing prices) and stops everything. With
`serve`, the wallets keep trading until Ctrl-C while the relayer serves the trading page.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx

from crossbook.chain import MAX_UINT, contract_at, wait_for_receipt
from crossbook.devnet import DevAccount, Devnet
from crossbook.errors import CrossbookError
from crossbook.order import Domain, Order, OrderFlags
from crossbook.signing import sign_order

TRADING_SECONDS = 12.0
WALLETS = 6  # dev accounts 1..6
Echo = Callable[[str], None]


class DemoError(CrossbookError, RuntimeError):
    """The demo could not run (the relayer did not start, or answered with an error)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def relayer_process(dn: Devnet, workdir: Path, echo: Echo) -> Iterator[str]:
    """`crossbook relayer run` in its own process against the devnet; yields its URL."""
    port = _free_port()
    env = {
        **os.environ,
        "CROSSBOOK_RPC_URL": dn.node.rpc_url,
        "CROSSBOOK_MANIFEST_DIR": str(dn.manifest_dir),
        "CROSSBOOK_DATABASE_URL": f"sqlite:///{workdir / 'relayer.db'}",
        "CROSSBOOK_PORT": str(port),
        "CROSSBOOK_BATCH_INTERVAL_S": "1.0",
        "CROSSBOOK_LOCK_FILE": str(workdir / "relayer.lock"),
        "CROSSBOOK_PUBLIC_RPC_URL": dn.node.rpc_url,  # the page offers it to a wallet
    }
    log_path = workdir / "relayer.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from crossbook.cli import main; main()", "relayer", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise DemoError(f"the relayer exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise DemoError("the relayer did not answer /health within 60 s")
            time.sleep(0.1)
        echo(f"relayer: {url} (pid {proc.pid}, log {log_path})")
        echo(f"page:    {url}/")
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # graceful: drains in-flight batches
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _random_order(
    rng: random.Random, wallet: DevAccount, weth: str, usdc: str, mid: Fraction, nonce: int
) -> Order:
    """A seller of WETH asking a little below `mid`, or a buyer bidding a little above it,
    so most orders cross; about a third are partially fillable."""
    size = Fraction(rng.choice([1, 2, 5]), 10)  # 0.1 .. 0.5 WETH
    sells_weth = rng.random() < 0.5
    edge = Fraction(rng.randint(-5, 20), 1000)  # -0.5% .. +2% willingness to cross
    flags = int(OrderFlags.PARTIALLY_FILLABLE) if rng.random() < 0.33 else 0
    if sells_weth:
        limit = mid * (1 - edge)  # USDC per WETH, at least
        sell, buy = int(size * 10**18), int(size * limit * 10**6)
        sell_token, buy_token = weth, usdc
    else:
        limit = mid * (1 + edge)  # USDC per WETH, at most
        sell, buy = int(size * limit * 10**6), int(size * 10**18)
        sell_token, buy_token = usdc, weth
    return Order(
        owner=wallet.address,
        sell_token=sell_token,
        buy_token=buy_token,
        sell_amount=sell,
        buy_amount=buy,
        valid_to=int(time.time()) + 600,
        nonce=nonce,
        flags=flags,
    )


def approve_settlement(
    dn: Devnet, wallets: list[DevAccount] | tuple[DevAccount, ...], tokens: tuple[str, ...]
) -> None:
    """Each wallet lets the settlement contract spend all of each token (devnet: the node
    signs for its dev accounts)."""
    settlement = dn.manifest.address("Settlement")
    for wallet in wallets:
        for address in tokens:
            token = contract_at(dn.w3, "MockERC20", address)
            tx = token.functions.approve(settlement, MAX_UINT).transact({"from": wallet.address})
            wait_for_receipt(dn.w3, tx, "approve")


def run_demo(echo: Echo, seconds: float | None = TRADING_SECONDS, seed: int = 7) -> dict[str, Any]:
    """Run the whole exchange for `seconds` of trading (None: until Ctrl-C); returns the
    summary figures."""
    echo("starting Anvil and deploying the suite ...")
    with tempfile.TemporaryDirectory(prefix="crossbook-demo-") as tmp:
        workdir = Path(tmp)
        with Devnet.launch(manifest_dir=workdir) as dn:
            echo(f"devnet: chain {dn.manifest.chain_id} at {dn.node.rpc_url}")
            for name, contract in sorted(dn.manifest.contracts.items()):
                echo(f"  {name:<22} {contract.address}")
            settlement = dn.manifest.address("Settlement")
            weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
            wallets = dn.accounts[1 : 1 + WALLETS]
            approve_settlement(dn, wallets, (weth, usdc))
            domain = Domain(chain_id=dn.manifest.chain_id, verifying_contract=settlement)
            with relayer_process(dn, workdir, echo) as url:
                summary = _trade(echo, url, domain, wallets, weth, usdc, seconds, seed)
        echo("relayer and devnet stopped")
    return summary


def _trade(
    echo: Echo,
    url: str,
    domain: Domain,
    wallets: list[DevAccount] | tuple[DevAccount, ...],
    weth: str,
    usdc: str,
    seconds: float | None,
    seed: int,
) -> dict[str, Any]:
    rng = random.Random(seed)
    mid = Fraction(2_000)
    uids: list[str] = []
    rejected = 0
    how_long = "until Ctrl-C" if seconds is None else f"for {seconds:.0f} s"
    echo(f"{len(wallets)} wallets trade WETH/USDC {how_long} ...")
    with httpx.Client(base_url=url, timeout=30) as client, _until_interrupted(echo, seconds):
        started, nonce = time.monotonic(), 0
        while seconds is None or time.monotonic() - started < seconds:
            mid *= Fraction(1000 + rng.randint(-3, 3), 1000)  # the market drifts
            for wallet in wallets:
                nonce += 1
                order = _random_order(rng, wallet, weth, usdc, mid, nonce)
                body: dict[str, Any] = order.to_json_dict()
                body["signature"] = "0x" + sign_order(order, domain, wallet.private_key).hex()
                body["signingScheme"] = "eip712"
                reply = client.post("/v1/orders", json=body)
                if reply.status_code in (200, 201):
                    uids.append(reply.json()["uid"])
                else:
                    rejected += 1
                    echo(f"  rejected: {reply.json().get('code')} {reply.json().get('message')}")
            time.sleep(0.5)
    with httpx.Client(base_url=url, timeout=30) as client:
        echo("trading stopped; waiting for the last batches to settle ...")
        statuses = _wait_settled(client, uids)
        trades = _get_json(client, "/v1/trades", limit=1000)
        batch_ids = sorted({t["batchId"] for t in trades if t["batchId"] is not None})
        batches = [_get_json(client, f"/v1/batches/{b}") for b in batch_ids]

    gas = sum(b["gasUsed"] or 0 for b in batches)
    fills = len(trades)
    summary = {
        "orders": len(uids) + rejected,
        "accepted": len(uids),
        "rejected": rejected,
        "filled": sum(1 for s in statuses.values() if s == "filled"),
        "open": sum(1 for s in statuses.values() if s == "open"),
        "fills": fills,
        "batches": len(batches),
        "gas_per_fill": gas // fills if fills else 0,
    }
    echo("summary")
    echo(
        f"  orders posted: {summary['orders']} (accepted {summary['accepted']}, "
        f"rejected {summary['rejected']})"
    )
    echo(
        f"  order status: {summary['filled']} filled, {summary['open']} still open "
        f"(not crossed yet, or partly filled), "
        f"{len(statuses) - summary['filled'] - summary['open']} other"
    )
    echo(
        f"  fills: {fills} in {len(batches)} batches, settle gas {gas:,} "
        f"({summary['gas_per_fill']:,} per fill)"
    )
    for b in batches:
        price = _usdc_per_weth(b, weth, usdc)
        legs = (("AMM pool", "poolLegs"), ("on-chain book", "bookLegs"))
        via = [name for name, key in legs if b.get(key)]
        route = f" (with the {' and the '.join(via)})" if via else ""
        echo(
            f"  batch {b['id']}: {len(b['fills'])} fills{route}, clearing price "
            f"{price:,.2f} USDC/WETH, gas {b['gasUsed'] or 0:,}, tx {b['minedTx']}"
        )
    return summary


@contextlib.contextmanager
def _until_interrupted(echo: Echo, seconds: float | None) -> Iterator[None]:
    """With no time limit, Ctrl-C ends the trading (and the run goes on to its summary)."""
    try:
        yield
    except KeyboardInterrupt:
        if seconds is not None:
            raise
        echo("Ctrl-C: trading stops")


def _get_json(client: httpx.Client, path: str, **params: Any) -> Any:
    reply = client.get(path, params=params)
    if reply.status_code != 200:
        raise DemoError(f"GET {path} answered {reply.status_code}: {reply.text[:300]}")
    return reply.json()


def _usdc_per_weth(batch: dict[str, Any], weth: str, usdc: str) -> float:
    prices = dict(zip((t.lower() for t in batch["tokens"]), batch["clearingPrices"], strict=True))
    # bought = sold * p[sell] / p[buy]; one WETH (1e18) buys p[WETH] * 1e18 / p[USDC] base units
    return int(prices[weth.lower()]) * 10**18 / int(prices[usdc.lower()]) / 10**6


def _wait_settled(client: httpx.Client, uids: list[str], timeout: float = 60.0) -> dict[str, str]:
    """Until no order is pending settlement (open orders may stay open: they did not cross)."""
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while True:
        statuses = {u: _get_json(client, f"/v1/orders/{u}/status")["status"] for u in uids}
        pending = [
            u
            for u, s in statuses.items()
            if s not in ("open", "filled", "cancelled", "expired", "invalid")
        ]
        if not pending or time.monotonic() > deadline:
            return statuses
        time.sleep(0.5)
