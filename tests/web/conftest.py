"""Browser fixtures: a devnet, the relayer on a real uvicorn server (that a test can stop and
start again on the same port), Debian's Chromium driven by Playwright, and a test wallet per
browser context that forwards every EIP-1193 request to Anvil."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from crossbook.devnet import DevAccount, Devnet
from crossbook.relayer.service import build
from crossbook.web import STATIC_DIR
from tests.relayer.chain_helpers import relayer_settings
from tests.relayer.helpers import free_port

CHROMIUM = os.environ.get("CROSSBOOK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("CROSSBOOK_TEST_ARTIFACTS", "test-artifacts"))
#: what the page needs an order to stay valid for: the shortest expiry it offers (5 min) is
#: refused, so one test meets InsufficientValidTo
MIN_VALID_FOR_S = 900

pytestmark = pytest.mark.devnet

if not Path(CHROMIUM).exists():  # .ci/run installs it; say so rather than skip silently
    raise RuntimeError(f"no Chromium at {CHROMIUM}: apt-get install chromium (see .ci/run)")
if not (STATIC_DIR / "index.html").exists():
    raise RuntimeError("the page is not built: run `make build` (or `make web`)")


class RelayerServer:
    """The relayer (API, matcher, submitter) on 127.0.0.1:<port> in a thread."""

    def __init__(self, dn: Devnet, db: str) -> None:
        self.dn, self.db, self.port = dn, db, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        relayer = build(
            relayer_settings(
                self.dn,
                self.db,
                public_rpc_url=self.dn.node.rpc_url,
                min_valid_for_s=MIN_VALID_FOR_S,
                # orders cross each other only (no AMM pool or on-chain book legs)
                route_pools=False,
                route_books=False,
            )
        )
        config = uvicorn.Config(
            relayer.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the relayer did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            self._server = self._thread = None


@dataclass
class TestWallet:
    """One browser context's wallet: `account` on Anvil. It starts on `chain_id` (another
    chain: the page must ask to switch) and knows only the chains in `known` (others: 4902
    until wallet_addEthereumChain). `reject_signatures`: the user says no (4001)."""

    rpc_url: str
    account: DevAccount
    chain_id: int
    known: set[int] = field(default_factory=set)
    reject_signatures: bool = False
    requests: list[str] = field(default_factory=list)

    def handle(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.requests.append(method)
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [self.account.address]}
        if method == "eth_chainId":
            return {"result": hex(self.chain_id)}
        if method == "wallet_addEthereumChain":
            self.known.add(int(params[0]["chainId"], 16))
            return {"result": None}
        if method == "wallet_switchEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            if wanted not in self.known:
                return {"error": {"code": 4902, "message": "unknown chain"}}
            self.chain_id = wanted
            return {"result": None, "emit": [["chainChanged", hex(wanted)]]}
        if method.startswith("eth_signTypedData") and self.reject_signatures:
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        reply = httpx.post(
            self.rpc_url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            timeout=30,
        ).json()
        if "error" in reply:
            return {"error": reply["error"]}
        return {"result": reply["result"]}


@pytest.fixture(scope="package")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    with Devnet.launch(manifest_dir=tmp_path_factory.mktemp("manifests")) as dn:
        yield dn


@pytest.fixture(scope="package")
def relayer(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayerServer]:
    db = f"sqlite:///{tmp_path_factory.mktemp('relayer')}/relayer.db"
    server = RelayerServer(devnet, db)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any, devnet: Devnet, relayer: RelayerServer) -> Iterator[Callable[..., Any]]:
    """open_page(account index, on_chain=..., viewport=...) -> (page, wallet): the trading page
    in a fresh context whose wallet is that dev account. Console errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []
    script = (Path(__file__).parent / "test_wallet.js").read_text()

    def open_(
        index: int, *, on_chain: int | None = None, viewport: tuple[int, int] = (1280, 800)
    ) -> tuple[Any, TestWallet]:
        chain_id = devnet.manifest.chain_id
        wallet = TestWallet(
            devnet.node.rpc_url,
            devnet.accounts[index],
            on_chain or chain_id,
            known={1} if on_chain else {chain_id},
        )
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(context)
        context.expose_function("__testWalletRpc", wallet.handle)
        context.add_init_script(script)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(relayer.url + "/")
        page.wait_for_selector("body[data-ready=true]")
        return page, wallet

    yield open_
    for context in contexts:
        context.close()
    # a refused request (the relayer stopped on purpose) logs a network error; nothing else may
    unexpected = [
        e
        for e in errors
        if "net::ERR_CONNECTION_REFUSED" not in e and "Failed to load resource" not in e
    ]
    assert not unexpected, unexpected


def save_artifact(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path
