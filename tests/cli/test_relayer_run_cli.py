"""`crossbook relayer run` finds its node: the flag, the environment, a detached devnet."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from crossbook.cli import main


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """The settings `relayer run` would serve with (the service itself is not started)."""
    seen: list[Any] = []
    monkeypatch.setattr("crossbook.relayer.service.run", seen.append)
    monkeypatch.setenv("CROSSBOOK_ROOT", str(tmp_path))
    monkeypatch.delenv("CROSSBOOK_RPC_URL", raising=False)
    (tmp_path / ".devnet").mkdir()
    (tmp_path / ".devnet" / "state.json").write_text(
        json.dumps({"rpc_url": "http://127.0.0.1:47001"})
    )
    return seen


def test_without_a_setting_it_uses_the_detached_devnet(captured: list[Any]) -> None:
    result = CliRunner().invoke(main, ["relayer", "run"])
    assert result.exit_code == 0, result.output
    assert captured[0].rpc_url == "http://127.0.0.1:47001"


def test_the_flag_and_the_environment_come_first(
    captured: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    CliRunner().invoke(main, ["relayer", "run", "--rpc-url", "http://127.0.0.1:47002"])
    monkeypatch.setenv("CROSSBOOK_RPC_URL", "http://127.0.0.1:47003")
    CliRunner().invoke(main, ["relayer", "run"])
    assert [s.rpc_url for s in captured] == ["http://127.0.0.1:47002", "http://127.0.0.1:47003"]


def test_database_defaults_to_the_data_dir_per_chain(
    captured: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CROSSBOOK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CROSSBOOK_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    CliRunner().invoke(main, ["relayer", "run"])
    CliRunner().invoke(main, ["relayer", "run", "--data-dir", str(tmp_path / "chosen")])
    default, chosen = captured
    assert default.database_url is None and chosen.database_url is None
    genesis, other_genesis, settlement = "0x" + "ab" * 32, "0x" + "cd" * 32, "0x" + "1F" * 20
    folder = f"31337-{'ab' * 6}/0x{'1f' * 20}"
    assert default.database_for(31337, genesis, settlement) == (
        f"sqlite:///{tmp_path}/xdg/crossbook/{folder}/relayer.db"
    )
    assert chosen.database_for(31337, genesis, settlement) == (
        f"sqlite:///{tmp_path}/chosen/{folder}/relayer.db"
    )
    assert (tmp_path / "chosen" / folder).is_dir()
    # a devnet started afresh reuses chain id and addresses, but not its genesis block
    assert chosen.database_for(31337, other_genesis, settlement) != chosen.database_for(
        31337, genesis, settlement
    )
    CliRunner().invoke(main, ["relayer", "run", "--database-url", "sqlite:///elsewhere.db"])
    assert captured[2].database_for(5, genesis, settlement) == "sqlite:///elsewhere.db"


def test_a_data_dir_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    from crossbook.relayer.settings import RelayerConfigError, RelayerSettings

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["relayer", "run", "--data-dir", str(blocker)])
    assert result.exit_code == 2 and "is a file" in result.output
    settings = RelayerSettings(data_dir=blocker)
    with pytest.raises(RelayerConfigError, match="cannot create the relayer's data folder"):
        settings.database_for(1, "0x" + "00" * 32, "0x" + "00" * 20)


@contextlib.contextmanager
def relayer_process(
    devnet_stack: Any, workdir: Path, data: Path, *args: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`crossbook relayer run ARGS` in `workdir` against the devnet stack's chain, with
    `data` as its data directory; yields the process and its URL once /health answers 200,
    and stops it with SIGTERM."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSBOOK_DATABASE")}
    env.update(
        CROSSBOOK_RPC_URL=devnet_stack.rpc_url,
        CROSSBOOK_MANIFEST_DIR=str(devnet_stack.manifest_dir),
        CROSSBOOK_DATA_DIR=str(data),
        CROSSBOOK_PORT=str(port),
    )
    crossbook = Path(sys.executable).with_name("crossbook")
    proc = subprocess.Popen(
        [str(crossbook), "relayer", "run", *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the relayer did not answer /health in 60 s"
            time.sleep(0.3)
        yield proc, url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_a_relayer_run_in_a_folder_leaves_nothing_there(devnet_stack, tmp_path: Path) -> None:
    """A real relayer process started in an empty folder, with no database setting: its
    SQLite database and lock go to the data directory, and the folder stays empty."""
    workdir, data = tmp_path / "cwd", tmp_path / "data"
    workdir.mkdir()
    with relayer_process(devnet_stack, workdir, data):
        pass
    assert list(workdir.iterdir()) == []
    genesis = bytes(devnet_stack.w3.eth.get_block(0)["hash"]).hex()[:12]
    settlement = devnet_stack.manifest.address("Settlement").lower()
    folder = data / f"{devnet_stack.chain_id}-{genesis}" / settlement
    assert (folder / "relayer.db").is_file()
    assert (folder / "relayer.db.submitter.lock").exists()


def children(pid: int) -> set[int]:
    return {
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    }


def test_workers_serve_one_port_and_stop_together(devnet_stack, tmp_path: Path) -> None:
    """`--workers 2`: two API processes behind one port, the schema migrated once before
    they start; SIGTERM stops the parent and both workers."""
    with relayer_process(devnet_stack, tmp_path, tmp_path / "data", "--workers", "2") as (
        proc,
        url,
    ):
        workers = children(proc.pid)
        assert len(workers) >= 2
        answers = [httpx.get(f"{url}/v1/markets", timeout=10).json() for _ in range(6)]
        assert all(answer == answers[0] for answer in answers)  # whichever worker answered
        assert "WETH-USDC" in {m["market"] for m in answers[0]}, answers[0]
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    deadline = time.monotonic() + 10  # an exited worker is gone once init has reaped it
    while any(Path(f"/proc/{w}").exists() for w in workers):
        assert time.monotonic() < deadline, f"workers still running: {workers}"
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--workers", "0"], {}, "--workers=0: Input should be greater than or equal to 1"),
        (["--port", "99999"], {}, "--port=99999: Input should be less than or equal to 65535"),
        (
            [],
            {"CROSSBOOK_BATCH_INTERVAL_S": "abc"},
            "CROSSBOOK_BATCH_INTERVAL_S='abc': Input should be a valid number",
        ),
    ],
)
def test_a_setting_that_does_not_parse_is_named_in_one_line(
    captured: list[Any], args: list[str], env: dict[str, str], message: str
) -> None:
    result = CliRunner(mix_stderr=False).invoke(main, ["relayer", "run", *args], env=env)
    assert result.exit_code == 1 and captured == []
    assert result.stderr.startswith("Error: RelayerConfigError: " + message), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
