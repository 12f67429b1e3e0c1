"""`crossbook bench page`: the trading page's size, time to a usable page and fill delay, in
Chromium against a devnet and the relayer (docs/benchmarks.md, "Trading page")."""

from __future__ import annotations

import gzip
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from crossbook.bench.browser import (
    BrowserUnavailable,
    DevnetWallet,
    chromium,
    open_page,
    require_browser,
)
from crossbook.bench.page import WEB, BenchPage
from crossbook.devnet import DevAccount, Devnet
from crossbook.devnet.demo import approve_settlement, relayer_process
from crossbook.order import Domain, Order
from crossbook.signing import sign_order
from crossbook.web import STATIC_DIR

Echo = Callable[[str], None]
SIZE_GOAL_KB = 250
READY_GOAL_MS = 1000
FILL_GOAL_MS = 1000
#: the built files a browser loads besides index.html
BUNDLE = ("main.js", "app.css")

# Records, once per order uid, when its row in "My orders" first shows `filled`.
_WATCH_FILLS = """() => {
  window.__filledAt = {};
  const seen = () => {
    for (const row of document.querySelectorAll("#my-orders tr[data-uid]")) {
      const uid = row.dataset.uid;
      if (!(uid in window.__filledAt) && row.querySelector(".status")?.textContent === "filled") {
        window.__filledAt[uid] = Date.now();
      }
    }
  };
  new MutationObserver(seen).observe(document.getElementById("my-orders"),
    { childList: true, subtree: true, characterData: true });
}"""


@dataclass(frozen=True)
class PageFigures:
    sizes: dict[str, int]  # file -> gzipped bytes
    ready_ms: list[float]
    fill_ms: list[float]

    def rows(self) -> list[tuple[str, str, str]]:
        total = sum(self.sizes.values()) / 1000
        parts = ", ".join(f"{name} {size / 1000:.1f}" for name, size in self.sizes.items())
        return [
            ("JS and CSS, gzipped", f"{total:.1f} KB ({parts})", _goal(total, SIZE_GOAL_KB, "KB")),
            (
                "time to a usable page",
                _spread(self.ready_ms, "cold loads"),
                _goal(statistics.median(self.ready_ms), READY_GOAL_MS, "ms"),
            ),
            (
                "batch receipt to the fill on the page",
                _spread(self.fill_ms, "fills"),
                _goal(statistics.median(self.fill_ms), FILL_GOAL_MS, "ms"),
            ),
        ]


def _spread(values: list[float], what: str) -> str:
    return (
        f"median {statistics.median(values):.0f} ms, max {max(values):.0f} ms "
        f"over {len(values)} {what}"
    )


def _goal(value: float, goal: int, unit: str) -> str:
    return f"≤ {goal:,} {unit} ({'met' if value <= goal else 'missed'})"


def bundle_sizes() -> dict[str, int]:
    """Each built file of the page, gzipped at level 9 (bytes)."""
    missing = [name for name in BUNDLE if not (STATIC_DIR / name).is_file()]
    if missing:
        raise BrowserUnavailable(f"the page is not built ({', '.join(missing)}): run `make web`")
    return {name: len(gzip.compress((STATIC_DIR / name).read_bytes(), 9)) for name in BUNDLE}


def time_to_ready(browser: Any, url: str) -> float:
    """ms from navigation start to the page's `crossbook:ready` mark, in a fresh context."""
    page = open_page(browser, url)
    try:
        mark = page.evaluate("performance.getEntriesByName('crossbook:ready')[0].startTime")
        return float(mark)
    finally:
        page.context.close()


@contextmanager
def batch_events(url: str) -> Iterator[dict[int, float]]:
    """batch id -> when (unix ms) the first event of its settlement (its `trade` events come
    just before its `batch` one) reached this client of /v1/stream."""
    seen: dict[int, float] = {}
    stop = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{url}/v1/stream", timeout=None) as stream:
            for line in stream.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event.get("type") == "trade" and event.get("batchId") is not None:
                        seen.setdefault(int(event["batchId"]), time.time() * 1000)
                    elif event.get("type") == "batch" and event.get("status") == "final":
                        seen.setdefault(int(event["id"]), time.time() * 1000)

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()  # the thread ends at the next event or keep-alive; it is a daemon


def _signed(domain: Domain, owner: DevAccount, order: Order) -> dict[str, Any]:
    body: dict[str, Any] = order.to_json_dict()
    body["signature"] = "0x" + sign_order(order, domain, owner.private_key).hex()
    return body


def fill_delays(
    browser: Any, url: str, dn: Devnet, maker: DevAccount, taker: DevAccount, rounds: int
) -> list[float]:
    """ms from the relayer's first event of the settled batch to the page showing the maker's
    order filled."""
    domain = Domain(
        chain_id=dn.manifest.chain_id, verifying_contract=dn.manifest.address("Settlement")
    )
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    wallet = DevnetWallet(dn.node.rpc_url, maker, dn.manifest.chain_id, {dn.manifest.chain_id})
    page = open_page(browser, url + "/", wallet)
    delays: list[float] = []
    try:
        page.click("#connect")
        page.wait_for_selector("#account:has-text('0x')")
        page.evaluate(_WATCH_FILLS)
        with batch_events(url) as events, httpx.Client(base_url=url, timeout=30) as client:
            for n in range(1, rounds + 1):
                valid_to = int(time.time()) + 600
                ask = Order(
                    owner=maker.address,
                    sell_token=weth,
                    buy_token=usdc,
                    sell_amount=10**17,
                    buy_amount=199 * 10**6,
                    valid_to=valid_to,
                    nonce=n,
                )
                bid = Order(
                    owner=taker.address,
                    sell_token=usdc,
                    buy_token=weth,
                    sell_amount=201 * 10**6,
                    buy_amount=10**17,
                    valid_to=valid_to,
                    nonce=n,
                )
                uid = client.post("/v1/orders", json=_signed(domain, maker, ask)).json()["uid"]
                client.post("/v1/orders", json=_signed(domain, taker, bid)).raise_for_status()
                # function forms: the page's CSP forbids evaluating strings
                page.wait_for_function(
                    "uid => window.__filledAt[uid] !== undefined", arg=uid, timeout=60_000
                )
                shown = float(page.evaluate("uid => window.__filledAt[uid]", uid))
                trades = client.get("/v1/trades", params={"orderUid": uid}).json()
                batch = int(trades[0]["batchId"])
                deadline = time.monotonic() + 10
                while batch not in events and time.monotonic() < deadline:
                    time.sleep(0.01)
                delays.append(shown - events[batch])
    finally:
        page.context.close()
    return delays


def run_page_bench(
    echo: Echo,
    *,
    loads: int = 5,
    fills: int = 5,
    page: BenchPage | None = None,
    browser: Any = None,
) -> PageFigures:
    """Measure the page; in `browser` (a Playwright Chromium) if given, else in one it starts
    (Playwright's sync API runs one session per thread)."""
    sizes = bundle_sizes()
    if browser is None:
        require_browser()  # before the devnet starts
    echo("starting Anvil, deploying the suite, starting the relayer ...")
    with tempfile.TemporaryDirectory(prefix="crossbook-page-bench-") as tmp:
        workdir = Path(tmp)
        with Devnet.launch(manifest_dir=workdir) as dn:
            maker, taker = dn.accounts[1], dn.accounts[2]
            tokens = (dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address)
            approve_settlement(dn, (maker, taker), tokens)
            started = nullcontext(browser) if browser is not None else chromium()
            with relayer_process(dn, workdir, echo) as url, started as chrome:
                ready = [time_to_ready(chrome, url + "/") for _ in range(loads)]
                delays = fill_delays(chrome, url, dn, maker, taker, fills)
    figures = PageFigures(sizes, ready, delays)
    for scenario, figure, goal in figures.rows():
        echo(f"{scenario:<40} {figure:<50} goal {goal}")
    if page is not None:
        command = "crossbook bench page" + (
            "" if (loads, fills) == (5, 5) else f" --loads {loads} --fills {fills}"
        )
        echo(f"wrote {page.record(WEB, figures.rows(), command)}")
    return figures
