"""An Anvil node from the project's npm install, on a free port, that always stops.

Mining modes: ``auto`` (a block per transaction; Anvil's automine can stall under bursts of
concurrent submissions, foundry-rs/foundry#10122, so load tests should use ``interval``),
``interval`` (a block every ``block_time`` seconds) and ``manual`` (blocks only on ``mine``).

The node is stopped on ``stop()``, on leaving the ``with`` block, at interpreter exit, and --
through ``PR_SET_PDEATHSIG`` -- even when the Python process is killed with SIGKILL.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import enum
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from crossbook.errors import DevnetError
from crossbook.paths import tool_path

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
DEVNET_CHAIN_ID = 31337
_PR_SET_PDEATHSIG = 1
_live_nodes: set[AnvilNode] = set()


class MiningMode(enum.StrEnum):
    AUTO = "auto"
    INTERVAL = "interval"
    MANUAL = "manual"


@dataclass(frozen=True)
class AnvilConfig:
    chain_id: int = DEVNET_CHAIN_ID
    mining: MiningMode = MiningMode.AUTO
    block_time: float = 1.0
    accounts: int = 10
    balance_ether: int = 10_000
    mnemonic: str = ANVIL_MNEMONIC
    hardfork: str = "prague"
    gas_limit: int = 30_000_000
    port: int | None = None
    host: str = "127.0.0.1"
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.mining is MiningMode.INTERVAL and self.block_time <= 0:
            raise DevnetError(f"interval mining needs block_time > 0, got {self.block_time}")
        if self.chain_id <= 0:
            raise DevnetError(f"chain id must be positive, got {self.chain_id}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) == 0


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class AnvilNode:
    """One Anvil process. Use as a context manager, or call ``start()`` / ``stop()``."""

    def __init__(self, config: AnvilConfig | None = None, *, detached: bool = False) -> None:
        self.config = config or AnvilConfig()
        self.detached = detached  # a detached node outlives this process (`devnet up --detach`)
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def rpc_url(self) -> str:
        if self.port is None:
            raise DevnetError("the Anvil node is not running; call start() first")
        return f"http://{self.config.host}:{self.port}"

    def command(self, port: int) -> list[str]:
        cfg = self.config
        cmd = [
            str(tool_path("anvil")),
            "--host",
            cfg.host,
            "--port",
            str(port),
            "--chain-id",
            str(cfg.chain_id),
            "--accounts",
            str(cfg.accounts),
            "--balance",
            str(cfg.balance_ether),
            "--mnemonic",
            cfg.mnemonic,
            "--hardfork",
            cfg.hardfork,
            "--gas-limit",
            str(cfg.gas_limit),
        ]
        if cfg.mining is MiningMode.INTERVAL:
            cmd += ["--block-time", str(cfg.block_time)]
        elif cfg.mining is MiningMode.MANUAL:
            cmd += ["--no-mining"]
        return cmd + list(cfg.extra_args)

    def start(self, timeout: float = 30.0) -> AnvilNode:
        if self.process is not None:
            raise DevnetError("this Anvil node is already started")
        if self.config.port is not None and port_in_use(self.config.port, self.config.host):
            raise DevnetError(
                f"Anvil did not start: port {self.config.port} is in use; "
                "pick another port or omit it to use a free one"
            )
        last_error = ""
        for _attempt in range(5):  # a free port can be taken between probe and bind
            port = self.config.port or free_port(self.config.host)
            fd, log_name = tempfile.mkstemp(prefix="anvil-", suffix=".log")
            self.log_path = Path(log_name)
            with os.fdopen(fd, "wb") as log:
                self.process = subprocess.Popen(
                    self.command(port),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches us; we stop Anvil in order
                    preexec_fn=None if self.detached else _die_with_parent,
                )
            self.port = port
            if not self.detached:
                _live_nodes.add(self)
            try:
                self._wait_ready(timeout)
                return self
            except DevnetError as exc:
                last_error = str(exc)
                self.stop()
                if self.config.port is not None or "in use" not in last_error.lower():
                    break
        raise DevnetError(f"Anvil did not start: {last_error}")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise DevnetError(
                    f"anvil exited with code {self.process.returncode}: {self.log_tail()}"
                )
            try:
                # our process must still be alive: another node may answer on a shared port
                if self.rpc("eth_chainId") is not None and self.process.poll() is None:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        raise DevnetError(f"anvil did not answer within {timeout}s: {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        proc, self.process = self.process, None
        _live_nodes.discard(self)
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- RPC -------------------------------------------------------------------------------
    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        response = requests.post(
            self.rpc_url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
            timeout=10,
        )
        body = response.json()
        if "error" in body:
            raise DevnetError(f"{method} failed: {body['error'].get('message', body['error'])}")
        return body.get("result")

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", [hex(blocks)])

    def set_mining(self, mode: MiningMode, block_time: float = 1.0) -> None:
        """Switch the mining mode of the running node."""
        if mode is MiningMode.AUTO:
            self.rpc("evm_setIntervalMining", [0])
            self.rpc("evm_setAutomine", [True])
        elif mode is MiningMode.INTERVAL:
            self.rpc("evm_setAutomine", [False])
            self.rpc("evm_setIntervalMining", [max(1, round(block_time))])
        else:
            self.rpc("evm_setAutomine", [False])
            self.rpc("evm_setIntervalMining", [0])

    def snapshot(self) -> str:
        result: str = self.rpc("evm_snapshot")
        return result

    def revert(self, snapshot_id: str) -> None:
        if not self.rpc("evm_revert", [snapshot_id]):
            raise DevnetError(f"evm_revert to {snapshot_id} failed")


@atexit.register
def _stop_all() -> None:
    for node in list(_live_nodes):
        node.stop()
