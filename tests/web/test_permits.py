"""Sponsored EIP-2612 permits (POST /v1/permits) on the page's devnet and relayer: a wallet
with tokens and no ether approves by signature, the relayer's permit key pays, and the order
then trades. Every refusal is checked to have sent nothing."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from eth_account import Account

from crossbook.bench.gas import token_contract
from crossbook.chain import MAX_UINT, wait_for_receipt
from crossbook.chain.permit import permit_digest, permit_domain
from crossbook.client import PermitSignature, Wallet
from crossbook.client.errors import StalePermit
from crossbook.client.signers import LocalSigner
from crossbook.devnet import Devnet
from crossbook.devnet.accounts import dev_accounts
from crossbook.order import Domain
from crossbook.relayer.permits import PermitRequest, PermitSponsor
from crossbook.relayer.validation import ApiError
from crossbook.signing import sign_digest
from tests.relayer.chain_helpers import wait_for
from tests.relayer.helpers import order_body
from tests.web.conftest import RelayerServer

SPONSOR = dev_accounts()[8]  # the devnet's permit key


def _fresh_wallet(dn: Devnet, weth: int) -> Any:
    """A new key holding `weth` WETH (from dev account 0) and no ether at all."""
    account = Account.create()
    tx = token_contract(dn, "WETH").functions.transfer(account.address, weth)
    wait_for_receipt(dn.w3, tx.transact({"from": dn.accounts[0].address}), "fund")
    assert dn.w3.eth.get_balance(account.address) == 0
    return account


def _signed(
    dn: Devnet, key: bytes, owner: str, token: str, value: int, **kw: Any
) -> dict[str, Any]:
    """A POST /v1/permits body signed with `key` (the owner's unless a test says otherwise)."""
    domain = permit_domain(dn.w3, token)
    assert domain is not None
    settlement = dn.manifest.address("Settlement")
    nonce = kw.get("nonce", token_contract_at(dn, token).functions.nonces(owner).call())
    deadline = kw.get("deadline", int(time.time()) + 3600)
    digest = permit_digest(domain, owner, settlement, value, nonce, deadline)
    return {
        "owner": owner,
        "token": token,
        "value": str(value),
        "nonce": str(nonce),
        "deadline": deadline,
        "signature": "0x" + sign_digest(digest, key).hex(),
    }


def token_contract_at(dn: Devnet, token: str) -> Any:
    symbol = next(s for s, t in dn.manifest.tokens.items() if t.address == token)
    return token_contract(dn, symbol)


def _sponsor_nonce(dn: Devnet) -> int:
    return int(dn.w3.eth.get_transaction_count(SPONSOR.address))


def test_signing_serves_each_tokens_permit_domain(devnet: Devnet, relayer: RelayerServer) -> None:
    permit = httpx.get(f"{relayer.url}/v1/signing").json()["permit"]
    assert permit["spender"] == devnet.manifest.address("Settlement")
    assert [m["name"] for m in permit["types"]["Permit"]] == [
        "owner",
        "spender",
        "value",
        "nonce",
        "deadline",
    ]
    for info in devnet.manifest.tokens.values():
        served = permit["domains"][info.address]
        # the served domain hashes to the token's own DOMAIN_SEPARATOR()
        domain = Domain(
            chain_id=served["chainId"],
            verifying_contract=served["verifyingContract"],
            name=served["name"],
            version=served["version"],
        )
        assert domain.separator == bytes(
            token_contract_at(devnet, info.address).functions.DOMAIN_SEPARATOR().call()
        )


def test_a_wallet_without_ether_approves_by_permit_and_trades(
    devnet: Devnet, relayer: RelayerServer
) -> None:
    seller = _fresh_wallet(devnet, 10**17)
    weth = devnet.manifest.tokens["WETH"].address
    usdc = devnet.manifest.tokens["USDC"].address
    settlement = devnet.manifest.address("Settlement")
    sponsor_nonce = _sponsor_nonce(devnet)
    with Wallet.connect(
        LocalSigner(bytes(seller.key)),
        rpc_url=devnet.node.rpc_url,
        relayer_url=relayer.url,
        manifest=devnet.manifest,
    ) as wallet:
        receipt = wallet.approve("WETH", 10**17, permit=True, sponsored=True)
        assert receipt["status"] == 1 and receipt["from"] == SPONSOR.address
        assert (
            token_contract(devnet, "WETH").functions.allowance(seller.address, settlement).call()
            == 10**17
        )
        assert _sponsor_nonce(devnet) == sponsor_nonce + 1
        # the same permit again: its nonce is used, so it is stale, and nothing is sent
        signed = _signed(devnet, bytes(seller.key), seller.address, weth, 10**17, nonce=0)
        reply = httpx.post(f"{relayer.url}/v1/permits", json=signed)
        assert reply.status_code == 400 and reply.json()["errorType"] == "StalePermit"
        with pytest.raises(StalePermit):  # the SDK's typed error for it
            wallet.relayer.post_permit(
                PermitSignature(
                    weth,
                    seller.address,
                    settlement,
                    10**17,
                    0,
                    signed["deadline"],
                    bytes.fromhex(signed["signature"][2:]),
                )
            )
        # a permit the allowance already covers, its addresses all lower-case (an unchecked
        # address is accepted, as for orders): accepted, nothing sent
        covered = _signed(devnet, bytes(seller.key), seller.address, weth, 10**16)
        covered.update(owner=seller.address.lower(), token=weth.lower())
        reply = httpx.post(f"{relayer.url}/v1/permits", json=covered)
        assert reply.status_code == 200
        assert reply.json() == {"txHash": None, "allowance": str(10**17)}
        assert _sponsor_nonce(devnet) == sponsor_nonce + 1
    # the order the permit made possible trades against a dev account's bid
    domain = Domain(chain_id=devnet.manifest.chain_id, verifying_contract=settlement)
    ask = order_body(domain, bytes(seller.key), seller.address, weth, usdc, 10**17, 199 * 10**6)
    uid = httpx.post(f"{relayer.url}/v1/orders", json=ask).json()["uid"]
    buyer = devnet.accounts[3]
    approve = token_contract(devnet, "USDC").functions.approve(settlement, MAX_UINT)
    wait_for_receipt(devnet.w3, approve.transact({"from": buyer.address}), "approve")
    bid = order_body(domain, buyer.private_key, buyer.address, usdc, weth, 200 * 10**6, 10**17)
    assert httpx.post(f"{relayer.url}/v1/orders", json=bid).status_code == 201
    wait_for(
        lambda: httpx.get(f"{relayer.url}/v1/orders/{uid}").json()["status"] == "filled",
        "the permit wallet's order filled",
    )
    assert token_contract(devnet, "USDC").functions.balanceOf(seller.address).call() >= 199 * 10**6
    assert devnet.w3.eth.get_transaction_count(seller.address) == 0  # it never sent a thing


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"signer": "other"}, 400, "WrongOwner"),
        ({"deadline": "soon"}, 400, "InsufficientDeadline"),
        ({"nonce": 7}, 400, "StalePermit"),
        ({"token": "other"}, 400, "UnsupportedToken"),
        ({"owner": "holds none"}, 400, "InsufficientBalance"),
        ({"checksum": "bad"}, 400, "InvalidAddress"),
        ({"owner": "zero"}, 400, "InvalidAddress"),
        ({"signature": "short"}, 400, "InvalidSignature"),
        ({"value": "0"}, 400, "MalformedRequest"),
    ],
)
def test_refused_permits_send_nothing(
    devnet: Devnet, relayer: RelayerServer, change: dict[str, Any], status: int, code: str
) -> None:
    owner = _fresh_wallet(devnet, 10**16)
    weth = devnet.manifest.tokens["WETH"].address
    key, address, value = bytes(owner.key), owner.address, 10**16
    kw: dict[str, Any] = {}
    if change.get("signer") == "other":
        key = bytes(Account.create().key)
    if change.get("deadline") == "soon":
        kw["deadline"] = int(time.time()) + 60  # under the relayer's MIN_VALID_FOR_S
    if "nonce" in change:
        kw["nonce"] = change["nonce"]
    if change.get("owner") == "holds none":
        nobody = Account.create()
        key, address = bytes(nobody.key), nobody.address
    body = _signed(devnet, key, address, weth, value, **kw)
    if change.get("token") == "other":
        body["token"] = devnet.manifest.address("Settlement")
    if change.get("checksum") == "bad":
        body["owner"] = address[:2] + address[2:].swapcase()
    if change.get("owner") == "zero":
        body["owner"] = "0x" + "00" * 20
    if change.get("signature") == "short":
        body["signature"] = body["signature"][:-2]
    if "value" in change:
        body["value"] = change["value"]
    before = _sponsor_nonce(devnet)
    reply = httpx.post(f"{relayer.url}/v1/permits", json=body)
    assert (reply.status_code, reply.json()["errorType"]) == (status, code), reply.text
    assert _sponsor_nonce(devnet) == before
    assert (
        token_contract(devnet, "WETH")
        .functions.allowance(address, devnet.manifest.address("Settlement"))
        .call()
        == 0
    )


def test_an_owner_gets_a_bounded_number_of_sponsored_permits(devnet: Devnet) -> None:
    """The per-owner budget counts only permits the owner signed, so nobody else can spend
    it; past it the sponsor refuses with TooManyRequests and sends nothing."""
    weth = devnet.manifest.tokens["WETH"].address
    settlement = devnet.manifest.address("Settlement")
    sponsor = PermitSponsor(
        devnet.w3,
        SPONSOR.private_key,
        settlement,
        [weth],
        min_valid_for_s=60,
        per_owner_per_hour=1,
    )
    owner = _fresh_wallet(devnet, 10**16)

    def request(value: int, key: bytes) -> PermitRequest:
        body = _signed(devnet, key, owner.address, weth, value)
        return PermitRequest(
            owner.address,
            weth,
            value,
            int(body["nonce"]),
            body["deadline"],
            bytes.fromhex(body["signature"][2:]),
        )

    # someone else's signatures for this owner do not use up its budget
    for _ in range(3):
        with pytest.raises(ApiError) as refused:
            sponsor.sponsor(request(10**15, bytes(Account.create().key)))
        assert refused.value.code == "WrongOwner"
    assert sponsor.sponsor(request(10**15, bytes(owner.key))).tx_hash is not None
    before = _sponsor_nonce(devnet)
    with pytest.raises(ApiError) as limited:
        sponsor.sponsor(request(2 * 10**15, bytes(owner.key)))
    assert limited.value.code == "TooManyRequests" and limited.value.status == 429
    assert _sponsor_nonce(devnet) == before
