"""The devnet harness: start, deploy, manifest, mining modes, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from web3 import Web3

from crossbook.devnet import AnvilConfig, AnvilNode, Devnet, MiningMode
from crossbook.errors import DevnetError, ManifestError, ToolchainError
from crossbook.manifest import DeployedContract, new_manifest, read_manifest, write_manifest
from crossbook.paths import project_root, tool_path

pytestmark = pytest.mark.devnet


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is gone for our purposes
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_launch_deploys_tokens_and_writes_manifest(tmp_path):
    with Devnet.launch(manifest_dir=tmp_path) as dn:
        manifest = read_manifest(31337, tmp_path)
        assert manifest == dn.manifest
        assert set(manifest.tokens) == {"WETH", "USDC", "DAI"}
        assert manifest.tokens["USDC"].decimals == 6
        code = dn.w3.eth.get_code(Web3.to_checksum_address(manifest.tokens["USDC"].address))
        assert len(code) > 0
        # every dev account holds the minted tokens
        from crossbook.bench.gas import token_contract

        usdc = token_contract(dn, "USDC")
        minted = 5_000_000 * 10**6
        for account in dn.accounts[1:]:
            assert usdc.functions.balanceOf(account.address).call() == minted
        # the deployer seeded the devnet pool (and books) from its own mint
        deployer_balance = usdc.functions.balanceOf(dn.deployer.address).call()
        pool = manifest.contracts["pool:WETH/USDC/30"].address
        assert deployer_balance + usdc.functions.balanceOf(pool).call() <= minted
        assert usdc.functions.balanceOf(pool).call() == 200_000 * 10**6
        assert len(manifest.git_commit) in (40, len("unknown"))


def test_stop_leaves_no_anvil_process():
    node = AnvilNode().start()
    assert node.process is not None
    pid = node.process.pid
    assert _pid_alive(pid)
    node.stop()
    assert not _pid_alive(pid)


def test_anvil_dies_with_a_killed_parent(tmp_path):
    """SIGKILL of the Python process that started Anvil still stops Anvil (PDEATHSIG)."""
    script = textwrap.dedent(
        """
        import sys, time
        from crossbook.devnet import AnvilNode
        node = AnvilNode().start()
        print(node.process.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    anvil_pid = int(parent.stdout.readline())
    assert _pid_alive(anvil_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        if not _pid_alive(anvil_pid):
            break
        time.sleep(0.1)
    assert not _pid_alive(anvil_pid)


def test_manual_mining_holds_transactions_until_mined():
    with AnvilNode(AnvilConfig(mining=MiningMode.MANUAL)) as node:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        start = w3.eth.block_number
        accounts = w3.eth.accounts
        tx = w3.eth.send_transaction({"from": accounts[0], "to": accounts[1], "value": 1})
        time.sleep(0.3)
        assert w3.eth.block_number == start
        node.mine()
        assert w3.eth.get_transaction_receipt(tx)["blockNumber"] == start + 1


def test_interval_mining_produces_blocks_without_transactions():
    with AnvilNode(AnvilConfig(mining=MiningMode.INTERVAL, block_time=1)) as node:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        start = w3.eth.block_number
        time.sleep(2.5)
        assert w3.eth.block_number >= start + 2


def test_busy_port_gives_a_clear_error():
    with AnvilNode() as first, pytest.raises(DevnetError, match="did not start"):
        AnvilNode(AnvilConfig(port=first.port)).start(timeout=10)


def test_interval_mining_rejects_nonpositive_block_time():
    with pytest.raises(DevnetError, match="block_time"):
        AnvilConfig(mining=MiningMode.INTERVAL, block_time=0)


def test_missing_manifest_is_a_typed_error(tmp_path):
    with pytest.raises(ManifestError, match="no deployment manifest for chain 5"):
        read_manifest(5, tmp_path)


def test_a_broken_or_misnamed_manifest_and_an_undeployed_contract_are_typed_errors(tmp_path):
    (tmp_path / "7.json").write_text("{not json")
    with pytest.raises(ManifestError, match=r"7\.json is malformed"):
        read_manifest(7, tmp_path)
    manifest = new_manifest(8)
    manifest.contracts["Settlement"] = DeployedContract(address="0x" + "44" * 20, block=1)
    write_manifest(manifest, tmp_path).replace(tmp_path / "9.json")
    with pytest.raises(ManifestError, match="says chain 8, expected 9"):
        read_manifest(9, tmp_path)
    with pytest.raises(
        ManifestError, match=r"'Router' is not deployed on chain 8 \(deployed: Settlement\)"
    ):
        manifest.address("Router")


def test_a_node_refuses_misuse_and_reports_what_anvil_said():
    with pytest.raises(DevnetError, match="chain id must be positive, got 0"):
        AnvilConfig(chain_id=0)
    node = AnvilNode(AnvilConfig(extra_args=("--no-such-flag",)))
    with pytest.raises(DevnetError, match="not running; call start"):
        node.rpc_url  # noqa: B018
    # Anvil exits at once on a flag it does not know: its own message, not a timeout (the npm
    # package's launcher does not pass anvil's exit code on).
    with pytest.raises(DevnetError, match=r"exited with code \d+: error: unexpected argument"):
        node.start(timeout=20)
    assert node.process is None

    with AnvilNode() as node:
        with pytest.raises(DevnetError, match="already started"):
            node.start()
        with pytest.raises(DevnetError, match="no_such_method failed"):
            node.rpc("no_such_method")
        with pytest.raises(DevnetError, match="evm_revert to 0x7 failed"):
            node.revert("0x7")
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        start = w3.eth.block_number
        node.set_mining(MiningMode.INTERVAL, block_time=1)
        deadline = time.monotonic() + 10
        while w3.eth.block_number == start and time.monotonic() < deadline:
            time.sleep(0.1)
        assert w3.eth.block_number > start  # a block with no transaction: interval mining


def test_tools_come_from_the_checkout_then_from_path(tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSBOOK_ROOT", str(tmp_path))  # a checkout without node_modules
    assert project_root() == tmp_path.resolve()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(ToolchainError, match=r"`anvil` not found in node_modules/\.bin or on PATH"):
        tool_path("anvil")
    (tmp_path / "bin").mkdir()
    anvil = tmp_path / "bin" / "anvil"
    anvil.write_text("#!/bin/sh\n")
    anvil.chmod(0o755)
    assert tool_path("anvil") == anvil


def test_cli_devnet_up_detach_and_down(tmp_path):
    env = {**os.environ, "CROSSBOOK_ROOT": str(tmp_path)}
    (tmp_path / "ape-config.yaml").write_text("name: scratch\n")
    root = Path(__file__).resolve().parents[2]
    # the scratch root needs the toolchain and compiled contracts of the real checkout
    for name in ("node_modules", ".build"):
        (tmp_path / name).symlink_to(root / name)
    crossbook = Path(sys.executable).with_name("crossbook")
    up = subprocess.run(
        [str(crossbook), "devnet", "up", "--detach"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert up.returncode == 0, up.stderr
    assert "detached" in up.stdout
    assert (tmp_path / "deployments" / "31337.json").is_file()
    again = subprocess.run(
        [str(crossbook), "devnet", "up", "--detach"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 1
    assert "already recorded" in again.stderr
    assert "Traceback" not in again.stderr
    down = subprocess.run(
        [str(crossbook), "devnet", "down"], env=env, capture_output=True, text=True, timeout=60
    )
    assert down.returncode == 0, down.stderr
    assert "stopped anvil" in down.stdout
