"""The submitter's pipeline on Anvil: several batches on their way at once at consecutive
nonces, and batches sized to the gas budget; plus the pieces that make it fast (the fast
calldata encoder, checked against eth-abi; the matcher's cached view of the open orders)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from crossbook.devnet import MiningMode
from crossbook.order import Order
from crossbook.relayer.calldata import Encoder
from crossbook.relayer.db.models import BatchStatus, OrderStatus
from crossbook.relayer.matching import BookOrder
from crossbook.relayer.rows import order_row
from crossbook.relayer.service import build
from tests.relayer.chain_helpers import (
    approved_devnet,
    ask_body,
    bid_body,
    relayer_settings,
    trades_on_chain,
    wait_for,
)
from tests.relayer.conftest import USDC, WETH
from tests.relayer.helpers import serve

# ---------------------------------------------------------------- on Anvil


@pytest.mark.devnet
def test_batches_in_flight_at_once_use_consecutive_nonces_and_each_settles_once(
    tmp_path: Path,
) -> None:
    import httpx

    with approved_devnet(tmp_path / "manifests") as dn:
        start = dn.w3.eth.block_number + 1
        relayer = build(
            relayer_settings(
                dn,
                f"sqlite:///{tmp_path}/r.db",
                batch_max_fills=2,
                max_inflight_batches=3,
                batch_interval_s=0.05,
                route_pools=False,
            )
        )  # crossing batches only
        dn.node.set_mining(MiningMode.MANUAL)  # everything the relayer sends waits in the pool
        with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=30) as client:
            uids = []
            for i in range(4):  # four crossing pairs: one batch of 2 fills each
                for body in (ask_body(dn, 1 + i), bid_body(dn, 5 + i % 3)):
                    reply = client.post("/v1/orders", json=body)
                    assert reply.status_code == 201, reply.text
                    uids.append(reply.json()["uid"])
            store = relayer.ctx.store

            def submitted() -> list[dict[str, Any]]:
                active = store.batches.active_batches()
                return [b for b in active if b["status"] == BatchStatus.SUBMITTED]

            in_flight = wait_for(lambda: len(submitted()) == 3 and submitted(), "3 batches sent")
            nonces = sorted(int(b["tx_nonce"]) for b in in_flight)
            assert nonces == [nonces[0], nonces[0] + 1, nonces[0] + 2]
            # the in-flight cap holds the 4th pair back
            assert len(store.batches.active_batches()) == 3
            assert store.orders.status_counts().get(OrderStatus.OPEN) == 2
            dn.node.set_mining(MiningMode.AUTO)
            dn.node.mine(1)

            def all_final() -> bool:
                return all(
                    client.get(f"/v1/orders/{u}/status").json()["status"] == "filled" for u in uids
                )

            wait_for(all_final, "every order to fill")
        on_chain = trades_on_chain(dn, start)
    assert sorted(on_chain) == sorted(uids)
    assert all(len(sold) == 1 for sold in on_chain.values())


@pytest.mark.devnet
def test_a_settle_transaction_carries_the_access_list_of_its_simulation(tmp_path: Path) -> None:
    """The tokens' slots a batch touches are listed (each saves 100 gas over a cold access),
    the relayer's own account and the settlement contract (warm anyway, and with too few
    slots here to pay for the 2,400 an entry costs) are not, and the simulation's gas is
    what the receipt says."""
    import httpx

    with approved_devnet(tmp_path / "manifests") as dn:
        relayer = build(
            relayer_settings(dn, f"sqlite:///{tmp_path}/r.db", route_pools=False, route_books=False)
        )
        with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=30) as client:
            uids = [
                client.post("/v1/orders", json=body).json()["uid"]
                for body in (ask_body(dn, 1), bid_body(dn, 5))
            ]

            def filled() -> bool:
                return all(
                    client.get(f"/v1/orders/{u}/status").json()["status"] == "filled" for u in uids
                )

            wait_for(filled, "the pair to fill")
        batch = relayer.ctx.store.batches.batch(1)
        assert batch is not None and batch["mined_tx"]
        tx = dn.w3.eth.get_transaction(batch["mined_tx"])
        listed = {str(e["address"]).lower(): len(e["storageKeys"]) for e in tx["accessList"]}
        weth, usdc = dn.manifest.tokens["WETH"].address, dn.manifest.tokens["USDC"].address
        # each token: the payer's balance, its allowance and the payee's balance
        assert listed.get(weth.lower(), 0) >= 3 and listed.get(usdc.lower(), 0) >= 3
        assert str(tx["from"]).lower() not in listed
        assert dn.manifest.address("Settlement").lower() not in listed
        replay = {"from": tx["from"], "to": tx["to"], "data": "0x" + bytes(tx["input"]).hex()}
        simulated = dn.node.rpc("eth_createAccessList", [replay, hex(tx["blockNumber"] - 1)])
        receipt = dn.w3.eth.get_transaction_receipt(tx["hash"])
        # the simulation ran with the whole list, the transaction with the entries that pay
        assert int(receipt["gasUsed"]) <= int(simulated["gasUsed"], 16)


@pytest.mark.devnet
def test_batches_are_trimmed_to_the_gas_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import httpx

    budget = 300_000  # a few fills per batch
    # until a simulation measured it, assume a fill costs far less than it does: the first
    # cut then takes every order (24 fills, ~1M gas) and must be trimmed to the budget
    monkeypatch.setattr("crossbook.relayer.batch_planning.INITIAL_GAS_PER_FILL", 5_000)
    caplog.set_level("INFO", logger="crossbook.relayer.submitter")
    with approved_devnet(tmp_path / "manifests") as dn:
        relayer = build(
            relayer_settings(
                dn,
                f"sqlite:///{tmp_path}/r.db",
                batch_max_fills=100,
                batch_max_gas=budget,
                batch_interval_s=0.05,
                route_pools=False,
            )
        )  # crossing batches only
        with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=30) as client:
            # all 24 in one request (the batch form), so the first cut sees every one of them
            bodies = [
                b for i in range(12) for b in (ask_body(dn, 1 + i % 4), bid_body(dn, 5 + i % 3))
            ]
            reply = client.post("/v1/orders", json=bodies)
            assert reply.status_code == 200, reply.text
            uids = [r["uid"] for r in reply.json()]
            assert len(uids) == 24

            def all_final() -> bool:
                return all(
                    client.get(f"/v1/orders/{u}/status").json()["status"] == "filled" for u in uids
                )

            wait_for(all_final, "every order to fill", timeout=60)
            batches = [client.get(f"/v1/batches/{i}").json() for i in range(1, 40)]
        traded = trades_on_chain(dn)
    final = [b for b in batches if b.get("status") == "final"]
    assert "trimming to" in caplog.text
    assert len(final) >= 3  # 24 fills do not fit one 300k-gas batch
    assert sum(len(b["fills"]) for b in final) == 24
    for b in final:
        assert b["gasUsed"] <= budget, b
    assert traded.keys() == set(uids)


# ---------------------------------------------------------------- calldata encoder

_SETTLE_TYPES = [
    "address[]",
    "uint256[]",
    "(uint8,uint8,address,address,uint256,uint256,uint256,uint32,uint256,uint8,uint8,uint256,bytes)[]",
    "(address,uint24)[2]",
    "bool",
    "bytes32",
    "string",
]
_address = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
_u256 = st.integers(0, 2**256 - 1)
_trade = st.tuples(
    st.integers(0, 255),
    st.integers(0, 255),
    _address,
    _address,
    _u256,
    _u256,
    _u256,
    st.integers(0, 2**32 - 1),
    _u256,
    st.integers(0, 255),
    st.integers(0, 255),
    _u256,
    st.binary(max_size=140),
)
_values = st.tuples(
    st.lists(_address, max_size=4),
    st.lists(_u256, max_size=4),
    st.lists(_trade, max_size=5),
    st.tuples(
        st.tuples(_address, st.integers(0, 2**24 - 1)),
        st.tuples(_address, st.integers(0, 2**24 - 1)),
    ),
    st.booleans(),
    st.binary(min_size=32, max_size=32),
    st.text(max_size=70),
)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_fast_encoder_equals_eth_abi(values: tuple[Any, ...]) -> None:
    encoder = Encoder(_SETTLE_TYPES)
    reference = abi_encode(_SETTLE_TYPES, list(values))
    assert encoder.encode(list(values)) == reference  # first use: checked against eth-abi
    assert encoder._checked and encoder.encode(list(values)) == reference  # the fast path


def test_fast_encoder_rejects_values_that_do_not_fit() -> None:
    encoder = Encoder(["uint8", "address"])
    encoder._checked = True
    for bad in ([256, "0x" + "11" * 20], [-1, "0x" + "11" * 20], [1, "0x1234"]):
        with pytest.raises(ValueError):
            encoder.encode(bad)


def test_types_it_does_not_cover_go_to_eth_abi() -> None:
    encoder = Encoder(["int256", "uint8"])
    assert encoder.encode([-5, 3]) == abi_encode(["int256", "uint8"], [-5, 3])


# ---------------------------------------------------------------- the matcher's open orders


def _row(seq: int) -> dict[str, Any]:
    order = Order(
        owner="0x" + "aa" * 20,
        sell_token=WETH,
        buy_token=USDC,
        sell_amount=1000,
        buy_amount=2000,
        valid_to=2**32 - 1,
        nonce=seq,
        flags=1,
    )
    return order_row(order, f"0x{seq:064x}", b"\x01" * 65, 0, "WETH-USDC", seq)


def test_cached_open_orders_follow_every_change_in_the_store(make_ctx: Any) -> None:
    from sqlalchemy import update

    from crossbook.relayer.db.tables import orders_t

    store = make_ctx().store
    store.orders.insert_orders([_row(i) for i in range(1, 6)])
    cache: dict[str, BookOrder] = {}
    first = store.orders.open_book_orders(cache)
    assert [o.seq for o in first] == [1, 2, 3, 4, 5]
    assert all(o.remaining == 1000 for o in first)
    with store.engine.begin() as conn:  # 2 cancelled, 3 partly filled, 6 arrives
        conn.execute(
            update(orders_t).where(orders_t.c.seq == 2).values(status=OrderStatus.CANCELLED)
        )
        conn.execute(update(orders_t).where(orders_t.c.seq == 3).values(executed_sell="400"))
    store.orders.insert_orders([_row(6)])
    second = store.orders.open_book_orders(cache)
    assert [o.seq for o in second] == [1, 3, 4, 5, 6]
    assert {o.seq: o.remaining for o in second} == {1: 1000, 3: 600, 4: 1000, 5: 1000, 6: 1000}
    assert set(cache) == {o.uid for o in second}  # nothing stale stays cached
    assert second == store.orders.open_book_orders({})  # the same as a cold read


@pytest.mark.devnet
def test_a_batch_larger_than_a_block_is_trimmed_and_every_order_settles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A node whose blocks hold 8M gas, and a relayer told it may spend 100M (the budget is
    capped at a block) that guesses a fill at 5k gas before measuring one: the first batch
    takes all ~600 fills, ~15M gas, and runs out of gas in simulation. It is measured,
    trimmed and re-simulated instead of failing the worker's step for ever, and every order
    settles once."""
    import logging

    import httpx

    from crossbook.devnet import AnvilConfig

    pairs = 300  # ~600 fills: more than 8M gas in one batch
    monkeypatch.setattr("crossbook.relayer.batch_planning.INITIAL_GAS_PER_FILL", 5_000)
    with approved_devnet(tmp_path / "manifests", AnvilConfig(gas_limit=8_000_000)) as dn:
        start = dn.w3.eth.block_number + 1
        relayer = build(
            relayer_settings(
                dn,
                f"sqlite:///{tmp_path}/r.db",
                batch_max_gas=100_000_000,
                batch_max_fills=10_000,
                batch_interval_s=0.5,
                route_pools=False,
                route_books=False,
                check_balances=False,
            )
        )
        bodies = [
            body
            for i in range(pairs)
            for body in (ask_body(dn, 1 + i % 3, nonce=10_000 + i), bid_body(dn, 4 + i % 3))
        ]
        caplog.set_level(logging.INFO, logger="crossbook.relayer.submitter")
        with serve(relayer.app) as url, httpx.Client(base_url=url, timeout=60) as client:
            reply = client.post("/v1/orders", json=bodies)  # one post: one cut sees them all
            assert reply.status_code == 200, reply.text
            uids = [r["uid"] for r in reply.json()]

            def filled() -> bool:
                return all(
                    client.get(f"/v1/orders/{u}/status").json()["status"] == "filled" for u in uids
                )

            wait_for(filled, "every order to fill", 120)
        traded = trades_on_chain(dn, start)
    assert any("ran out of gas in simulation; trimming" in r.getMessage() for r in caplog.records)
    assert set(traded) == set(uids) and all(len(v) == 1 for v in traded.values())
