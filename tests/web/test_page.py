"""The trading page in Debian's Chromium: a test wallet (Anvil's dev accounts) signs for real;
each scenario checks what the page shows, what reached the relayer and what the chain holds."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from crossbook.bench.browser import WALLET_SCRIPT, DevnetWallet
from crossbook.bench.gas import token_contract
from crossbook.bench.page import BenchPage
from crossbook.bench.web import run_page_bench
from crossbook.chain import MAX_UINT, contract_at, wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.order import Domain
from tests.docs.test_benchmarks_page import check_well_formed
from tests.relayer.helpers import order_body
from tests.web.conftest import RelayerServer, save_artifact

TIMEOUT = 20_000  # ms


def _approve(dn: Devnet, index: int) -> None:
    settlement = dn.manifest.address("Settlement")
    for symbol in ("WETH", "USDC"):
        tx = token_contract(dn, symbol).functions.approve(settlement, MAX_UINT)
        wait_for_receipt(dn.w3, tx.transact({"from": dn.accounts[index].address}), "approve")


def _connect(page: Any) -> None:
    page.click("#connect")
    expect(page.locator("#account")).to_contain_text("0x", timeout=TIMEOUT)


def _order(page: Any, side: str, amount: str, limit: str, *, partial: bool = False) -> None:
    page.check(f"input[name=side][value={side}]")
    page.fill("#amount", amount)
    page.fill("#limit", limit)
    page.set_checked("#partial", partial)


def _orders_of(relayer: RelayerServer, owner: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{relayer.url}/v1/accounts/{owner}/orders")
    return list(reply.json())


def test_connect_on_the_wrong_chain_then_switch(open_page: Any, devnet: Devnet) -> None:
    page, wallet = open_page(1, on_chain=1)
    _connect(page)
    expect(page.locator("#account")).to_contain_text("wrong network")
    expect(page.locator("#switch-chain")).to_be_visible()
    expect(page.locator("#place")).to_be_disabled()
    page.click("#switch-chain")
    expect(page.locator("#account")).to_contain_text(f"chain {devnet.manifest.chain_id}")
    expect(page.locator("#switch-chain")).to_be_hidden()
    expect(page.locator("#place")).to_be_enabled()
    # the devnet was unknown to the wallet: the page added it, then switched
    assert wallet.requests.count("wallet_switchEthereumChain") == 2
    assert "wallet_addEthereumChain" in wallet.requests
    assert wallet.chain_id == devnet.manifest.chain_id


def _status(page: Any, uid: str) -> Any:
    return page.locator(f"#my-orders tr[data-uid='{uid}'] .status")


def _placed_uid(page: Any, relayer: RelayerServer, owner: str, before: int) -> str:
    expect(page.locator("#order-message")).to_contain_text("Order placed", timeout=TIMEOUT)
    orders = _orders_of(relayer, owner)
    assert len(orders) == before + 1
    return str(orders[0]["uid"])


def test_two_wallets_place_a_crossing_pair_and_both_see_it_filled(
    open_page: Any, devnet: Devnet, relayer: RelayerServer
) -> None:
    seller, buyer = devnet.accounts[2], devnet.accounts[3]
    for index in (2, 3):
        _approve(devnet, index)
    weth, usdc = token_contract(devnet, "WETH"), token_contract(devnet, "USDC")
    before = {
        a.address: (
            weth.functions.balanceOf(a.address).call(),
            usdc.functions.balanceOf(a.address).call(),
        )
        for a in (seller, buyer)
    }
    pages = {}
    for index, side, limit in ((2, "sell", "1990"), (3, "buy", "2010")):
        page, _ = open_page(index)
        _connect(page)
        _order(page, side, "0.1", limit)
        expect(page.locator("#order-preview")).to_contain_text("fill or kill")
        page.click("#place")
        owner = devnet.accounts[index].address
        pages[owner] = (page, _placed_uid(page, relayer, owner, 0))
    for owner, (page, uid) in pages.items():
        expect(_status(page, uid)).to_have_text("filled", timeout=TIMEOUT)
        expect(page.locator(f"#my-fills li[data-uid='{uid}']")).to_contain_text("tx 0x")
        assert _orders_of(relayer, owner)[0]["status"] == "filled"
    # one batch holds both fills: the pair crossed each other
    batches = {t["batchId"] for t in httpx.get(f"{relayer.url}/v1/trades").json()}
    uids = {uid for _, uid in pages.values()}
    assert (
        len(batches) == 1
        and {
            f["orderUid"]
            for f in httpx.get(f"{relayer.url}/v1/batches/{batches.pop()}").json()["fills"]
        }
        == uids
    )
    expect(page.locator("#batch-rows tr")).to_have_count(1)
    weth_s, usdc_s = before[seller.address]
    weth_b, usdc_b = before[buyer.address]
    # on chain, at the limits or better: every order sells exactly its sell amount (the seller
    # 0.1 WETH for at least 199 USDC, the buyer 201 USDC for at least 0.1 WETH)
    assert weth.functions.balanceOf(seller.address).call() == weth_s - 10**17
    assert usdc.functions.balanceOf(seller.address).call() >= usdc_s + 199 * 10**6
    assert weth.functions.balanceOf(buyer.address).call() >= weth_b + 10**17
    assert usdc.functions.balanceOf(buyer.address).call() == usdc_b - 201 * 10**6
    # the market's AMM pool and on-chain book, read from the chain (the devnet is seeded)
    liquidity = httpx.get(f"{relayer.url}/v1/markets/WETH-USDC/liquidity").json()
    pool_price = Fraction(liquidity["pool"]["price"]) * 10**18 / 10**6
    assert 1900 < pool_price < 2100
    assert liquidity["book"]["bids"] and liquidity["book"]["asks"]
    expect(page.locator("#pool-price")).to_contain_text("AMM pool: ")
    expect(page.locator("#chain-asks tr")).to_have_count(len(liquidity["book"]["asks"][:5]))
    _rest_a_few_orders(devnet, relayer)
    expect(page.locator("#asks tr")).to_have_count(3, timeout=TIMEOUT)
    expect(page.locator("#bids tr")).to_have_count(3, timeout=TIMEOUT)
    save_artifact(page, "trading-1280x800.png")
    phone = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        small = phone.new_page()
        small.goto(relayer.url + "/")
        small.wait_for_selector("body[data-ready=true]")
        expect(small.locator("#batch-rows tr")).not_to_have_count(0, timeout=TIMEOUT)
        save_artifact(small, "trading-390x844.png")
    finally:
        phone.close()


def _rest_a_few_orders(dn: Devnet, relayer: RelayerServer) -> None:
    """Bids from account 2 and asks from account 3 that do not cross: a book to look at."""
    domain = Domain(
        chain_id=dn.manifest.chain_id, verifying_contract=dn.manifest.address("Settlement")
    )
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    bidder, asker = dn.accounts[2], dn.accounts[3]
    for price, size in ((1900, 3), (1950, 2), (1980, 1)):
        body = order_body(
            domain,
            bidder.private_key,
            bidder.address,
            usdc,
            weth,
            price * size * 10**5,
            size * 10**17,
            partial=True,
        )
        assert httpx.post(f"{relayer.url}/v1/orders", json=body).status_code == 201
    for price, size in ((2040, 1), (2080, 2), (2150, 4)):
        body = order_body(
            domain,
            asker.private_key,
            asker.address,
            weth,
            usdc,
            size * 10**17,
            price * size * 10**5,
            partial=True,
        )
        assert httpx.post(f"{relayer.url}/v1/orders", json=body).status_code == 201


def test_approve_a_token_with_no_allowance_then_place_and_cancel(
    open_page: Any, devnet: Devnet, relayer: RelayerServer
) -> None:
    owner = devnet.accounts[4].address
    weth = token_contract(devnet, "WETH")
    settlement = devnet.manifest.address("Settlement")
    assert weth.functions.allowance(owner, settlement).call() == 0
    page, _ = open_page(4)
    _connect(page)
    _order(page, "sell", "0.05", "9000", partial=True)
    page.click("#place")
    expect(page.locator("#approve")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#order-message")).to_contain_text("Approve WETH")
    assert _orders_of(relayer, owner) == []
    page.click("#approve")
    expect(page.locator("#order-message")).to_contain_text("Approved", timeout=TIMEOUT)
    assert weth.functions.allowance(owner, settlement).call() == 5 * 10**16
    page.click("#place")
    uid = _placed_uid(page, relayer, owner, 0)
    expect(_status(page, uid)).to_have_text("open", timeout=TIMEOUT)
    page.locator(f"#my-orders tr[data-uid='{uid}'] button").click()
    expect(page.locator("#order-message")).to_contain_text("Order cancelled", timeout=TIMEOUT)
    expect(_status(page, uid)).to_have_text("cancelled", timeout=TIMEOUT)
    assert _orders_of(relayer, owner)[0]["status"] == "cancelled"


def test_approve_by_permit_signature_with_no_wallet_transaction(
    open_page: Any, devnet: Devnet, relayer: RelayerServer
) -> None:
    """USDC has EIP-2612: the page offers a permit beside the approve transaction; the wallet
    only signs, the relayer submits the permit (paying its gas), then the order is placed."""
    owner = devnet.accounts[7].address
    usdc = token_contract(devnet, "USDC")
    settlement = devnet.manifest.address("Settlement")
    assert usdc.functions.allowance(owner, settlement).call() == 0
    sent = devnet.w3.eth.get_transaction_count(owner)
    page, wallet = open_page(7)
    _connect(page)
    _order(page, "buy", "0.1", "100")  # sells 10 USDC
    page.click("#place")
    expect(page.locator("#permit")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#permit")).to_have_text("Approve 10 USDC by signature (no gas)")
    expect(page.locator("#approve")).to_be_visible()
    page.click("#permit")
    expect(page.locator("#order-message")).to_contain_text("Approved by permit", timeout=TIMEOUT)
    expect(page.locator("#permit")).to_be_hidden()
    assert usdc.functions.allowance(owner, settlement).call() == 10 * 10**6
    assert wallet.requests.count("eth_signTypedData_v4") == 1
    assert "eth_sendTransaction" not in wallet.requests
    assert devnet.w3.eth.get_transaction_count(owner) == sent  # the wallet paid no gas
    page.click("#place")
    uid = _placed_uid(page, relayer, owner, 0)
    expect(_status(page, uid)).to_have_text("open", timeout=TIMEOUT)


def test_a_rejected_signature_posts_nothing(
    open_page: Any, devnet: Devnet, relayer: RelayerServer
) -> None:
    _approve(devnet, 5)
    page, wallet = open_page(5)
    wallet.reject_signatures = True
    _connect(page)
    _order(page, "buy", "0.1", "100")
    page.click("#place")
    expect(page.locator("#order-message")).to_have_text(
        "You rejected the signature in your wallet.", timeout=TIMEOUT
    )
    assert "eth_signTypedData_v4" in wallet.requests
    assert _orders_of(relayer, devnet.accounts[5].address) == []


def test_an_order_the_relayer_refuses_shows_the_reason(
    open_page: Any, devnet: Devnet, relayer: RelayerServer
) -> None:
    _approve(devnet, 6)
    page, _ = open_page(6)
    _connect(page)
    _order(page, "buy", "0.1", "100")
    page.select_option("#expiry", "300")  # under the relayer's MIN_VALID_FOR_S
    page.click("#place")
    expect(page.locator("#order-message")).to_have_text(
        "The order expires too soon: choose a longer expiry.", timeout=TIMEOUT
    )
    assert _orders_of(relayer, devnet.accounts[6].address) == []


def test_the_page_says_when_the_relayer_is_gone_and_recovers(
    open_page: Any, relayer: RelayerServer
) -> None:
    page, _ = open_page(7)
    badge = page.locator("#connection")
    expect(badge).to_have_text("live", timeout=TIMEOUT)
    relayer.stop()
    try:
        expect(badge).to_contain_text("relayer unreachable", timeout=TIMEOUT)
    finally:
        relayer.start()
    expect(badge).to_have_text("live", timeout=TIMEOUT)


def test_the_page_benchmark_writes_its_section(browser: Any, tmp_path: Path) -> None:
    """`crossbook bench page` measured for real (one load, one fill) into a fresh page."""
    lines: list[str] = []
    page = BenchPage(tmp_path / "benchmarks.md")
    figures = run_page_bench(lines.append, loads=1, fills=1, page=page, browser=browser)
    assert set(figures.sizes) == {"main.js", "app.css"} and all(figures.sizes.values())
    assert len(figures.ready_ms) == 1 and figures.ready_ms[0] > 0
    assert len(figures.fill_ms) == 1
    rows = check_well_formed(page.path.read_text())["web"]
    assert [r[0] for r in rows] == [
        "JS and CSS, gzipped",
        "time to a usable page",
        "batch receipt to the fill on the page",
    ]
    assert rows[0][-3] == "`crossbook bench page --loads 1 --fills 1`"


def test_deposit_trade_from_the_internal_balance_and_withdraw(
    open_page: Any, devnet: Devnet, relayer: RelayerServer
) -> None:
    owner = devnet.accounts[1].address
    weth = devnet.manifest.tokens["WETH"].address
    settlement = contract_at(devnet.w3, "Settlement", devnet.manifest.address("Settlement"))

    def internal() -> int:
        return int(settlement.functions.balanceOf(owner, weth).call())

    page, _ = open_page(1)
    _connect(page)
    page.select_option("#move-token", weth)
    page.fill("#move-amount", "0.2")
    page.click("#deposit")  # no allowance yet: the page approves, then deposits
    expect(page.locator("#balance-message")).to_have_text("Deposited.", timeout=TIMEOUT)
    assert internal() == 2 * 10**17
    expect(page.locator(f"#balance-rows tr[data-token='{weth}'] td").nth(2)).to_have_text("0.2")
    _order(page, "sell", "0.1", "9500")
    page.check("#internal")
    page.click("#place")
    uid = _placed_uid(page, relayer, owner, 0)
    assert _orders_of(relayer, owner)[0]["flags"] == 6  # sell from and buy to internal
    page.locator(f"#my-orders tr[data-uid='{uid}'] button").click()
    expect(_status(page, uid)).to_have_text("cancelled", timeout=TIMEOUT)
    page.click("#withdraw")
    expect(page.locator("#balance-message")).to_have_text("Withdrawn.", timeout=TIMEOUT)
    assert internal() == 0


def test_orders_are_built_exactly_from_the_form(open_page: Any) -> None:
    """bigint amounts: 18-decimal amounts and a decimal limit price give the exact base units
    (a sell asks for at least the rounded-up quote, a buy offers at most the rounded-down)."""
    page, _ = open_page(6)
    _connect(page)
    amount, price = 1_123456789012345678, Fraction("1999.99")  # WETH base units; USDC per WETH
    quote = amount * price * 10**6 / 10**18
    preview = page.locator("#order-preview")
    _order(page, "sell", "1.123456789012345678", "1999.99")
    expect(preview).to_contain_text(f"sell    1.123456789012345678 WETH ({amount})")
    expect(preview).to_contain_text(f"({math.ceil(quote)})")
    _order(page, "buy", "1.123456789012345678", "1999.99")
    paid = math.floor(quote)
    usdc = f"{paid // 10**6}.{paid % 10**6:06d}".rstrip("0").rstrip(".")
    expect(preview).to_contain_text(f"sell    {usdc} USDC ({paid})")
    expect(preview).to_contain_text(f"buy     1.123456789012345678 WETH ({amount})")
    page.fill("#amount", "1.1234567890123456789")  # one decimal more than WETH has
    page.click("#place")
    expect(page.locator("#order-message")).to_have_text("Amount: at most 18 decimals")


# A second wallet announcing itself through EIP-6963; it refuses everything.
OTHER_WALLET = """
window.addEventListener("eip6963:requestProvider", () => window.dispatchEvent(
  new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({
    info: { uuid: "0b0e9c1e-0000-4000-8000-000000000002", name: "Other wallet",
            icon: "data:,", rdns: "org.example.other" },
    provider: { request: async () => { throw Object.assign(new Error("no"), { code: 4001 }); },
                on() {} },
  }) })));
"""


def test_several_wallets_announce_and_the_chosen_one_connects(
    browser: Any, devnet: Devnet, relayer: RelayerServer
) -> None:
    chain_id = devnet.manifest.chain_id
    wallet = DevnetWallet(devnet.node.rpc_url, devnet.accounts[7], chain_id, {chain_id})
    context = browser.new_context()
    try:
        context.add_init_script(OTHER_WALLET)
        context.expose_function("__devnetWalletRpc", wallet.handle)
        context.add_init_script(WALLET_SCRIPT)
        page = context.new_page()
        page.goto(relayer.url + "/")
        page.wait_for_selector("body[data-ready=true]")
        choice = page.locator("#wallet-choice")
        expect(choice).to_be_visible()
        names = choice.locator("option").all_text_contents()
        assert sorted(names) == ["Other wallet", "crossbook devnet wallet"]
        choice.select_option(label="Other wallet")
        page.click("#connect")
        expect(page.locator("#order-message")).to_have_text(
            "You rejected the connection in your wallet."
        )
        choice.select_option(label="crossbook devnet wallet")
        page.click("#connect")
        expect(page.locator("#account")).to_contain_text(devnet.accounts[7].address[:6])
        assert "eth_requestAccounts" in wallet.requests
    finally:
        context.close()


def test_cancel_on_chain_an_order_in_flight(
    open_page: Any, devnet: Devnet, relayer: RelayerServer
) -> None:
    """With blocks mined by hand, the relayer's settle waits in the mempool and the pair is
    `pending`: the page offers the on-chain cancel, whose transaction (a higher tip) is mined
    before the settle; the relayer reads the OrderCancelled event and the page shows it."""
    seller, buyer = devnet.accounts[5], devnet.accounts[6]
    for index in (5, 6):
        _approve(devnet, index)
    domain = Domain(
        chain_id=devnet.manifest.chain_id, verifying_contract=devnet.manifest.address("Settlement")
    )
    weth, usdc = devnet.manifest.tokens["WETH"].address, devnet.manifest.tokens["USDC"].address
    ask = order_body(domain, seller.private_key, seller.address, weth, usdc, 10**17, 200 * 10**6)
    bid = order_body(domain, buyer.private_key, buyer.address, usdc, weth, 2001 * 10**5, 10**17)
    weth_before = token_contract(devnet, "WETH").functions.balanceOf(seller.address).call()
    page, wallet = open_page(5)
    _connect(page)
    devnet.w3.provider.make_request("evm_setAutomine", [False])
    try:
        uid = httpx.post(f"{relayer.url}/v1/orders", json=ask).json()["uid"]
        httpx.post(f"{relayer.url}/v1/orders", json=bid).raise_for_status()
        expect(_status(page, uid)).to_have_text("pending", timeout=TIMEOUT)
        wallet.tip = 1000 * 10**9  # ahead of the relayer's settle in the block
        page.locator(f"#my-orders tr[data-uid='{uid}'] button", has_text="Cancel on chain").click()
        while "eth_sendTransaction" not in wallet.requests:
            page.wait_for_timeout(50)  # the page's request reaches the wallet
        devnet.w3.provider.make_request("evm_mine", [])
    finally:
        devnet.w3.provider.make_request("evm_setAutomine", [True])
    expect(page.locator("#order-message")).to_contain_text("Cancelled on chain", timeout=TIMEOUT)
    expect(_status(page, uid)).to_have_text("cancelled", timeout=TIMEOUT)
    assert _orders_of(relayer, seller.address)[0]["status"] == "cancelled"
    assert token_contract(devnet, "WETH").functions.balanceOf(seller.address).call() == weth_before
