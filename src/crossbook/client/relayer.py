"""The relayer's HTTP API (docs/relayer.md) over httpx: typed errors, status polling and the
server-sent event stream."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Final

import httpx

from crossbook.client.chain import PermitSignature
from crossbook.client.errors import (
    ClientError,
    RelayerError,
    RelayerUnreachable,
    Timeout,
    relayer_error,
)

DEFAULT_RELAYER_URL: Final = "http://127.0.0.1:8080"
#: Order statuses after which nothing changes any more.
FINAL_STATUSES: Final = frozenset({"filled", "cancelled", "expired", "invalid"})

Json = dict[str, Any]


class RelayerClient:
    """One relayer. ``with RelayerClient(url) as relayer: relayer.post_order(body)``."""

    def __init__(
        self,
        url: str = DEFAULT_RELAYER_URL,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RelayerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            reply = self._send(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise RelayerUnreachable(
                f"no relayer answers at {self.url} ({type(exc).__name__}): start one "
                "(`crossbook relayer run`) or pass --relayer-url / CROSSBOOK_RELAYER_URL"
            ) from None
        if reply.status_code >= 400:
            raise self._error(reply)
        try:
            return reply.json()
        except ValueError:
            raise RelayerError(
                f"{method} {path} answered {reply.status_code} with a body that is not JSON: "
                f"is {self.url} a crossbook relayer?",
                status=reply.status_code,
            ) from None

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if method != "GET":
                raise  # a write may have reached the relayer: not repeated behind the caller
            # a kept-alive connection the relayer (or a proxy before it) closed meanwhile,
            # e.g. by the restart that also broke an event stream: once more, on a new one
            return self._http.request(method, path, **kwargs)

    def _error(self, reply: httpx.Response) -> RelayerError:
        retry = reply.headers.get("Retry-After")
        retry_after = float(retry) if retry and retry.replace(".", "", 1).isdigit() else None
        try:
            body = reply.json()
            code, description = str(body["errorType"]), str(body.get("description", ""))
        except (ValueError, KeyError, TypeError):
            return RelayerError(
                f"HTTP {reply.status_code} from {self.url}{reply.request.url.path}: "
                f"{reply.text[:200]!r} (not a crossbook relayer error body)",
                status=reply.status_code,
            )
        return relayer_error(code, description, reply.status_code, retry_after)

    # -- the API -------------------------------------------------------------------------------
    def health(self) -> Json:
        """`GET /health`; a degraded relayer (503) still returns its body."""
        try:
            reply = self._http.get("/health")
        except httpx.TransportError as exc:
            raise RelayerUnreachable(
                f"no relayer answers at {self.url} ({type(exc).__name__}): start one "
                "(`crossbook relayer run`) or pass --relayer-url / CROSSBOOK_RELAYER_URL"
            ) from None
        try:
            body: Json = reply.json()
        except ValueError:
            raise RelayerError(
                f"{self.url}/health is not JSON: is it a crossbook relayer?",
                status=reply.status_code,
            ) from None
        return body

    def post_order(self, body: Json) -> tuple[str, bool]:
        """Post one signed order; (uid, created). Re-posting a stored order is not an error."""
        reply = self._request("POST", "/v1/orders", json=body)
        return str(reply["uid"]), bool(reply["created"])

    def post_orders(self, bodies: list[Json]) -> list[Json]:
        """Post several orders at once; each result is `{uid, created}` or an error body."""
        result: list[Json] = self._request("POST", "/v1/orders", json=bodies)
        return result

    def post_permit(self, permit: PermitSignature) -> Json:
        """Have the relayer submit a signed EIP-2612 permit for the settlement contract and pay
        its gas: `{txHash, allowance}` (`txHash` None when the allowance already sufficed)."""
        result: Json = self._request(
            "POST",
            "/v1/permits",
            json={
                "owner": permit.owner,
                "token": permit.token,
                "value": str(permit.value),
                "nonce": str(permit.nonce),
                "deadline": permit.deadline,
                "signature": "0x" + permit.signature.hex(),
            },
        )
        return result

    def order(self, uid: str) -> Json:
        result: Json = self._request("GET", f"/v1/orders/{uid}")
        return result

    def status(self, uid: str) -> Json:
        result: Json = self._request("GET", f"/v1/orders/{uid}/status")
        return result

    def cancel(self, uid: str, signature: bytes) -> Json:
        """Off-chain cancellation: `signature` over `OrderCancellation(bytes32 orderUid)`."""
        result: Json = self._request(
            "DELETE", f"/v1/orders/{uid}", json={"signature": "0x" + signature.hex()}
        )
        return result

    def orders_of(
        self, owner: str, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Json]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status is not None:
            params["status"] = status
        result: list[Json] = self._request("GET", f"/v1/accounts/{owner}/orders", params=params)
        return result

    def markets(self) -> list[Json]:
        result: list[Json] = self._request("GET", "/v1/markets")
        return result

    def book(self, market: str) -> Json:
        result: Json = self._request("GET", f"/v1/markets/{market}/book")
        return result

    def trades(
        self, *, owner: str | None = None, order_uid: str | None = None, limit: int = 100
    ) -> list[Json]:
        params: dict[str, Any] = {"limit": limit}
        if owner is not None:
            params["owner"] = owner
        if order_uid is not None:
            params["orderUid"] = order_uid
        result: list[Json] = self._request("GET", "/v1/trades", params=params)
        return result

    def batch(self, batch_id: int) -> Json:
        result: Json = self._request("GET", f"/v1/batches/{batch_id}")
        return result

    # -- following orders ----------------------------------------------------------------------
    def stream(self, *, timeout: float | None = None) -> Iterator[Json]:
        """The server-sent events of `/v1/stream`, each as `{"type": ..., **data}`; ends when
        the server closes the stream or no byte arrives for `timeout` seconds."""
        for event in self._sse(timeout):
            if event["type"] != ":":
                yield event

    def _sse(self, timeout: float | None) -> Iterator[Json]:
        # comment lines (": connected", ": keepalive") come out as {"type": ":"}
        try:
            with self._http.stream(
                "GET", "/v1/stream", timeout=httpx.Timeout(10.0, read=timeout)
            ) as reply:
                if reply.status_code >= 400:
                    reply.read()
                    raise self._error(reply)
                event_type, data = "", []
                for line in reply.iter_lines():
                    if line.startswith(":"):
                        yield {"type": ":", "comment": line[1:].strip()}
                    elif line.startswith("event:"):
                        event_type = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line == "" and data:
                        try:
                            event = json.loads("\n".join(data))
                        except ValueError:
                            event = {"raw": "\n".join(data)}
                        if isinstance(event, dict):
                            event.setdefault("type", event_type)
                            yield event
                        event_type, data = "", []
        except httpx.ReadTimeout:
            return
        except httpx.TransportError as exc:
            raise RelayerUnreachable(
                f"the event stream of {self.url} failed ({type(exc).__name__})"
            ) from None

    def wait(
        self,
        uid: str,
        *,
        until: frozenset[str] = FINAL_STATUSES,
        timeout: float = 60.0,
        poll_s: float = 0.5,
    ) -> Json:
        """Poll the order's status until it is one of `until`; raises `Timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(uid)
            if status["status"] in until:
                return status
            if time.monotonic() >= deadline:
                raise Timeout(
                    f"order {uid} is still {status['status']} after {timeout:g} s "
                    f"(waited for {', '.join(sorted(until))})"
                )
            time.sleep(poll_s)

    def follow(
        self, uid: str, *, until: frozenset[str] = FINAL_STATUSES, timeout: float = 60.0
    ) -> Iterator[Json]:
        """Status updates of one order from the event stream (the current status first), until
        it reaches one of `until`; falls back to polling if the stream ends early."""
        current = self.status(uid)
        yield current
        if current["status"] in until:
            return
        deadline = time.monotonic() + timeout
        last = current["status"]
        try:
            for event in self._sse(max(1.0, min(timeout, 20.0))):
                # on connecting (and each keepalive) re-read: nothing slips in between
                if event["type"] == ":" or uid in (event.get("uid"), event.get("orderUid")):
                    # the event says something changed; the status endpoint says what
                    current = self.status(uid)
                    if current["status"] != last or event.get("type") == "trade":
                        last = current["status"]
                        yield current
                    if current["status"] in until:
                        return
                if time.monotonic() >= deadline:
                    break
        except ClientError:
            pass
        remaining = deadline - time.monotonic()
        if remaining > 0:
            final = self.wait(uid, until=until, timeout=remaining)
            if final["status"] != last:
                yield final
            return
        raise Timeout(f"order {uid} is still {last} after {timeout:g} s")
