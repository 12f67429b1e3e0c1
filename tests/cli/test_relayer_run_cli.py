"""`crossbook relayer run` finds its node: the flag, the environment, a detached devnet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
