"""Shared helpers of the relayer tests: signed order bodies, a uvicorn server in a thread."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from crossbook.order import Domain, Order
from crossbook.signing import sign_order

VALID_TO = 2**32 - 1
_nonces = itertools.count(1)


def order_body(
    domain: Domain,
    key: bytes,
    owner: str,
    sell_token: str,
    buy_token: str,
    sell_amount: int,
    buy_amount: int,
    *,
    partial: bool = False,
    nonce: int | None = None,
    valid_to: int = VALID_TO,
    fee: int = 0,
) -> dict[str, Any]:
    order = Order(
        owner=owner,
        sell_token=sell_token,
        buy_token=buy_token,
        sell_amount=sell_amount,
        buy_amount=buy_amount,
        fee_amount=fee,
        valid_to=valid_to,
        nonce=next(_nonces) if nonce is None else nonce,
        flags=1 if partial else 0,
    )
    body: dict[str, Any] = order.to_json_dict()
    body["signature"] = "0x" + sign_order(order, domain, key).hex()
    body["signingScheme"] = "eip712"
    return body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run `app` on a real uvicorn server in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
