"""The README's run command: a devnet, the suite deployed, sample wallets trading, a summary.

Until the relayer lands, the demo plays its part in-process: it collects the wallets'
signed orders, picks one uniform clearing price between the crossing limits, and submits one
`settle` batch with the devnet relayer's account.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from web3.logs import DISCARD

from crossbook.bench.gas import token_contract
from crossbook.bench.gas_settlement import MAX_UINT, VALID_TO, settlement_contract
from crossbook.devnet import Devnet
from crossbook.devnet.deploy import wait_ok
from crossbook.order import Domain, Order
from crossbook.settlement import Fill, bought_amount, build_batch
from crossbook.signing import sign_order

# (wallet index, sells WETH?, limit price in USDC per WETH)
SAMPLE_ORDERS = ((1, True, 1_950), (2, True, 1_980), (3, True, 1_990),
                 (4, False, 2_010), (5, False, 2_030), (6, False, 2_050))  # fmt: skip


def run_demo(echo: Callable[[str], None]) -> None:
    echo("starting Anvil and deploying the suite ...")
    with Devnet.launch() as dn:
        echo(f"devnet: chain {dn.manifest.chain_id} at {dn.node.rpc_url}")
        for name, contract in sorted(dn.manifest.contracts.items()):
            echo(f"  {name:<20} {contract.address}")
        settlement = settlement_contract(dn)
        weth, usdc = token_contract(dn, "WETH"), token_contract(dn, "USDC")
        domain = Domain(chain_id=dn.manifest.chain_id, verifying_contract=settlement.address)

        # every seller sells 1 WETH; every buyer sells the USDC worth 1 WETH at its own limit
        # price, so the clearing price below (the middle of the crossing range) fills them all
        sellers = [limit for _, sells_weth, limit in SAMPLE_ORDERS if sells_weth]
        buyers = [limit for _, sells_weth, limit in SAMPLE_ORDERS if not sells_weth]
        price = (max(sellers) + min(buyers)) // 2  # USDC per WETH
        fills = []
        for index, sells_weth, limit in SAMPLE_ORDERS:
            wallet = dn.accounts[index]
            for token in (weth, usdc):
                wait_ok(
                    dn.w3,
                    token.functions.approve(settlement.address, MAX_UINT).transact(
                        {"from": wallet.address}
                    ),
                    "approve",
                )
            if sells_weth:
                order = Order(
                    owner=wallet.address,
                    sell_token=weth.address,
                    buy_token=usdc.address,
                    sell_amount=10**18,
                    buy_amount=limit * 10**6,
                    valid_to=VALID_TO,
                    nonce=0,
                )
            else:
                order = Order(
                    owner=wallet.address,
                    sell_token=usdc.address,
                    buy_token=weth.address,
                    sell_amount=price * 10**6,
                    buy_amount=int(Fraction(price, limit) * 10**18),
                    valid_to=VALID_TO,
                    nonce=0,
                )
            fills.append(
                Fill(order, sign_order(order, domain, wallet.private_key), order.sell_amount)
            )
            side = "sells 1 WETH" if sells_weth else f"sells {price:,} USDC"
            echo(f"  wallet {wallet.address[:10]} signed: {side}, limit {limit:,} USDC/WETH")

        prices: dict[str, int] = {weth.address: price * 10**6, usdc.address: 10**18}
        batch = build_batch(fills, prices)
        receipt = wait_ok(
            dn.w3,
            settlement.functions.settle(*batch.args()).transact(
                {"from": dn.manifest.roles["relayer"]}
            ),
            "settle",
        )
        trades = settlement.events.Trade().process_receipt(receipt, errors=DISCARD)

        echo("summary")
        echo(f"  orders: {len(fills)}, fills: {len(trades)}, batches: 1")
        echo(f"  clearing price: {price:,} USDC per WETH (uniform for every order)")
        echo(
            f"  settle gas: {receipt['gasUsed']:,} ({receipt['gasUsed'] // len(trades):,} per fill)"
        )
        for fill in fills:
            o = fill.order
            got = bought_amount(fill.executed_sell, prices[o.sell_token], prices[o.buy_token])
            if o.sell_token == weth.address:
                echo(
                    f"  {o.owner[:10]} sold 1 WETH for {got / 10**6:,.2f} USDC "
                    f"(limit {o.buy_amount / 10**6:,.2f})"
                )
            else:
                echo(
                    f"  {o.owner[:10]} sold {o.sell_amount / 10**6:,.0f} USDC for "
                    f"{got / 10**18:.6f} WETH (limit {o.buy_amount / 10**18:.6f})"
                )
        echo(
            "  the relayer (HTTP API, matching, batching) is not built yet: this demo batches "
            "the orders itself"
        )
    echo("devnet stopped")
