"""`crossbook deploy verify`: a deployment's runtime code against the build, immutables masked,
and the block-explorer export."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eth_abi.abi import decode

from crossbook.artifacts import load_artifact
from crossbook.cli import main
from crossbook.deploy.verify import compare_code, immutable_operands
from crossbook.devnet import Devnet
from crossbook.manifest import write_manifest

pytestmark = pytest.mark.devnet
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    with Devnet.launch(manifest_dir=tmp_path_factory.mktemp("verify")) as dn:
        yield dn


def verify(dn: Devnet, *args: str, code: int = 0) -> Result:
    env = {"CROSSBOOK_RPC_URL": dn.node.rpc_url, "CROSSBOOK_DEPLOYMENTS_DIR": str(dn.manifest_dir)}
    result = CliRunner(mix_stderr=False).invoke(main, ["deploy", "verify", *args], env=env)
    assert result.exit_code == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_every_contract_of_a_fresh_deployment_matches(devnet: Devnet) -> None:
    report = json.loads(verify(devnet, "--json").stdout)["contracts"]
    assert {c["name"]: c["status"] for c in report} == {
        name: "match" for name in devnet.manifest.contracts
    }
    masked = {c["name"]: c["immutables_masked"] for c in report}
    assert masked["Settlement"] > 0 and masked["Router"] > 0  # EIP-712 domain, the factory
    table = verify(devnet).stdout
    assert "Settlement" in table and "match" in table and "differs" not in table


def test_a_changed_byte_or_a_missing_contract_is_named(devnet: Devnet, tmp_path: Path) -> None:
    settlement = devnet.manifest.address("Settlement")
    code = bytearray(devnet.w3.eth.get_code(settlement))
    built = bytes.fromhex(load_artifact("Settlement").runtime_bytecode[2:])
    masked = set()
    for offset in immutable_operands(built):
        masked |= set(range(offset, offset + 32))
    changed = next(i for i in range(len(code) // 2, len(code)) if i not in masked)
    code[changed] ^= 0xFF
    snapshot = devnet.node.rpc("evm_snapshot")
    try:
        devnet.node.rpc("anvil_setCode", [settlement, "0x" + code.hex()])
        manifest = devnet.manifest.model_copy(deep=True)
        manifest.contracts["Router"].address = "0x" + "11" * 20
        write_manifest(manifest, devnet.manifest_dir)
        report = json.loads(verify(devnet, "--json", code=1).stdout)["contracts"]
        by_name = {c["name"]: c for c in report}
        assert by_name["Settlement"]["status"] == "differs"
        assert by_name["Settlement"]["first_difference"] == changed
        assert by_name["Router"]["status"] == "no code"
        assert by_name["Factory"]["status"] == "match"
    finally:
        devnet.node.rpc("evm_revert", [snapshot])
        write_manifest(devnet.manifest, devnet.manifest_dir)


def test_masking_covers_immutables_only() -> None:
    built = bytes.fromhex(load_artifact("Router").runtime_bytecode[2:])
    [slot, *_] = immutable_operands(built)
    filled = bytearray(built)
    filled[slot : slot + 32] = bytes(12) + bytes.fromhex("ab" * 20)
    assert compare_code(built, bytes(filled)) == (True, 1, None)
    filled[slot - 1] = 0x7E  # the PUSH32 itself is code, not an immutable
    assert compare_code(built, bytes(filled)) == (False, 0, slot - 1)


def test_export_has_what_an_explorer_needs(devnet: Devnet, tmp_path: Path) -> None:
    out = tmp_path / "verification"
    result = verify(devnet, "--export", str(out))
    assert result.stdout.count("wrote ") == len(devnet.manifest.contracts)
    record = json.loads((out / "Settlement.json").read_text())
    assert record["contract"] == "contracts/Settlement.sol:Settlement"
    assert record["address"] == devnet.manifest.address("Settlement")
    assert record["compiler"].startswith("v0.8.30")
    deployer = devnet.deployer.address
    args = decode(["address", "address"], bytes.fromhex(record["constructor_arguments"][2:]))
    assert [a.lower() for a in args] == [deployer.lower(), deployer.lower()]
    standard = record["standard_json_input"]
    assert standard["language"] == "Solidity"
    assert standard["settings"]["viaIR"] is True
    assert standard["settings"]["optimizer"] == {"enabled": True, "runs": 1_000_000}
    assert "contracts/Settlement.sol" in standard["sources"]
    assert any("Ownable2Step.sol" in path for path in standard["sources"])
    pool = json.loads((out / "pool-WETH-USDC-30.json").read_text())
    assert pool["contract"] == "contracts/amm/Pool.sol:Pool"
    assert pool["constructor_arguments"] is None  # created by the Factory, no arguments of ours

    # what an explorer does with it: compile the input, compare with the code (the token is
    # the quickest to compile; the metadata hash at the end must match too)
    token = json.loads((out / "token-WETH.json").read_text())
    source, name = token["contract"].split(":")
    solc = ROOT / ".solc" / f"solc-{token['compiler'].split('+')[0]}"
    compiled = subprocess.run(
        [str(solc), "--standard-json"],
        input=json.dumps(token["standard_json_input"]),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    output = json.loads(compiled.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    runtime = output["contracts"][source][name]["evm"]["deployedBytecode"]["object"]
    assert "0x" + runtime == load_artifact("MockERC20").runtime_bytecode
    on_chain = bytes(devnet.w3.eth.get_code(token["address"]))
    assert compare_code(bytes.fromhex(runtime), on_chain)[0]
