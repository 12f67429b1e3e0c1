"""`crossbook admin` on a suite deployed to Anvil standing in for a testnet (chain 11155111),
every key fresh: each role's commands work for its holder and are refused, with the role, its
holder and the contract's decoded error, for any other key, with nothing sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from crossbook.chain import RawCall, contract_at, send_transaction
from crossbook.client import LocalSigner
from crossbook.deploy import SuiteConfig, execute_plan, suite_plan
from crossbook.devnet import AnvilConfig, AnvilNode
from crossbook.manifest import Manifest, write_manifest
from tests.cli.conftest import as_json, crossbook
from tests.stacks import Stack

pytestmark = pytest.mark.devnet
ZERO = "0x" + "00" * 20


@dataclass
class Suite:
    stack: Stack
    manifest: Manifest
    owner: LocalAccount
    guardian: LocalAccount
    stranger: LocalAccount
    heir: LocalAccount

    def key(self, account: LocalAccount) -> str:
        return "0x" + bytes(account.key).hex()

    def settlement(self) -> object:
        return contract_at(self.stack.w3, "Settlement", self.manifest.address("Settlement"))


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    manifest_dir = tmp_path_factory.mktemp("admin") / "deployments"
    with AnvilNode(AnvilConfig(chain_id=11_155_111, accounts=1)) as node:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        owner, guardian, stranger, heir = (Account.create() for _ in range(4))
        for account in (owner, guardian, stranger, heir):
            send_transaction(w3, RawCall(account.address, b"", 10**19), w3.eth.accounts[0])
        config = SuiteConfig(owner.address, owner.address, owner.address, guardian.address)
        manifest = execute_plan(w3, suite_plan(config), LocalSigner("0x" + owner.key.hex()))
        write_manifest(manifest, manifest_dir)
        stack = Stack("testnet", node.rpc_url, "", 11_155_111, manifest_dir, w3, [])
        yield Suite(stack, manifest, owner, guardian, stranger, heir)


def sent_by(w3: Web3, account: LocalAccount) -> int:
    return int(w3.eth.get_transaction_count(account.address))


def refused(suite: Suite, account: LocalAccount, *args: str) -> str:
    """`crossbook admin ARGS` from `account`: exit 1, one line, nothing sent."""
    before = sent_by(suite.stack.w3, account)
    result = crossbook(suite.stack, "admin", *args, key=suite.key(account), code=1)
    assert sent_by(suite.stack.w3, account) == before
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: MissingRole: "), result.stderr
    return lines[0]


def test_status_names_every_role(suite: Suite) -> None:
    held = as_json(crossbook(suite.stack, "admin", "status", "--json"))
    owner = suite.owner.address
    assert held["Settlement"] == {
        "owner": owner,
        "pending_owner": ZERO,
        "fee_recipient": owner,
        "guardian": suite.guardian.address,
        "paused": False,
    }
    assert held["Factory"] == {"owner": owner, "pending_owner": ZERO}
    assert held["BookFactory"]["owner"] == owner


def test_pause_is_the_guardians_and_unpause_the_owners(suite: Suite) -> None:
    line = refused(suite, suite.stranger, "pause")
    assert line == (
        f"Error: MissingRole: {suite.stranger.address} is not the guardian of Settlement: "
        f"guardian {suite.guardian.address} (the owner may too); the contract refused "
        f"Settlement.pause() with NotGuardian({suite.stranger.address.lower()})"
    )
    paused = as_json(
        crossbook(suite.stack, "admin", "pause", "--json", key=suite.key(suite.guardian))
    )
    assert paused["paused"] is True and paused["from"] == suite.guardian.address
    assert paused["transactions"][0]["call"] == "Settlement.pause()"
    assert suite.settlement().functions.paused().call() is True  # type: ignore[attr-defined]

    line = refused(suite, suite.guardian, "unpause")
    assert f"is not the owner of Settlement: owner {suite.owner.address}" in line
    assert f"OwnableUnauthorizedAccount({suite.guardian.address.lower()})" in line
    crossbook(suite.stack, "admin", "unpause", key=suite.key(suite.owner))
    assert suite.settlement().functions.paused().call() is False  # type: ignore[attr-defined]


def test_relayers_fee_recipient_and_guardian_are_the_owners(suite: Suite) -> None:
    relayer = Account.create().address
    settlement = suite.settlement().functions  # type: ignore[attr-defined]
    refused(suite, suite.stranger, "relayer", "add", relayer)
    added = as_json(
        crossbook(
            suite.stack, "admin", "relayer", "add", relayer, "--json", key=suite.key(suite.owner)
        )
    )
    assert added["allowed"] is True and settlement.isRelayer(relayer).call() is True
    refused(suite, suite.guardian, "relayer", "remove", relayer)
    crossbook(suite.stack, "admin", "relayer", "remove", relayer, key=suite.key(suite.owner))
    assert settlement.isRelayer(relayer).call() is False

    recipient = Account.create().address
    refused(suite, suite.stranger, "set-fee-recipient", recipient)
    result = crossbook(
        suite.stack, "admin", "set-fee-recipient", recipient, key=suite.key(suite.owner)
    )
    assert result.stdout.count("sent ") == 2  # Settlement and BookFactory
    held = as_json(crossbook(suite.stack, "admin", "status", "--json"))
    assert held["Settlement"]["fee_recipient"] == held["BookFactory"]["fee_recipient"] == recipient

    refused(suite, suite.guardian, "set-guardian", suite.stranger.address)
    crossbook(
        suite.stack, "admin", "set-guardian", suite.stranger.address, key=suite.key(suite.owner)
    )
    assert settlement.guardian().call() == suite.stranger.address
    crossbook(
        suite.stack, "admin", "set-guardian", suite.guardian.address, key=suite.key(suite.owner)
    )


def test_ownership_moves_in_two_steps(suite: Suite) -> None:
    heir, owner = suite.heir, suite.owner
    refused(suite, suite.stranger, "transfer-ownership", heir.address)
    proposed = as_json(
        crossbook(
            suite.stack, "admin", "transfer-ownership", heir.address, "--json", key=suite.key(owner)
        )
    )
    assert [t["call"] for t in proposed["transactions"]] == [
        f"{name}.transferOwnership({heir.address})"
        for name in ("Settlement", "Factory", "BookFactory")
    ]
    held = as_json(crossbook(suite.stack, "admin", "status", "--json"))
    assert all(held[n]["owner"] == owner.address for n in ("Settlement", "Factory", "BookFactory"))
    assert all(held[n]["pending_owner"] == heir.address for n in held)

    # the acceptance is its own step: for a Safe, the calldata; from a key, the transactions
    safe = as_json(crossbook(suite.stack, "admin", "accept-ownership", "--calldata", "--json"))
    assert [(t["to"], t["data"]) for t in safe] == [
        (suite.manifest.address(n), "0x79ba5097") for n in ("Settlement", "Factory", "BookFactory")
    ]
    line = refused(suite, suite.stranger, "accept-ownership", "--contract", "Factory")
    assert f"is not the pending owner of Factory: pending owner {heir.address}" in line
    crossbook(suite.stack, "admin", "accept-ownership", key=suite.key(heir))
    held = as_json(crossbook(suite.stack, "admin", "status", "--json"))
    assert all(held[n]["owner"] == heir.address and held[n]["pending_owner"] == ZERO for n in held)
    # the old owner has no role left
    refused(suite, owner, "unpause")
