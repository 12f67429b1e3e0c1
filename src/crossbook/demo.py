"""The README's run command: a devnet, the suite deployed, sample wallets acting, a summary.

Later components extend it: the relayer runs and wallets trade through it.
"""

from __future__ import annotations

from collections.abc import Callable

from crossbook.bench.gas import token_contract
from crossbook.devnet import Devnet
from crossbook.devnet.deploy import wait_ok


def run_demo(echo: Callable[[str], None]) -> None:
    echo("starting Anvil and deploying the suite ...")
    with Devnet.launch() as dn:
        echo(f"devnet: chain {dn.manifest.chain_id} at {dn.node.rpc_url}")
        for name, contract in sorted(dn.manifest.contracts.items()):
            echo(f"  {name:<20} {contract.address}")
        wallets = dn.accounts[1:4]
        usdc = token_contract(dn, "USDC")
        gas_total = 0
        for i, wallet in enumerate(wallets):
            receiver = wallets[(i + 1) % len(wallets)]
            receipt = wait_ok(
                dn.w3,
                usdc.functions.transfer(receiver.address, 100 * 10**6).transact(
                    {"from": wallet.address}
                ),
                "transfer",
            )
            gas_total += receipt["gasUsed"]
            echo(f"  wallet {wallet.address[:10]} sent 100 USDC to {receiver.address[:10]}")
        echo("summary")
        echo(f"  transfers: {len(wallets)}, gas used: {gas_total:,}")
        for wallet in wallets:
            bal = usdc.functions.balanceOf(wallet.address).call() / 10**6
            echo(f"  {wallet.address}: {bal:,.2f} USDC")
    echo("devnet stopped")
