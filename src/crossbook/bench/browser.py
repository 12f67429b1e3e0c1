"""The trading page in a real browser, for its benchmark and its tests: Debian's Chromium driven
by Playwright (from the dev extra), and a devnet wallet injected into the page.

The wallet is an EIP-1193 provider, announced through EIP-6963, that hands every request to
Python (`DevnetWallet.handle`), which forwards it to Anvil: Anvil's unlocked dev accounts sign
`eth_signTypedData_v4` and send transactions themselves, so every signature is real. Devnet
only: it needs a node that signs for its accounts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from crossbook.devnet import DevAccount
from crossbook.errors import CrossbookError

#: Debian's package (`apt-get install chromium`); Playwright's own browser download is not used
CHROMIUM = os.environ.get("CROSSBOOK_CHROMIUM", "/usr/bin/chromium")


class BrowserUnavailable(CrossbookError, RuntimeError):
    """Playwright or Chromium is missing."""


WALLET_SCRIPT = """// A devnet EIP-1193 wallet injected into the page: every request goes to Python
// (window.__devnetWalletRpc), which forwards it to Anvil, whose dev accounts sign typed data
// and send transactions themselves. Announced through EIP-6963.
(() => {
  const listeners = {};
  const provider = {
    async request({ method, params }) {
      const reply = await window.__devnetWalletRpc(method, params ?? []);
      for (const [event, value] of reply.emit ?? []) {
        for (const listener of listeners[event] ?? []) listener(value);
      }
      if (reply.error) {
        const error = new Error(reply.error.message);
        error.code = reply.error.code;
        throw error;
      }
      return reply.result;
    },
    on(event, listener) {
      (listeners[event] ??= []).push(listener);
    },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
    },
  };
  const info = {
    uuid: "6f1c7c4e-0b7e-4c1e-9a55-7a1d1c0c0b01",
    name: "crossbook devnet wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E",
    rdns: "org.crossbook.devnetwallet",
  };
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
    );
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


@dataclass
class DevnetWallet:
    """A browser context's wallet: `account` on Anvil. It starts on `chain_id` (another
    chain: the page must ask to switch) and knows only the chains in `known` (others: 4902
    until wallet_addEthereumChain). `reject_signatures`: the user says no (4001)."""

    rpc_url: str
    account: DevAccount
    chain_id: int
    known: set[int] = field(default_factory=set)
    reject_signatures: bool = False
    #: the priority fee (wei) the wallet sets on the transactions it sends; None: the page's
    tip: int | None = None
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
        if method == "eth_sendTransaction" and self.tip is not None:
            tx = {k: v for k, v in params[0].items() if k != "gasPrice"}
            tx.update(maxPriorityFeePerGas=hex(self.tip), maxFeePerGas=hex(2 * self.tip))
            params = [tx]
        reply = httpx.post(
            self.rpc_url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            timeout=30,
        ).json()
        if "error" in reply:
            return {"error": reply["error"]}
        return {"result": reply["result"]}


def require_browser() -> None:
    """Raise `BrowserUnavailable` unless Playwright and Chromium are installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise BrowserUnavailable(
            "Playwright is not installed: pip install -e '.[dev]' (the dev extra)"
        ) from None
    if not os.path.exists(CHROMIUM):
        raise BrowserUnavailable(
            f"no Chromium at {CHROMIUM}: apt-get install chromium, or set CROSSBOOK_CHROMIUM"
        )


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright's sync API); closed on exit."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_page(
    browser: Any,
    url: str,
    wallet: DevnetWallet | None = None,
    viewport: tuple[int, int] = (1280, 800),
    errors: list[str] | None = None,
) -> Any:
    """The page at `url` in a fresh context (cold cache), with `wallet` injected; returns once
    the page is usable (`body[data-ready]`). Console errors and uncaught exceptions are
    appended to `errors`."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    if wallet is not None:
        context.expose_function("__devnetWalletRpc", wallet.handle)
        context.add_init_script(WALLET_SCRIPT)
    page = context.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page
