"""A batch residual routed into the devnet's own WETH/USDC pool, built in Python."""

from __future__ import annotations

import pytest
from web3 import Web3

from crossbook.amm.math import get_amount_out
from crossbook.bench.gas import token_contract
from crossbook.bench.gas_settlement import settlement_contract
from crossbook.chain import wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.order import Domain, Order
from crossbook.settlement import Fill, PoolLeg, build_batch
from crossbook.signing import sign_order

pytestmark = pytest.mark.devnet


def test_residual_sold_into_the_pool_at_the_pools_price(tmp_path):
    with Devnet.launch(manifest_dir=tmp_path) as dn:
        settlement = settlement_contract(dn)
        weth, usdc = token_contract(dn, "WETH"), token_contract(dn, "USDC")
        seller = dn.accounts[1]
        wait_for_receipt(
            dn.w3,
            weth.functions.approve(settlement.address, 2**256 - 1).transact(
                {"from": seller.address}
            ),
            "approve",
        )
        order = Order(
            owner=seller.address,
            sell_token=weth.address,
            buy_token=usdc.address,
            sell_amount=10**18,
            buy_amount=1_900 * 10**6,
            valid_to=2**32 - 1,
            nonce=1,
        )
        domain = Domain(chain_id=dn.manifest.chain_id, verifying_contract=settlement.address)
        fill = Fill(order, sign_order(order, domain, seller.private_key), order.sell_amount)

        pool = dn.w3.eth.contract(
            address=Web3.to_checksum_address(dn.manifest.address("pool:WETH/USDC/30")),
            abi=[
                {
                    "name": "getReserves",
                    "type": "function",
                    "stateMutability": "view",
                    "inputs": [],
                    "outputs": [{"type": "uint112"}, {"type": "uint112"}, {"type": "uint32"}],
                }
            ],
        )
        r0, r1, _ = pool.functions.getReserves().call()
        weth_is_0 = int(weth.address, 16) < int(usdc.address, 16)
        r_weth, r_usdc = (r0, r1) if weth_is_0 else (r1, r0)
        out = get_amount_out(10**18, r_weth, r_usdc, 30)
        # the uniform clearing price is the pool's: 1 WETH buys exactly `out` USDC
        batch = build_batch(
            [fill],
            {weth.address: out, usdc.address: 10**18},
            pool_legs=[PoolLeg(weth.address, usdc.address, 30, 10**18, out)],
        )
        before = usdc.functions.balanceOf(seller.address).call()
        tx = settlement.functions.settleWithLiquidity(*batch.legs_args()).transact(
            {"from": dn.manifest.roles["relayer"]}
        )
        wait_for_receipt(dn.w3, tx, "settleWithLiquidity")
        assert usdc.functions.balanceOf(seller.address).call() - before == out
        assert out >= order.buy_amount
        r0, r1, _ = pool.functions.getReserves().call()
        assert (r0 if weth_is_0 else r1) == r_weth + 10**18
