"""The relayer's chain reads (`Web3Chain`) and its permit sponsor (`PermitSponsor`) when the
chain does not answer as hoped, on the shared devnet: a token that reverts every call, the
node going away (a TCP proxy cut), a contract that is no EIP-1271 wallet; a sponsor with no
ether, a permit whose receipt does not come, a chain whose clock passed the deadline, a
permit someone else submitted first, and the sponsor's nonce taken between its read and its
send. Every refusal is a typed `ApiError` and leaves the allowance as it was."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth_account import Account

from crossbook.bench.gas import token_contract
from crossbook.chain import contract_abi, wait_for_receipt, web3_for
from crossbook.chain.permit import permit_digest, permit_domain
from crossbook.devnet import Devnet, MiningMode
from crossbook.relayer.chain import ChainReadError, Web3Chain
from crossbook.relayer.permits import PermitRequest, PermitSponsor
from crossbook.relayer.validation import ApiError
from crossbook.signing import sign_digest
from tests.relayer.chain_helpers import RpcFaults, TcpProxy

pytestmark = pytest.mark.devnet

#: runtime code that reverts every call with empty data (PUSH1 0, PUSH1 0, REVERT)
REVERT_ALWAYS = "0x60006000fd"


@contextmanager
def cut_node(dn: Devnet) -> Iterator[TcpProxy]:
    """A TCP proxy to the node, listening until the test cuts it."""
    proxy = TcpProxy(int(dn.node.port or 0))
    proxy.restore()
    try:
        yield proxy
    finally:
        proxy.cut()


# ---------------------------------------------------------------- Web3Chain


def test_a_token_that_reverts_every_call_is_a_chain_read_error_naming_it(
    shared_devnet: Devnet,
) -> None:
    dn = shared_devnet
    weth = dn.manifest.tokens["WETH"].address
    reads = Web3Chain(web3_for(dn.node.rpc_url), dn.manifest.address("Settlement"))
    owner = dn.accounts[1].address
    assert reads.balance(owner, weth) > 0
    dn.node.rpc("anvil_setCode", [weth, REVERT_ALWAYS])
    fresh = Web3Chain(web3_for(dn.node.rpc_url), dn.manifest.address("Settlement"))
    with pytest.raises(ChainReadError, match=f"eth_call to {weth} failed"):
        fresh.allowance(owner, weth)


def test_reads_while_the_node_is_away_raise_chain_read_error_and_cached_values_serve(
    shared_devnet: Devnet,
) -> None:
    """A value read before the node went away is served until its time to live ends (its
    refresh ahead fails quietly); then the read, the EIP-1271 check and the pre-signature
    check all raise `ChainReadError`, which the API turns into 503 `ChainUnavailable`."""
    dn = shared_devnet
    owner, weth = dn.accounts[1].address, dn.manifest.tokens["WETH"].address
    with cut_node(dn) as proxy:
        reads = Web3Chain(web3_for(proxy.url, timeout=5), dn.manifest.address("Settlement"), 2.0)
        held = reads.balance(owner, weth)
        read_at = time.monotonic()
        proxy.cut()
        time.sleep(1.1)  # past half the ttl: the next peek refreshes ahead, and that fails
        assert reads.peek("balance", owner, weth) == held
        time.sleep(0.1)  # the refresh ahead fails meanwhile, and says nothing
        assert reads.balance(owner, weth) == held  # still within its ttl
        time.sleep(max(0.0, read_at + 2.1 - time.monotonic()))
        with pytest.raises(ChainReadError):
            reads.balance(owner, weth)
        with pytest.raises(ChainReadError, match="eth_getCode"):
            reads.is_valid_1271(owner, bytes(32), b"\x01" * 65)
        with pytest.raises(ChainReadError, match="preSignature"):
            reads.presigned(owner, bytes(32))


def test_eip1271_is_false_for_an_account_that_is_no_wallet_and_presign_is_read(
    shared_devnet: Devnet,
) -> None:
    """An owner with no code, or a contract with no `isValidSignature` (a token), never
    validates a signature; a pre-signature the owner set on chain is seen."""
    dn = shared_devnet
    owner = dn.accounts[1].address
    reads = Web3Chain(web3_for(dn.node.rpc_url), dn.manifest.address("Settlement"))
    uid = bytes(range(32))
    assert reads.is_valid_1271(owner, uid, b"\x01" * 65) is False
    token = dn.manifest.tokens["WETH"].address
    assert reads.is_valid_1271(token, uid, b"\x01" * 65) is False
    assert reads.presigned(owner, uid) is False
    settlement = dn.w3.eth.contract(
        address=dn.manifest.address("Settlement"), abi=contract_abi("Settlement")
    )
    tx = settlement.functions.setPreSignature(uid, True).transact({"from": owner})
    wait_for_receipt(dn.w3, tx, "setPreSignature")
    assert reads.presigned(owner, uid) is True


# ---------------------------------------------------------------- PermitSponsor


def sponsor_for(dn: Devnet, key: bytes, rpc_url: str | None = None) -> PermitSponsor:
    w3 = web3_for(rpc_url or dn.node.rpc_url, timeout=30)
    tokens = [t.address for t in dn.manifest.tokens.values()]
    return PermitSponsor(
        w3,
        key,
        dn.manifest.address("Settlement"),
        [*tokens, dn.manifest.address("Settlement")],  # the last has no permit
        min_valid_for_s=60,
        per_owner_per_hour=100,
    )


def funded_key(dn: Devnet) -> bytes:
    key = bytes(Account.create().key)
    dn.node.rpc("anvil_setBalance", [Account.from_key(key).address, hex(10**18)])
    return key


def holder(dn: Devnet) -> Any:
    """A fresh wallet that holds WETH and has approved nothing."""
    account = Account.create()
    tx = token_contract(dn, "WETH").functions.transfer(account.address, 10**18)
    wait_for_receipt(dn.w3, tx.transact({"from": dn.accounts[0].address}), "fund")
    return account


def signed_permit(dn: Devnet, owner: Any, value: int, deadline: int | None = None) -> PermitRequest:
    weth = token_contract(dn, "WETH")
    domain = permit_domain(dn.w3, weth.address)
    assert domain is not None
    nonce = int(weth.functions.nonces(owner.address).call())
    deadline = deadline or int(time.time()) + 3600
    settlement = dn.manifest.address("Settlement")
    digest = permit_digest(domain, owner.address, settlement, value, nonce, deadline)
    return PermitRequest(
        owner.address, weth.address, value, nonce, deadline, sign_digest(digest, bytes(owner.key))
    )


def allowance(dn: Devnet, owner: str) -> int:
    weth = token_contract(dn, "WETH")
    return int(weth.functions.allowance(owner, dn.manifest.address("Settlement")).call())


def refused(sponsor: PermitSponsor, request: PermitRequest) -> ApiError:
    with pytest.raises(ApiError) as raised:
        sponsor.sponsor(request)
    return raised.value


def test_a_token_without_permit_and_a_sponsor_without_ether_are_refused(
    shared_devnet: Devnet,
) -> None:
    dn = shared_devnet
    key = bytes(Account.create().key)  # holds no ether
    sponsor, owner = sponsor_for(dn, key), holder(dn)
    request = signed_permit(dn, owner, 10**17)
    no_permit = PermitRequest(
        owner.address, dn.manifest.address("Settlement"), 1, 0, request.deadline, bytes(65)
    )
    error = refused(sponsor, no_permit)
    assert error.code == "TokenHasNoPermit" and error.status == 400
    error = refused(sponsor, request)
    assert (error.code, error.status) == ("PermitsUnavailable", 503)
    assert allowance(dn, owner.address) == 0
    assert dn.w3.eth.get_transaction_count(sponsor.address) == 0  # nothing was sent
    dn.node.rpc("anvil_setBalance", [sponsor.address, hex(10**18)])
    done = sponsor.sponsor(request)
    assert done.tx_hash is not None and allowance(dn, owner.address) == 10**17


def test_a_sponsor_whose_node_is_away_answers_chain_unavailable(shared_devnet: Devnet) -> None:
    dn = shared_devnet
    owner = holder(dn)
    request = signed_permit(dn, owner, 10**17)
    with cut_node(dn) as proxy:
        sponsor = sponsor_for(dn, funded_key(dn), proxy.url)
        proxy.cut()
        error = refused(sponsor, request)
    assert (error.code, error.status, error.headers) == (
        "ChainUnavailable",
        503,
        {"Retry-After": "1"},
    )
    assert "retry shortly" in error.description
    assert allowance(dn, owner.address) == 0


def test_a_permit_whose_receipt_does_not_come_is_chain_unavailable_and_lands_later(
    shared_devnet: Devnet, monkeypatch: pytest.MonkeyPatch
) -> None:
    dn = shared_devnet
    monkeypatch.setenv("CROSSBOOK_RECEIPT_TIMEOUT", "1")
    sponsor, owner = sponsor_for(dn, funded_key(dn)), holder(dn)
    request = signed_permit(dn, owner, 10**17)
    dn.node.set_mining(MiningMode.MANUAL)
    error = refused(sponsor, request)
    assert (error.code, error.status, error.headers) == (
        "ChainUnavailable",
        503,
        {"Retry-After": "1"},
    )
    assert "the allowance shows once it is mined" in error.description
    assert allowance(dn, owner.address) == 0
    dn.node.mine(1)
    assert allowance(dn, owner.address) == 10**17


def test_a_permit_past_its_deadline_on_the_chains_clock_is_rejected_unsent(
    shared_devnet: Devnet,
) -> None:
    """The permit's deadline is far enough ahead by the relayer's clock, but the chain's
    clock is past it: the token refuses it in simulation, nothing is sent."""
    dn = shared_devnet
    sponsor, owner = sponsor_for(dn, funded_key(dn)), holder(dn)
    request = signed_permit(dn, owner, 10**17, deadline=int(time.time()) + 120)
    dn.node.rpc("evm_increaseTime", [3600])
    dn.node.mine(1)
    error = refused(sponsor, request)
    assert error.code == "PermitRejected" and "the token refused the permit" in error.description
    assert allowance(dn, owner.address) == 0
    assert dn.w3.eth.get_transaction_count(sponsor.address) == 0


def test_a_permit_someone_else_submitted_first_is_reported_as_the_allowance_it_gave(
    shared_devnet: Devnet,
) -> None:
    """The wallet's permit is already in the mempool, sent by someone else with a higher tip,
    when the relayer sends the same one: the relayer's reverts in the block that mines both,
    and the answer is the allowance the permit gave, with nothing of ours to show."""
    dn = shared_devnet
    sponsor, owner = sponsor_for(dn, funded_key(dn)), holder(dn)
    request = signed_permit(dn, owner, 10**17)
    weth = token_contract(dn, "WETH")
    sig = request.signature
    frontrun = weth.functions.permit(
        owner.address,
        dn.manifest.address("Settlement"),
        request.value,
        request.deadline,
        sig[64],
        sig[:32],
        sig[32:64],
    )
    dn.node.set_mining(MiningMode.MANUAL)
    frontrun.transact({"from": dn.accounts[5].address, "maxPriorityFeePerGas": 10 * 10**9})
    miner = threading.Timer(1.0, lambda: dn.node.mine(1))
    miner.start()
    try:
        done = sponsor.sponsor(request)
    finally:
        miner.join()
    assert done.tx_hash is None and done.allowance == 10**17
    assert allowance(dn, owner.address) == 10**17


def test_the_sponsors_nonce_taken_between_read_and_send_is_retried(
    shared_devnet: Devnet,
) -> None:
    """Another user of the sponsor's key sends a transaction after the sponsor read its
    nonce and before its own reached the node: the node refuses ours ("nonce too low"), and
    the sponsor signs it again at the next nonce; the permit lands once."""
    dn = shared_devnet
    key = funded_key(dn)
    sponsor_address = Account.from_key(key).address
    with RpcFaults(dn.node.rpc_url) as node:
        sponsor, owner = sponsor_for(dn, key, node.url), holder(dn)
        request = signed_permit(dn, owner, 10**17)

        def someone_else_sends(_request: dict[str, Any]) -> None:
            tx = {
                "to": sponsor_address,
                "value": 0,
                "gas": 21_000,
                "maxFeePerGas": 10 * 10**9,
                "maxPriorityFeePerGas": 10**9,
                "nonce": dn.w3.eth.get_transaction_count(sponsor_address),
                "chainId": dn.manifest.chain_id,
            }
            signed = Account.sign_transaction(tx, key)
            wait_for_receipt(dn.w3, dn.w3.eth.send_raw_transaction(signed.raw_transaction), "tx")

        node.before("eth_sendRawTransaction", someone_else_sends)
        done = sponsor.sponsor(request)
        assert node.calls.count("eth_sendRawTransaction") == 2
    assert done.tx_hash is not None and allowance(dn, owner.address) == 10**17
    assert dn.w3.eth.get_transaction_count(sponsor_address) == 2
