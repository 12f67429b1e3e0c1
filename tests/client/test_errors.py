"""Typed errors of the SDK's relayer client, against a stub transport (no chain, no server)
and an address where nothing listens."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from crossbook.client import RelayerClient, errors
from crossbook.errors import CrossbookError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "relayer.md"


def documented_codes() -> set[str]:
    table = DOCS.read_text().split("### Error codes", 1)[1].split("\n## ", 1)[0]
    return {code for code in re.findall(r"`([A-Z][A-Za-z0-9]+)`", table)}


def test_one_class_per_documented_code() -> None:
    codes = documented_codes()
    assert len(codes) >= 27
    assert codes == set(errors.RELAYER_ERRORS)
    for code, cls in errors.RELAYER_ERRORS.items():
        assert cls.__name__ == code and cls.code == code
        assert issubclass(cls, errors.RelayerError) and issubclass(cls, CrossbookError)
    assert len(set(errors.RELAYER_ERRORS.values())) == len(codes)


def stub(status: int, body: object, headers: dict[str, str] | None = None) -> RelayerClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return RelayerClient("http://relayer.test", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("code", sorted(errors.RELAYER_ERRORS))
def test_each_error_body_raises_its_class(code: str) -> None:
    client = stub(400, {"errorType": code, "description": f"what went wrong: {code}"})
    with pytest.raises(errors.RELAYER_ERRORS[code]) as raised:
        client.status("0x" + "00" * 32)
    assert str(raised.value) == f"what went wrong: {code}"
    assert raised.value.status == 400 and raised.value.code == code


def test_rate_limit_carries_retry_after_and_unknown_codes_stay_typed() -> None:
    with pytest.raises(errors.TooManyRequests) as raised:
        stub(
            429, {"errorType": "TooManyRequests", "description": "slow down"}, {"Retry-After": "2"}
        ).markets()
    assert raised.value.retry_after == 2.0 and isinstance(raised.value, RuntimeError)
    with pytest.raises(errors.RelayerError) as unknown:
        stub(400, {"errorType": "SomethingNew", "description": "from a newer relayer"}).markets()
    assert unknown.value.code == "SomethingNew" and "from a newer relayer" in str(unknown.value)
    with pytest.raises(errors.RelayerError, match="not a crossbook relayer error body"):
        stub(502, ["not", "ours"]).markets()


def test_unreachable_relayer() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(
        errors.RelayerUnreachable, match=f"no relayer answers at http://127.0.0.1:{port}"
    ):
        RelayerClient(f"http://127.0.0.1:{port}", timeout=2).markets()


def test_sse_parsing() -> None:
    body = (
        ": connected\n\n"
        'event: order\ndata: {"type": "order", "uid": "0x01", "status": "open"}\n\n'
        ": keepalive\n\n"
        'event: trade\ndata: {"type": "trade", "orderUid": "0x01"}\n\n'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    client = RelayerClient("http://relayer.test", transport=httpx.MockTransport(handler))
    assert [e["type"] for e in client.stream(timeout=5)] == ["order", "trade"]
