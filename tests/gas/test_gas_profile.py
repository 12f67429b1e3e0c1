"""`crossbook.bench.gas_profile` on Anvil with step traces: the opcode classes, calldata, the
21,000 base and the storage refund add up to each receipt's gasUsed (a settlement, and router
calls that nest three frames deep, a contract creation and a refund); a node without step
traces gets a typed error, a transaction that ran no code does not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hexbytes import HexBytes
from web3 import Web3

from crossbook.amm.client import AmmClient
from crossbook.bench.gas_profile import (
    GasProfile,
    StepTraceMissing,
    format_profile,
    profile_transaction,
    settle_measured_batch,
)
from crossbook.chain import connect
from crossbook.devnet import AnvilConfig, AnvilNode, Devnet

pytestmark = pytest.mark.devnet


@pytest.fixture(scope="module")
def dn() -> Iterator[Devnet]:
    with Devnet.launch(AnvilConfig(extra_args=("--steps-tracing",))) as devnet:
        yield devnet


def last_transaction(w3: Web3) -> bytes:
    """The newest transaction (automine: one a block)."""
    return bytes(w3.eth.get_block("latest")["transactions"][-1])  # type: ignore[index]


def adds_up(profile: GasProfile) -> bool:
    parts = profile.execution_gas + profile.calldata_gas + 21_000 - profile.refund
    return parts == profile.gas_used and profile.unattributed == 0


def test_a_settlement_adds_up_to_its_gas_used(dn: Devnet) -> None:
    profile = profile_transaction(dn.node, dn.w3, settle_measured_batch(dn, False, makers=2))
    assert adds_up(profile)
    # Settlement at depth 1, the tokens it pays through at depth 2.
    assert {"1:SSTORE", "1:STATICCALL", "1:CALL", "2:SSTORE", "2:LOG3"} <= set(profile.by_class)
    assert profile.by_class["1:CALL"] > 0 and profile.calldata_gas > 0
    table = format_profile(profile, per=2).splitlines()
    assert table[-1].split() == [
        "total",
        "gasUsed",
        f"{profile.gas_used:,}",
        f"{profile.gas_used / 2:,.0f}",
    ]
    assert "(unattributed)" not in "\n".join(table)
    rows = [int(line[34:46].replace(",", "")) for line in table[1:-1]]
    assert sum(rows) == profile.gas_used


def test_nested_calls_creations_and_refunds_add_up(dn: Devnet) -> None:
    amm = AmmClient(dn.w3, dn.manifest)
    weth, usdc, dai = amm.token("WETH"), amm.token("USDC"), amm.token("DAI")
    me = dn.deployer.address

    def profile() -> GasProfile:
        return profile_transaction(dn.node, dn.w3, last_transaction(dn.w3))

    amm.create_pool(weth, dai, 30, me)  # the factory deploys the pool: a CREATE2 frame
    created = profile()
    assert adds_up(created) and created.by_class["1:CREATE2"] > 0
    assert any(key.startswith("2:") for key in created.by_class)

    # router -> pool -> token: three frames deep
    added = amm.add_liquidity(weth, usdc, 30, 10**18, 2_000 * 10**6, me, slippage_bps=100)
    minted = profile()
    assert adds_up(minted) and any(key.startswith("3:") for key in minted.by_class)
    amm.swap_exact_in(weth, usdc, 30, 10**16, me)
    swapped = profile()
    assert adds_up(swapped) and "3:SSTORE" in swapped.by_class

    # The LP shares burnt to zero: a storage slot cleared, gas refunded.
    amm.remove_liquidity(weth, usdc, 30, added["liquidity"], me, slippage_bps=100)
    burnt = profile()
    assert burnt.refund > 0 and adds_up(burnt)


def test_without_step_traces_a_transaction_that_ran_code_is_refused() -> None:
    with AnvilNode(AnvilConfig()) as node:
        w3, _ = connect(node.rpc_url)
        sender = w3.eth.accounts[0]
        # init code that returns one byte, STOP, as the contract's code
        creation = w3.eth.send_transaction({"from": sender, "data": HexBytes("0x60016000f3")})
        contract = w3.eth.wait_for_transaction_receipt(creation)["contractAddress"]
        call = w3.eth.send_transaction({"from": sender, "to": contract})
        w3.eth.wait_for_transaction_receipt(call)
        for tx in (creation, call):
            with pytest.raises(StepTraceMissing, match="start Anvil with --steps-tracing"):
                profile_transaction(node, w3, bytes(tx))

        transfer = w3.eth.send_transaction({"from": sender, "to": w3.eth.accounts[1], "value": 1})
        w3.eth.wait_for_transaction_receipt(transfer)
        plain = profile_transaction(node, w3, bytes(transfer))
        assert (plain.gas_used, plain.by_class, plain.calldata_gas) == (21_000, {}, 0)
        assert adds_up(plain)
