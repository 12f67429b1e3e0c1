"""The wallet SDK end to end against a real relayer, on the devnet (chain 31337) and on Anvil
standing in for a testnet (chain 11155111, deployed by `crossbook deploy` = `ape run deploy`).
The SDK and the relayer both read the deployment manifest."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account

from crossbook.client import (
    ExternalSigner,
    LocalSigner,
    Wallet,
    errors,
)
from tests.stacks import Stack

pytestmark = pytest.mark.devnet
NEVER_CROSSES = "1000000"  # USDC asked per WETH: rests forever


@pytest.fixture(params=["devnet", "testnet"], scope="module")
def stack(request: pytest.FixtureRequest) -> Stack:
    result: Stack = request.getfixturevalue(f"{request.param}_stack")
    return result


def wallet(stack: Stack, index: int) -> Wallet:
    return Wallet.connect(
        LocalSigner(stack.traders[index].key),
        rpc_url=stack.rpc_url,
        relayer_url=stack.relayer_url,
        manifest_dir=stack.manifest_dir,
    )


def holdings(w: Wallet) -> tuple[int, int]:
    return (
        w.chain.wallet_balance(w.address, w.token("WETH")),
        w.chain.wallet_balance(w.address, w.token("USDC")),
    )


def test_sdk_and_relayer_read_the_same_manifest(stack: Stack) -> None:
    with wallet(stack, 0) as w:
        manifest = stack.manifest
        assert w.chain.settlement.address == manifest.address("Settlement")
        assert w.domain.chain_id == stack.chain_id
        assert w.relayer.health()["chainId"] == stack.chain_id
        traded = {m["base"] for m in w.relayer.markets()} | {
            m["quote"] for m in w.relayer.markets()
        }
        assert traded == {t.address for t in manifest.tokens.values()}
        assert w.token("weth").decimals == 18 and w.token("USDC").decimals == 6


def test_two_wallets_trade_end_to_end(stack: Stack) -> None:
    seller, buyer = wallet(stack, 0), wallet(stack, 1)
    weth, usdc = seller.token("WETH"), seller.token("USDC")
    seller.approve(weth)
    buyer.approve(usdc, permit=True)  # EIP-2612: the mock tokens (solady ERC20) have permit
    assert buyer.chain.allowance(buyer.address, usdc) == 2**256 - 1
    before = {w.address: holdings(w) for w in (seller, buyer)}

    events: list[dict[str, Any]] = []
    ready = threading.Event()

    def listen() -> None:
        for event in seller.relayer.stream(timeout=30):
            events.append(event)
            ready.set()
            if event["type"] == "batch":
                return

    ask = seller.place("WETH", "0.5", "USDC", "1000")
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    bid = buyer.place("USDC", "1000", "WETH", "0.5")
    assert ask.created and bid.created
    assert seller.status(ask.uid)["status"] in ("open", "pending", "filled")
    updates = list(seller.follow(ask.uid, timeout=60))  # the event stream
    assert updates[-1]["status"] == "filled"
    assert buyer.wait(bid.uid, timeout=60, stream=False)["status"] == "filled"  # polling
    listener.join(timeout=30)
    assert {"order", "trade"} <= {e["type"] for e in events}

    trades = seller.relayer.trades(order_uid=ask.uid)
    assert len(trades) == 1 and int(trades[0]["soldAmount"]) == weth.to_units("0.5")
    after = {w.address: holdings(w) for w in (seller, buyer)}
    assert after[seller.address][0] == before[seller.address][0] - weth.to_units("0.5")
    assert after[seller.address][1] >= before[seller.address][1] + usdc.to_units("1000")
    assert after[buyer.address][0] >= before[buyer.address][0] + weth.to_units("0.5")
    assert after[buyer.address][1] == before[buyer.address][1] - usdc.to_units("1000")
    listed = {o["uid"]: o["status"] for o in seller.orders()}
    assert listed[ask.uid] == "filled"


def test_cancel_off_chain_and_on_chain(stack: Stack) -> None:
    w = wallet(stack, 0)
    w.approve("WETH")
    resting = w.place("WETH", "0.1", "USDC", NEVER_CROSSES, partially_fillable=True)
    cancelled = w.cancel(resting.uid)
    assert cancelled["status"] == "cancelled"
    assert w.status(resting.uid)["status"] == "cancelled"
    # the signed order is still valid on chain until cancelled there
    assert w.chain.order_status(resting.order)[0] == "Open"
    receipt = w.cancel_on_chain(resting.uid)
    assert receipt["status"] == 1
    assert w.chain.order_status(resting.order)[0] == "Cancelled"
    # another owner cannot cancel it, off chain or on chain
    other = wallet(stack, 1)
    second = w.place("WETH", "0.1", "USDC", NEVER_CROSSES)
    with pytest.raises(errors.WrongOwner):
        other.cancel(second.uid)
    with pytest.raises(errors.SignerError, match="only the owner"):
        other.cancel_on_chain(second.uid)
    w.cancel(second.uid)


def test_external_signer_exports_typed_data_and_imports_the_signature(stack: Stack) -> None:
    trader = stack.traders[0]
    external = Wallet.connect(
        ExternalSigner(trader.address),
        rpc_url=stack.rpc_url,
        relayer_url=stack.relayer_url,
        manifest_dir=stack.manifest_dir,
    )
    order = external.build_order("WETH", "0.1", "USDC", NEVER_CROSSES)
    with pytest.raises(errors.SignatureRequired) as raised:
        external.place_order(order)
    typed = raised.value.typed_data
    assert typed == external.prepare_order(order)
    assert typed["primaryType"] == "Order" and typed["domain"]["chainId"] == stack.chain_id
    # the wallet (MetaMask & co.) signs the JSON with eth_signTypedData_v4
    signed = Account.sign_typed_data(trader.key, full_message=typed)
    placed = external.submit_signed(order, "0x" + bytes(signed.signature).hex())
    assert placed.uid == order.uid_hex(external.domain) and placed.created
    # a signature by someone else is caught before it is sent
    forged = Account.sign_typed_data(stack.traders[1].key, full_message=typed)
    with pytest.raises(errors.InvalidSignature, match="not by the order's owner"):
        external.submit_signed(order, bytes(forged.signature))
    wallet(stack, 0).cancel(placed.uid)


def test_internal_balance_deposit_trade_withdraw(stack: Stack) -> None:
    seller, buyer = wallet(stack, 2), wallet(stack, 3)
    weth, usdc = seller.token("WETH"), seller.token("USDC")
    seller.deposit("WETH", "0.3")  # approves first when needed
    assert seller.chain.internal_balance(seller.address, weth) == weth.to_units("0.3")
    buyer.approve(usdc)
    ask = seller.place("WETH", "0.3", "USDC", "600", sell_from_internal=True, buy_to_internal=True)
    bid = buyer.place("USDC", "600", "WETH", "0.3")
    assert seller.wait(ask.uid, timeout=60)["status"] == "filled"
    assert buyer.wait(bid.uid, timeout=60)["status"] == "filled"
    assert seller.chain.internal_balance(seller.address, weth) == 0
    proceeds = seller.chain.internal_balance(seller.address, usdc)
    assert proceeds >= usdc.to_units("600")
    wallet_before = seller.chain.wallet_balance(seller.address, usdc)
    seller.withdraw("USDC", usdc.format(proceeds))
    assert seller.chain.internal_balance(seller.address, usdc) == 0
    assert seller.chain.wallet_balance(seller.address, usdc) == wallet_before + proceeds
    with pytest.raises(errors.InsufficientBalance, match="internal balance is 0"):
        seller.withdraw("USDC", "1")


def test_quotes_from_the_relayer_book_and_the_amm(stack: Stack) -> None:
    w = wallet(stack, 0)
    resting = w.place("WETH", "0.2", "USDC", "500", partially_fillable=True)  # ask 2500
    try:
        buy_quote = w.quote_relayer("USDC", "WETH", "250")
        assert buy_quote.filled_in == w.token("USDC").to_units("250")
        assert buy_quote.amount_out == w.token("WETH").to_units("0.1")
        assert buy_quote.price == Decimal("0.0004")
        quotes = w.quote("USDC", "WETH", "250")
        assert "pool:WETH/USDC/30" in stack.manifest.contracts  # both deploys create it
        if stack.name == "devnet":  # the devnet seeds its pool; the testnet's stays empty
            assert {q.source for q in quotes} == {"relayer", "amm"}
            amm = next(q for q in quotes if q.source == "amm")
            assert 0 < amm.amount_out < w.token("WETH").to_units("0.13")
        else:
            assert [q.source for q in quotes] == ["relayer"]
    finally:
        w.cancel(resting.uid)


def test_relayer_error_codes_become_typed_exceptions(stack: Stack) -> None:
    poor = Account.create()
    w = Wallet.connect(
        LocalSigner(bytes(poor.key)),
        rpc_url=stack.rpc_url,
        relayer_url=stack.relayer_url,
        manifest_dir=stack.manifest_dir,
    )
    order = w.build_order("WETH", "1", "USDC", "2000")
    with pytest.raises(errors.InsufficientBalance, match="has 0 WETH"):
        w.place_order(order)  # the SDK's own check, in token units
    with pytest.raises(errors.InsufficientBalance) as raised:
        w.place_order(order, check_funds=False)  # the relayer's answer, same class
    assert raised.value.status == 400 and raised.value.code == "InsufficientBalance"
    with pytest.raises(errors.OrderNotFound):
        w.status("0x" + "ab" * 32)
    with pytest.raises(errors.InvalidOrderUid):
        w.status("0x1234")
    rich = wallet(stack, 0)
    with pytest.raises(errors.InsufficientValidTo):
        rich.place("WETH", "0.1", "USDC", NEVER_CROSSES, valid_for_s=5, check_funds=False)
    with pytest.raises(errors.UnknownToken, match="unknown token 'NOPE'"):
        rich.place("NOPE", "1", "USDC", "1")
    with pytest.raises(errors.InvalidAmount, match="more than 6 decimals"):
        rich.place("USDC", "0.0000001", "WETH", "1")
