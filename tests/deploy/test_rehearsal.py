"""The testnet rehearsal: the README's "Deploy to a testnet" section, run as written against
Anvil started as Sepolia (chain id 11155111) with no devnet shortcuts.

Anvil's one prefunded account plays a faucet (plain ether transfers) and the party that
deployed the tokens already on the "testnet"; every other key is fresh. What the test adds to
the README's lines: the answers to `ape accounts import` and to the confirm prompt (declined
once: plan and cost shown, nothing sent), a deploy killed after its third contract before the
README's `--yes` run resumes it, a second `--yes` run that sends nothing, and a refused deploy
with a key of the public test mnemonic.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from crossbook.artifacts import load_artifact
from crossbook.chain import RawCall, contract_at, send_transaction
from crossbook.deploy import PlannedContract
from crossbook.devnet import AnvilConfig, AnvilNode, dev_accounts
from crossbook.manifest import read_manifest
from tests.docs.readme import BIN, ROOT, Shell, free_port, section_blocks, section_commands

pytestmark = pytest.mark.devnet
SECTION = "Deploy to a testnet"
SEPOLIA = 11_155_111
PASSPHRASE = "rehearsal passphrase 7"
CONTRACTS = ("Settlement", "Factory", "Router", "BookFactory", "HybridRouter")


def checkout(root: Path, rpc_port: int) -> Path:
    """A scratch checkout whose ape-config.yaml adds the README's network block, pointed at the
    rehearsal node; the build, contracts, scripts and node_modules linked in."""
    root.mkdir()
    for name in (".build", "node_modules", "contracts", "scripts"):
        (root / name).symlink_to(ROOT / name)
    [network] = section_blocks(SECTION, "yaml")
    config = (ROOT / "ape-config.yaml").read_text()
    (root / "ape-config.yaml").write_text(config + "\n" + network.replace("8545", str(rpc_port)))
    return root


def deploy_token(w3: Web3, owner: str, symbol: str, decimals: int) -> str:
    token = PlannedContract(symbol, ("string", "string", "uint8"), (symbol, symbol, decimals))
    initcode = token.initcode(load_artifact("MockERC20").bytecode)
    sent = send_transaction(w3, RawCall(None, initcode), owner, symbol)
    return str(sent.receipt["contractAddress"])


def sent_by(w3: Web3, address: str) -> int:
    return int(w3.eth.get_transaction_count(Web3.to_checksum_address(address)))


def test_testnet_rehearsal(tmp_path: Path) -> None:
    lines = section_commands(SECTION)
    assert lines[0] == "ape accounts import deployer"
    deploy_asking, deploy_yes = lines[1], lines[2]
    assert "--yes" not in deploy_asking and deploy_yes == f"{deploy_asking} --yes"
    deployer, relayer, seller, buyer, owner = (Account.create() for _ in range(5))
    api = free_port()
    with AnvilNode(AnvilConfig(chain_id=SEPOLIA, accounts=1)) as node:
        assert node.port is not None
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        faucet = w3.eth.accounts[0]
        for account in (deployer, relayer, seller, buyer, owner):
            send_transaction(w3, RawCall(account.address, b"", 10**19), faucet, "faucet")
        weth, usdc = deploy_token(w3, faucet, "WETH", 18), deploy_token(w3, faucet, "USDC", 6)
        for trader in (seller, buyer):
            for token, units in ((weth, 10**18), (usdc, 10**6)):
                erc20 = contract_at(w3, "MockERC20", token)
                send_transaction(w3, erc20.functions.mint(trader.address, 5_000 * units), faucet)

        root = checkout(tmp_path / "checkout", node.port)
        keys = (("relayer", relayer), ("seller", seller), ("buyer", buyer), ("owner", owner))
        for name, account in keys:
            (root / f"{name}.key").write_text("0x" + bytes(account.key).hex() + "\n")
        env = {
            **os.environ,
            "APE_DATA_FOLDER": str(tmp_path / "ape"),
            "APE_ACCOUNTS_deployer_PASSPHRASE": PASSPHRASE,
            "CROSSBOOK_ROOT": str(root),
            "CROSSBOOK_DATA_DIR": str(tmp_path / "data"),
            "CROSSBOOK_RELAYER_URL": f"http://127.0.0.1:{api}",
            "RELAYER": relayer.address,
            "OWNER": owner.address,
            "WETH": weth,
            "USDC": usdc,
            "PATH": f"{ROOT / 'node_modules' / '.bin'}:{BIN}:{os.environ['PATH']}",
        }
        for name in ("CROSSBOOK_DEPLOYMENTS_DIR", "CROSSBOOK_MANIFEST_DIR", "CROSSBOOK_RPC_URL"):
            env.pop(name, None)
        shell = Shell(root, env, {"8545": str(node.port), "8080": str(api)})
        try:
            rehearse(shell, w3, lines, deployer, (seller, buyer), (weth, usdc))
        finally:
            shell.stop()


def rehearse(
    shell: Shell,
    w3: Web3,
    lines: list[str],
    deployer: LocalAccount,
    traders: tuple[LocalAccount, LocalAccount],
    tokens: tuple[str, str],
) -> None:
    address = deployer.address
    key = bytes(deployer.key).hex()
    root = shell.cwd
    imported = shell.run(lines[0], stdin=f"{key}\n{PASSPHRASE}\n{PASSPHRASE}\n")
    assert address in imported

    # a key of the public test mnemonic, even from a keystore, is refused off a devnet
    leaked = dev_accounts()[0]
    shell.run("ape accounts import leaked", stdin=f"{leaked.private_key.hex()}\nx1\nx1\n")
    refused = shell.popen(lines[2].replace("--account deployer", "--account leaked"))
    out, _ = refused.communicate(timeout=120)
    assert refused.returncode != 0 and "Traceback" not in out
    assert f"refusing to deploy on chain {SEPOLIA} with a well-known devnet key" in out

    # the plan and its cost before anything is sent; declined
    asking = shell.popen(lines[1])
    out, _ = asking.communicate("n\n", timeout=300)
    assert asking.returncode != 0, out
    assert f"chain {SEPOLIA}, deployer {address}" in out
    assert all(re.search(rf"  {name} +0x[0-9a-fA-F]{{40}}  deploy\n", out) for name in CONTRACTS)
    cost = re.search(r"estimated cost: (\d+) transactions, ([\d,]+) gas x ([\d.]+) gwei", out)
    assert cost and int(cost.group(1)) == 10 and int(cost.group(2).replace(",", "")) > 10**6
    assert "broadcast these transactions? [y/N]" in out
    assert sent_by(w3, address) == 0 and not (root / "deployments").exists()

    # accepted, then killed right after its third contract went out
    killed = shell.popen(lines[1])
    assert killed.stdin is not None and killed.stdout is not None
    killed.stdin.write("y\n")
    killed.stdin.flush()
    contracts_sent = []
    for line in killed.stdout:
        if re.match(r"step \d+/\d+: deploy ", line):
            contracts_sent.append(line)
        if len(contracts_sent) == 3:
            killed.kill()
            break
    killed.wait(30)
    assert len(contracts_sent) == 3, contracts_sent
    sent_before = sent_by(w3, address)

    # the README's --yes run resumes: the three contracts are not deployed again
    resumed = shell.run(lines[2])
    assert resumed.count("already deployed, skip") == 3
    manifest = read_manifest(SEPOLIA, root / "deployments")
    assert set(CONTRACTS) <= set(manifest.contracts)
    assert {"pool:WETH/USDC/30", "book:WETH/USDC"} <= set(manifest.contracts)
    assert sent_by(w3, address) == 10  # one transaction a step: nothing twice
    assert sent_before < 10

    # a second run sends nothing
    again = shell.run(lines[2])
    assert "0 of 10 steps to send" in again and "estimated cost" not in again
    assert sent_by(w3, address) == 10

    # the code on chain is the build's; the explorer's verification input written
    assert lines[3].startswith("crossbook deploy verify")
    verified = shell.run(lines[3])
    assert all(re.search(rf"^{name} +0x\w+ +match ", verified, re.M) for name in CONTRACTS)
    exported = sorted(p.name for p in (root / "verification").iterdir())
    assert exported == sorted(
        f"{n.replace(':', '-').replace('/', '-')}.json" for n in manifest.contracts
    )

    # the relayer with its own key, the wallets through the CLI: a crossing pair settles
    shell.run(lines[4])
    shell.wait_http(f"{shell.env['CROSSBOOK_RELAYER_URL']}/health")
    handoff = next(i for i, line in enumerate(lines) if line.startswith("crossbook admin"))
    outputs = [shell.run(line) for line in lines[5:handoff]]
    assert "status        filled" in outputs[-1], outputs[-1]
    weth = contract_at(w3, "MockERC20", tokens[0])
    assert weth.functions.balanceOf(traders[0].address).call() == 49_995 * 10**17  # 4,999.5

    # the hand-over: proposed by the deployer, accepted by the owner as its own step
    proposed, calldata, accepted, status = (shell.run(line) for line in lines[handoff:])
    assert proposed.count("transferOwnership(") == 3
    assert calldata.count("Ownership()") == 3 and "0x79ba5097" in calldata
    assert accepted.count("acceptOwnership()") == 3
    owner = shell.env["OWNER"]
    assert re.findall(r"^(\w+) +owner +(0x\w+)$", status, flags=re.M) == [
        (name, owner) for name in ("Settlement", "Factory", "BookFactory")
    ]
