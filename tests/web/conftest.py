"""Browser fixtures: a devnet, the relayer on a real uvicorn server (that a test can stop and
start again on the same port), Debian's Chromium driven by Playwright, and a test wallet per
browser context that forwards every EIP-1193 request to Anvil."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from crossbook.bench.browser import CHROMIUM, DevnetWallet, chromium
from crossbook.bench.browser import open_page as open_in_browser
from crossbook.devnet import Devnet
from crossbook.devnet.seed import seed_devnet
from crossbook.relayer.service import build
from crossbook.web import STATIC_DIR
from tests.relayer.chain_helpers import relayer_settings
from tests.relayer.helpers import free_port

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


@pytest.fixture(scope="package")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    """A devnet whose AMM pools hold liquidity and whose on-chain books hold a few levels
    (from dev account 0, which no test trades with)."""
    with Devnet.launch(manifest_dir=tmp_path_factory.mktemp("manifests")) as dn:
        deployer = dn.accounts[0]
        seed_devnet(dn.node.rpc_url, dn.manifest, [deployer], maker=deployer, echo=lambda _: None)
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
    with chromium() as launched:
        yield launched


@pytest.fixture
def open_page(browser: Any, devnet: Devnet, relayer: RelayerServer) -> Iterator[Callable[..., Any]]:
    """open_page(account index, on_chain=..., viewport=...) -> (page, wallet): the trading page
    in a fresh context whose wallet is that dev account. Console errors fail the test."""
    pages: list[Any] = []
    errors: list[str] = []

    def open_(
        index: int, *, on_chain: int | None = None, viewport: tuple[int, int] = (1280, 800)
    ) -> tuple[Any, DevnetWallet]:
        chain_id = devnet.manifest.chain_id
        wallet = DevnetWallet(
            devnet.node.rpc_url,
            devnet.accounts[index],
            on_chain or chain_id,
            known={1} if on_chain else {chain_id},
        )
        page = open_in_browser(browser, relayer.url + "/", wallet, viewport, errors)
        pages.append(page)
        return page, wallet

    yield open_
    for page in pages:
        page.context.close()
    # expected: the relayer stopped on purpose (its event stream cut, then connection refused)
    # and an order it refused (400); anything else (a CSP violation, a missing file, an
    # exception) fails the test
    expected = (
        "net::ERR_INCOMPLETE_CHUNKED_ENCODING",
        "net::ERR_CONNECTION_REFUSED",
        "the server responded with a status of 400",
    )
    unexpected = [e for e in errors if not any(x in e for x in expected)]
    assert not unexpected, unexpected


def save_artifact(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path
