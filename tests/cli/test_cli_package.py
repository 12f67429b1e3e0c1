"""The command tree and the connected-command helpers, without a node."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from crossbook.cli import main
from crossbook.cli.common import NodeCommand, NodeSession, WalletCommand, WalletSession
from crossbook.errors import CrossbookError


def test_every_group_is_registered() -> None:
    assert " ".join(sorted(main.commands)) == (
        "admin approve balance bench book demo deploy deposit devnet order pool relayer swap "
        "withdraw"
    )


def test_help_imports_no_web3() -> None:
    """`crossbook --help` stays fast: the node and client libraries load inside commands."""
    code = "import sys; from crossbook.cli import main; print('web3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_node_command_hands_one_session_after_its_own_options() -> None:
    seen: list[NodeSession] = []

    @click.command(cls=NodeCommand)
    @click.option("--levels", type=int, default=1)
    def cmd(node: NodeSession, levels: int) -> None:
        seen.append(node)
        node.emit({"levels": levels, "from": node.sender_ref})

    names = [p.name for p in cmd.params]
    assert names == ["levels", "sender", "rpc_url", "manifest_dir", "as_json"]
    result = CliRunner().invoke(
        cmd,
        ["--levels", "3", "--from", "2", "--json"],
        env={"CROSSBOOK_RPC_URL": "http://x:1", "CROSSBOOK_MANIFEST_DIR": "/m"},
    )
    assert result.exit_code == 0, result.output
    assert result.output == '{"from": "2", "levels": 3}\n'
    assert seen == [
        NodeSession(rpc_url="http://x:1", sender_ref="2", as_json=True, manifest_dir=Path("/m"))
    ]


def test_node_command_without_sender_or_json() -> None:
    @click.command(cls=NodeCommand, sender=False, json=False)
    def cmd(node: NodeSession) -> None:
        node.emit({"rpc": node.rpc_url})

    assert [p.name for p in cmd.params] == ["rpc_url", "manifest_dir"]
    result = CliRunner().invoke(cmd, ["--rpc-url", "http://x:2"])
    assert result.output == "rpc            http://x:2\n"


def test_a_crossbook_error_is_one_line_and_exit_1() -> None:
    class Mistake(CrossbookError):
        pass

    @click.command(cls=WalletCommand)
    def cmd(conn: WalletSession) -> None:
        raise Mistake(f"no good at {conn.relayer_url}")

    result = CliRunner(mix_stderr=False).invoke(cmd, [])
    assert result.exit_code == 1
    assert result.stderr == "Error: Mistake: no good at http://127.0.0.1:8080\n"


def test_wallet_command_takes_the_key_options() -> None:
    @click.command(cls=WalletCommand)
    def cmd(conn: WalletSession) -> None:
        conn.signer()

    result = CliRunner(mix_stderr=False).invoke(cmd, ["--key-file", "k", "--account", "a"])
    assert result.exit_code == 2
    assert "pass one of --key-file and --account, not both" in result.stderr
