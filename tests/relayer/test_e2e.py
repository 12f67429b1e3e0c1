"""End to end on Anvil: wallets post over HTTP, batches form, fills land on chain, statuses
become final; and kill -9 of the relayer process mid-flight loses no order and settles none
twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossbook.bench.gas import token_contract
from crossbook.chain import wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.order import Domain, Order
from crossbook.relayer.service import build
from crossbook.relayer.settings import RelayerSettings
from crossbook.relayer.settlement_events import TRADE as TRADE_TOPIC
from tests.relayer.helpers import free_port, order_body, serve

pytestmark = pytest.mark.devnet
TRIALS = int(os.environ.get("CROSSBOOK_RESTART_TRIALS", "3"))
PAIRS = int(os.environ.get("CROSSBOOK_RESTART_PAIRS", "40"))


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    manifest_dir = tmp_path_factory.mktemp("manifests")
    with Devnet.launch(manifest_dir=manifest_dir) as dn:
        settlement = dn.manifest.address("Settlement")
        for account in dn.accounts[1:8]:
            for symbol in ("WETH", "USDC"):
                token = token_contract(dn, symbol)
                wait_for_receipt(
                    dn.w3,
                    token.functions.approve(settlement, 2**256 - 1).transact(
                        {"from": account.address}
                    ),
                    "approve",
                )
        yield dn


def _domain(dn: Devnet) -> Domain:
    return Domain(
        chain_id=dn.manifest.chain_id, verifying_contract=dn.manifest.address("Settlement")
    )


def _pair_bodies(dn: Devnet, n: int, rng: random.Random) -> list[dict[str, Any]]:
    """n crossing pairs: a seller of 1 WETH (limit 1,990 USDC) and a buyer paying 2,000 USDC
    (limit 0.99 WETH), alternating between the dev wallets; some sellers partially fillable."""
    domain = _domain(dn)
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    wallets = dn.accounts[1:8]
    bodies = []
    for i in range(n):
        s, b = wallets[i % len(wallets)], wallets[(i + 3) % len(wallets)]
        bodies.append(
            order_body(
                domain,
                s.private_key,
                s.address,
                weth,
                usdc,
                10**17,
                199 * 10**6,
                partial=rng.random() < 0.3,
            )
        )
        bodies.append(
            order_body(domain, b.private_key, b.address, usdc, weth, 200 * 10**6, 99 * 10**15)
        )
    return bodies


def _trade_logs(dn: Devnet, from_block: int) -> list[str]:
    logs = dn.w3.eth.get_logs(
        {
            "address": dn.manifest.address("Settlement"),
            "fromBlock": from_block,
            "toBlock": "latest",
            "topics": [TRADE_TOPIC],
        }
    )
    return ["0x" + bytes(log["topics"][1]).hex() for log in logs]


def _settings(dn: Devnet, db: str, **kw: Any) -> RelayerSettings:
    return RelayerSettings(
        rpc_url=dn.node.rpc_url,
        manifest_dir=dn.manifest_dir,
        database_url=db,
        batch_interval_s=0.3,
        receipt_poll_s=0.05,
        rate_limit_ip_per_s=0,
        rate_limit_owner_per_s=0,
        **kw,
    )


def test_wallets_trade_end_to_end(devnet: Devnet, tmp_path: Path) -> None:
    dn = devnet
    start_block = dn.w3.eth.block_number
    relayer = build(_settings(dn, f"sqlite:///{tmp_path}/e2e.db"))
    weth = token_contract(dn, "WETH")
    bodies = _pair_bodies(dn, 10, random.Random(1))
    owners = {b["owner"] for b in bodies}
    before = {a: weth.functions.balanceOf(a).call() for a in owners}
    events: list[str] = []

    with serve(relayer.app) as url:

        def listen() -> None:
            with httpx.stream("GET", f"{url}/v1/stream", timeout=60) as stream:
                for line in stream.iter_lines():
                    if line.startswith("event: "):
                        events.append(line[7:])
                    if "batch" in events:
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(0.3)
        with httpx.Client(base_url=url, timeout=30) as client:
            uids = [client.post("/v1/orders", json=b).json()["uid"] for b in bodies]
            deadline = time.monotonic() + 60
            statuses: list[str] = []
            while time.monotonic() < deadline:
                statuses = [client.get(f"/v1/orders/{u}/status").json()["status"] for u in uids]
                if all(s == "filled" for s in statuses):
                    break
                time.sleep(0.3)
            assert statuses == ["filled"] * len(uids)
            trades = client.get("/v1/trades", params={"limit": 1000}).json()
            assert sorted(t["orderUid"] for t in trades) == sorted(uids)
            batch = client.get(f"/v1/batches/{trades[0]['batchId']}").json()
            assert batch["status"] == "final" and batch["minedTx"]
            assert len(set(batch["clearingPrices"])) == 2  # one price per token
        listener.join(timeout=10)
    assert "trade" in events and "order" in events
    assert sorted(_trade_logs(dn, start_block + 1)) == sorted(uids)  # the chain agrees
    expected = dict.fromkeys(owners, 0)  # WETH moves as the Trade events say
    for t in trades:
        if t["buyToken"] == weth.address:
            expected[t["owner"]] += int(t["boughtAmount"])
        if t["sellToken"] == weth.address:
            expected[t["owner"]] -= int(t["soldAmount"]) + int(t["feeAmount"])
    assert {a: weth.functions.balanceOf(a).call() - before[a] for a in owners} == expected
    assert any(v != 0 for v in expected.values())


def _uid(dn: Devnet, body: dict[str, Any]) -> str:
    fields = {k: v for k, v in body.items() if k not in ("signature", "signingScheme")}
    return Order.from_json_dict(fields).uid_hex(_domain(dn))


def _spawn(dn: Devnet, db: str, port: int, log: Any) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "CROSSBOOK_RPC_URL": dn.node.rpc_url,
            "CROSSBOOK_MANIFEST_DIR": str(dn.manifest_dir),
            "CROSSBOOK_DATABASE_URL": db,
            "CROSSBOOK_PORT": str(port),
            "CROSSBOOK_BATCH_INTERVAL_S": "0.2",
            "CROSSBOOK_BATCH_MAX_FILLS": "16",
            "CROSSBOOK_RECEIPT_POLL_S": "0.05",
            "CROSSBOOK_RATE_LIMIT_IP_PER_S": "0",
            "CROSSBOOK_RATE_LIMIT_OWNER_PER_S": "0",
        }
    )
    code = "from crossbook.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "relayer", "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the relayer exited"
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the relayer did not come up")


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_mid_flight_loses_nothing_settles_nothing_twice(
    devnet: Devnet, tmp_path: Path, trial: int
) -> None:
    dn = devnet
    rng = random.Random(trial)
    start_block = dn.w3.eth.block_number
    db = f"sqlite:///{tmp_path}/restart.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    bodies = _pair_bodies(dn, PAIRS, rng)
    acknowledged: list[str] = []
    with open(tmp_path / "relayer.log", "wb") as log:
        proc = _spawn(dn, db, port, log)
        try:
            _wait_up(url, proc)
            kill_at = rng.uniform(0.2, 1.5)
            started = time.monotonic()
            with httpx.Client(base_url=url, timeout=10) as client:
                for body in bodies:
                    if time.monotonic() - started > kill_at:
                        break
                    reply = client.post("/v1/orders", json=body)
                    assert reply.status_code in (200, 201), reply.text
                    acknowledged.append(reply.json()["uid"])
            time.sleep(max(0.0, kill_at - (time.monotonic() - started)))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            # restart; post the rest (and re-post everything: idempotent)
            proc = _spawn(dn, db, port, log)
            _wait_up(url, proc)
            with httpx.Client(base_url=url, timeout=30) as client:
                for body in bodies:
                    reply = client.post("/v1/orders", json=body)
                    assert reply.status_code in (200, 201, 409), reply.text
                all_uids = [client.get(f"/v1/orders/{u}").status_code for u in acknowledged]
                assert all_uids == [200] * len(acknowledged)  # nothing acknowledged is lost
                uids = [_uid(dn, b) for b in bodies]
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    rows = [client.get(f"/v1/orders/{u}").json() for u in uids]
                    if (
                        all(r["status"] in ("filled", "open") for r in rows)
                        and not any(r["status"] == "pending" for r in rows)
                        and sum(r["status"] == "filled" for r in rows) >= len(rows) - 2
                    ):
                        break
                    time.sleep(0.3)
                health = client.get("/health").json()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    on_chain = _trade_logs(dn, start_block + 1)
    fok = {r["uid"] for r in rows if not (r["flags"] & 1)}
    # fill-or-kill orders: at most one Trade each; nothing fills beyond its amount
    assert all(on_chain.count(u) <= 1 for u in fok)
    by_uid = {r["uid"]: r for r in rows}
    sold: dict[str, int] = {}
    for entry in dn.w3.eth.get_logs(
        {
            "address": dn.manifest.address("Settlement"),
            "fromBlock": start_block + 1,
            "toBlock": "latest",
            "topics": [TRADE_TOPIC],
        }
    ):
        uid = "0x" + bytes(entry["topics"][1]).hex()
        sold[uid] = sold.get(uid, 0) + int.from_bytes(bytes(entry["data"])[64:96], "big")
    for uid, amount in sold.items():
        assert amount <= int(by_uid[uid]["sellAmount"])
        assert int(by_uid[uid]["executedSellAmount"]) == amount  # the store agrees with the chain
    filled = [r for r in rows if r["status"] == "filled"]
    assert len(filled) >= len(rows) - 2, json.dumps(health)  # all but a leftover remainder
    assert {r["uid"] for r in filled} <= set(sold)
