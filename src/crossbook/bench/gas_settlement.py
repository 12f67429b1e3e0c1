"""Gas scenarios of `Settlement.settle` (figures in snapshots/gas.json).

Every scenario first settles a warm-up batch of the same shape, then measures a second batch:
steady state, meaning every maker already holds both tokens (and, for internal balances, both
internal balances), has approved the settlement contract, and has already used its nonce
bitmap word. Orders pay no fee; clearing prices make each pair cross exactly, so
`build_batch` (as for any relayer batch) pays the wallet pairs wallet-to-wallet directly. The
measured transaction is sent as the relayer sends it, with the EIP-2930 access list of its
simulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from web3 import Web3
from web3.contract import Contract

from crossbook.artifacts import load_artifact
from crossbook.bench.gas import scenario, token_contract
from crossbook.chain import wait_for_receipt
from crossbook.devnet import Devnet
from crossbook.hashing import keccak
from crossbook.order import Domain, Order, OrderFlags
from crossbook.relayer.access_list import worthwhile
from crossbook.settlement import Fill, build_batch
from crossbook.signing import address_of, sign_order

WETH_PRICE = 2_000 * 10**6  # USDC base units per WETH, as the WETH clearing price
USDC_PRICE = 10**18
SELL_WETH = 10**18
SELL_USDC = 2_000 * 10**6
MAX_UINT = 2**256 - 1
VALID_TO = 2**32 - 1


@dataclass(frozen=True)
class Maker:
    address: str
    key: bytes


def bench_makers(count: int) -> list[Maker]:
    keys = [keccak(f"crossbook/bench/maker/{i}".encode()) for i in range(count)]
    return [Maker(address_of(k), k) for k in keys]


def settlement_contract(dn: Devnet) -> Contract:
    return dn.w3.eth.contract(
        address=Web3.to_checksum_address(dn.manifest.address("Settlement")),
        abi=load_artifact("Settlement").abi,
    )


def fund_makers(dn: Devnet, makers: list[Maker], internal: bool) -> None:
    """Give every maker ETH, both tokens, approvals and (optionally) internal balances."""
    w3, deployer = dn.w3, dn.deployer.address
    settlement = settlement_contract(dn)
    weth, usdc = token_contract(dn, "WETH"), token_contract(dn, "USDC")
    # Every transaction is awaited: Anvil's automine mines in the background, so a later
    # call's gas estimate may not see an earlier, still unmined transaction.
    for maker in makers:
        dn.node.rpc("anvil_setBalance", [maker.address, hex(10**20)])
        dn.node.rpc("anvil_impersonateAccount", [maker.address])
        for tok, amount in ((weth, 100 * 10**18), (usdc, 1_000_000 * 10**6)):
            txs = [
                tok.functions.mint(maker.address, amount).transact({"from": deployer}),
                tok.functions.approve(settlement.address, MAX_UINT).transact(
                    {"from": maker.address}
                ),
            ]
            for tx in txs:
                wait_for_receipt(w3, tx, "funding bench makers")
            if internal:
                deposit = settlement.functions.deposit(tok.address, amount // 2).transact(
                    {"from": maker.address}
                )
                wait_for_receipt(w3, deposit, "depositing for bench makers")
        dn.node.rpc("anvil_stopImpersonatingAccount", [maker.address])


def pair_fills(dn: Devnet, makers: list[Maker], nonce: int, flags: int) -> list[Fill]:
    """Maker 2i sells 1 WETH for USDC; maker 2i+1 sells 2,000 USDC for WETH."""
    domain = Domain(
        chain_id=dn.manifest.chain_id, verifying_contract=dn.manifest.address("Settlement")
    )
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    fills = []
    for i, maker in enumerate(makers):
        sells_weth = i % 2 == 0
        order = Order(
            owner=maker.address,
            sell_token=weth if sells_weth else usdc,
            buy_token=usdc if sells_weth else weth,
            sell_amount=SELL_WETH if sells_weth else SELL_USDC,
            buy_amount=1_990 * 10**6 if sells_weth else 99 * 10**16,
            valid_to=VALID_TO,
            nonce=nonce,
            flags=flags,
        )
        fills.append(Fill(order, sign_order(order, domain, maker.key), order.sell_amount))
    return fills


def settle(dn: Devnet, fills: list[Fill]) -> int:
    """Settle `fills` as the relayer sends a batch: with the access list its simulation
    generated (`crossbook.relayer.access_list`)."""
    weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
    batch = build_batch(fills, {weth: WETH_PRICE, usdc: USDC_PRICE})
    contract, relayer = settlement_contract(dn), dn.manifest.roles["relayer"]
    call = {
        "from": relayer,
        "to": contract.address,
        "data": contract.encode_abi("settle", list(batch.args())),
    }
    simulated = dn.node.rpc("eth_createAccessList", [call, "latest"])
    access_list = worthwhile(simulated["accessList"], to=contract.address, sender=relayer)
    tx = dn.w3.eth.send_transaction(
        cast(Any, {**call, "gas": 25_000_000, "accessList": access_list})
    )
    return int(wait_for_receipt(dn.w3, tx, "settle")["gasUsed"])


def steady_state_settle(dn: Devnet, makers: int, flags: int) -> int:
    group = bench_makers(makers)
    fund_makers(dn, group, internal=bool(flags & OrderFlags.SELL_FROM_INTERNAL))
    settle(dn, pair_fills(dn, group, nonce=0, flags=flags))  # warm-up: nonce words in use
    return settle(dn, pair_fills(dn, group, nonce=1, flags=flags))


@scenario(
    "settle_100_orders_per_fill_wallet",
    "settle 50 crossing pairs from 100 makers' wallets, steady state; gas per order fill",
    target=32_000,
    per=100,
)
def _settle_100_wallet(dn: Devnet) -> int:
    return steady_state_settle(dn, 100, flags=0)


@scenario(
    "settle_100_orders_per_fill_internal",
    "settle 50 crossing pairs from 100 makers' internal balances, steady state; gas per fill",
    target=22_000,
    per=100,
)
def _settle_100_internal(dn: Devnet) -> int:
    flags = OrderFlags.SELL_FROM_INTERNAL | OrderFlags.BUY_TO_INTERNAL
    return steady_state_settle(dn, 100, flags=int(flags))


@scenario(
    "settle_1_pair",
    "settle one crossing pair alone from wallets, steady state; the whole transaction",
    target=110_000,
)
def _settle_1_pair(dn: Devnet) -> int:
    return steady_state_settle(dn, 2, flags=0)
