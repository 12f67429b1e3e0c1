"""Helpers of the relayer tests that drive a real chain: an approved devnet, the relayer in a
thread, the chain's Trade events, a TCP proxy that can cut the RPC connection, a JSON-RPC
proxy that answers chosen calls with node errors, polling."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from crossbook.bench.gas import token_contract
from crossbook.chain import wait_for_receipt
from crossbook.devnet import AnvilConfig, Devnet
from crossbook.order import Domain
from crossbook.relayer.settings import RelayerSettings
from crossbook.relayer.settlement_events import TRADE as TRADE_TOPIC
from tests.relayer.helpers import free_port, order_body

T = TypeVar("T")
WALLETS = slice(1, 8)  # dev accounts 1..7 trade; 0 deploys, 8 guards, 9 relays


@contextlib.contextmanager
def approved_devnet(manifest_dir: Path, config: AnvilConfig | None = None) -> Iterator[Devnet]:
    """A devnet whose trading wallets approved the settlement contract for WETH and USDC."""
    with Devnet.launch(config, manifest_dir=manifest_dir) as dn:
        settlement = dn.manifest.address("Settlement")
        for account in dn.accounts[WALLETS]:
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


def domain_of(dn: Devnet) -> Domain:
    return Domain(
        chain_id=dn.manifest.chain_id, verifying_contract=dn.manifest.address("Settlement")
    )


def ask_body(dn: Devnet, wallet: int, **kw: Any) -> dict[str, Any]:
    """Sell 0.1 WETH for at least 199 USDC (fill-or-kill unless partial=True)."""
    a = dn.accounts[wallet]
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    return order_body(
        domain_of(dn), a.private_key, a.address, weth, usdc, 10**17, 199 * 10**6, **kw
    )


def bid_body(dn: Devnet, wallet: int, **kw: Any) -> dict[str, Any]:
    """Pay 200 USDC for at least 0.099 WETH."""
    a = dn.accounts[wallet]
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    return order_body(
        domain_of(dn), a.private_key, a.address, usdc, weth, 200 * 10**6, 99 * 10**15, **kw
    )


def trades_on_chain(dn: Devnet, from_block: int = 0) -> dict[str, list[int]]:
    """uid -> the sold amount of each of its Trade events on the canonical chain."""
    logs = dn.w3.eth.get_logs(
        {
            "address": dn.manifest.address("Settlement"),
            "fromBlock": from_block,
            "toBlock": "latest",
            "topics": [TRADE_TOPIC],
        }
    )
    out: dict[str, list[int]] = {}
    for log in logs:
        uid = "0x" + bytes(log["topics"][1]).hex()
        out.setdefault(uid, []).append(int.from_bytes(bytes(log["data"])[64:96], "big"))
    return out


def relayer_settings(dn: Devnet, db: str, **kw: Any) -> RelayerSettings:
    values: dict[str, Any] = {
        "rpc_url": dn.node.rpc_url,
        "manifest_dir": dn.manifest_dir,
        "database_url": db,
        "batch_interval_s": 0.2,
        "receipt_poll_s": 0.05,
        "rate_limit_ip_per_s": 0,
        "rate_limit_owner_per_s": 0,
    }
    values.update(kw)
    return RelayerSettings(**values)


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class TcpProxy:
    """127.0.0.1:<port> forwarded to a target port. `cut()` closes every connection and the
    listener (clients get "connection refused", as when the node is down); `restore()`
    listens again on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            doomed = [*self._sockets, *([self._listener] if self._listener else [])]
            self._sockets.clear()
            self._listener = None
        _close(doomed)

    def drop(self) -> None:
        """Close every forwarded connection but keep listening (a proxy restarting its
        workers: streams and kept-alive connections break, a new connection is served)."""
        with self._lock:
            doomed = list(self._sockets)
            self._sockets.clear()
        _close(doomed)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _close(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


#: what `RpcFaults` does to one call: None forwards it; a dict is the JSON-RPC error to answer
Fault = Callable[[dict[str, Any]], dict[str, Any] | None]


class RpcFaults:
    """A JSON-RPC endpoint in front of a node that forwards every call, except those of a
    method given a fault: `fail("eth_createAccessList", code=-32601, message=..., times=1)`
    answers that error instead (a node that lacks a method, or refuses a call),
    `answer(method, result)` answers `result`, and `before("eth_sendRawTransaction", hook)`
    runs `hook(request)` first (so something can happen on the chain between a client's read
    and its send). Used where the node itself cannot be made to fail that one way."""

    def __init__(self, target_url: str) -> None:
        import http.server

        import requests

        self.target_url = target_url
        self.calls: list[str] = []
        self._faults: dict[str, list[Fault]] = {}
        self._session = requests.Session()
        faults = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                reply = faults._answer(json.loads(body))
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(self, method: str, *, code: int, message: str, times: int = 1) -> None:
        error = {"code": code, "message": message}
        self._faults.setdefault(method, []).extend([lambda _request: error] * times)

    def answer(self, method: str, result: Any) -> None:
        """Answer the next call of `method` with `result` (a node behind a load balancer that
        lags behind the one that answered the previous call answers null for a block)."""
        self._faults.setdefault(method, []).append(lambda _request: {"result": result})

    def before(self, method: str, hook: Callable[[dict[str, Any]], None]) -> None:
        def run(request: dict[str, Any]) -> None:
            hook(request)
            return None

        self._faults.setdefault(method, []).append(run)

    def _answer(self, request: Any) -> Any:
        if isinstance(request, list):
            return [self._answer(r) for r in request]
        method = str(request.get("method"))
        self.calls.append(method)
        pending = self._faults.get(method)
        if pending:
            fault = pending.pop(0)(request)
            if fault is not None:
                reply = fault if "result" in fault else {"error": fault}
                return {"jsonrpc": "2.0", "id": request.get("id"), **reply}
        return self._session.post(self.target_url, json=request, timeout=30).json()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._session.close()

    def __enter__(self) -> RpcFaults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
