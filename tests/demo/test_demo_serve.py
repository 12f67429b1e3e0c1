"""`crossbook demo --serve` as a newcomer runs it: the page is served while the wallets trade,
and Ctrl-C stops the trading, prints the summary and stops the relayer and the devnet."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.devnet

CROSSBOOK = Path(sys.executable).with_name("crossbook")


def _read_until(proc: subprocess.Popen[str], pattern: str, seconds: float) -> list[str]:
    """Lines of the demo's output up to and including the first that matches `pattern`."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"no line matching {pattern!r} in {seconds} s: {lines[-20:]}")


def test_ctrl_c_stops_the_served_demo_with_its_summary() -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [str(CROSSBOOK), "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        before = _read_until(proc, r"^page:\s+http", 240)
        url = before[-1].split()[-1]
        rpc_url = next(line.split()[-1] for line in before if line.startswith("devnet: chain"))
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert "default-src 'self'" in page.headers["content-security-policy"]
        # The wallets keep trading: wait for a fill settled in a batch, then press Ctrl-C.
        deadline = time.monotonic() + 120
        while not any(
            t["batchId"] is not None
            for t in httpx.get(f"{url}v1/trades", params={"limit": 10}, timeout=10).json()
        ):
            assert time.monotonic() < deadline, "no fill settled within 120 s"
            time.sleep(1)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    after = out.splitlines()
    assert proc.returncode == 0, after[-20:]
    assert any(re.match(r"  batch \d+: \d+ fills", line) for line in after), after[-20:]
    assert "Ctrl-C: trading stops" in after
    assert "summary" in after
    assert after[-1] == "relayer and devnet stopped"
    # Nothing is left listening: the relayer and Anvil are gone.
    for gone in (url, rpc_url):
        with pytest.raises(httpx.TransportError):
            httpx.get(gone, timeout=2)
