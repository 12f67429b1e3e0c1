"""End to end through the Python SDK on Anvil: place, take, cancel, claim; typed errors; the
book rebuilt from events equals the contract's depth view."""

import random
import threading
import time

import pytest

from crossbook.book import Kind, Side, depth_from_events, read_depth
from crossbook.chain import TransactionFailed, send_transaction
from crossbook.errors import InvalidOrder

from .conftest import LOT

MID = 20_000


def balances(client, who):
    erc20 = client.w3.eth.contract
    from crossbook.artifacts import load_artifact

    abi = load_artifact("MockERC20").abi
    return (
        erc20(address=client.spec.base, abi=abi).functions.balanceOf(who).call(),
        erc20(address=client.spec.quote, abi=abi).functions.balanceOf(who).call(),
    )


def test_place_take_claim_cancel(client, maker, taker):
    m, t = maker.address, taker.address
    weth0, usdc0 = balances(client, m)
    placed = client.place(m, Side.ASK, MID, 50)
    assert placed.order_id is not None and placed.taken_lots == 0
    assert client.best_ask() == MID
    assert balances(client, m)[0] == weth0 - 50 * LOT

    taken = client.take(t, Side.BID, MID, 20)
    price = client.spec.price_per_lot(MID)
    assert taken.lots == 20
    assert taken.received == 20 * LOT
    assert taken.paid == 20 * price + -(-20 * price * 500 // 1_000_000)  # fee rounds up

    state = client.order(placed.order_id)
    assert (state.open_lots, state.claimable_lots) == (30, 20)
    assert client.claim(t, [placed.order_id]) == 20  # anyone may claim; the owner is paid
    maker_unit = price + price * 100 // 1_000_000  # 0.01% rebate, rounded down
    assert balances(client, m)[1] == usdc0 + 20 * maker_unit

    assert client.cancel(m, placed.order_id) == 30
    assert balances(client, m)[0] == weth0 - 20 * LOT
    assert client.order(placed.order_id).owner is None
    assert client.best_ask() is None


def test_price_time_priority_across_makers(client, maker, taker):
    first = client.place(maker.address, Side.BID, MID, 10).order_id
    second = client.place(taker.address, Side.BID, MID, 10).order_id
    better = client.place(taker.address, Side.BID, MID + 1, 10).order_id
    client.take(maker.address, Side.ASK, MID, 25)
    assert client.order(better).claimable_lots == 10
    assert client.order(first).claimable_lots == 10
    assert client.order(second).claimable_lots == 5


def test_typed_errors_surface(client, maker):
    client.place(maker.address, Side.ASK, MID, 10)
    with pytest.raises(TransactionFailed) as info:
        client.place(maker.address, Side.BID, MID, 10, kind=Kind.POST_ONLY)
    assert info.value.name == "PostOnlyWouldCross"
    assert info.value.error_args == (MID, MID)
    with pytest.raises(TransactionFailed) as info:
        client.take(maker.address, Side.BID, MID, 20, min_lots=20)
    assert info.value.name == "InsufficientFill"
    with pytest.raises(InvalidOrder):
        client.place(maker.address, Side.ASK, MID, 5)  # below the minimum, caught locally


def test_events_rebuild_the_depth_view(client, maker, taker):
    rng = random.Random(5)
    start = client.w3.eth.block_number
    ids = []
    for _ in range(40):
        who = rng.choice((maker, taker)).address
        action = rng.random()
        if action < 0.55 or not ids:
            side = rng.choice((Side.BID, Side.ASK))
            tick = MID + rng.randint(1, 6) * (1 if side == Side.ASK else -1)
            res = client.place(who, side, tick, rng.randint(10, 60))
            ids.append((res.order_id, who))
        elif action < 0.8:
            side = rng.choice((Side.BID, Side.ASK))
            limit = MID + 6 if side == Side.BID else MID - 6
            client.take(who, side, limit, rng.randint(1, 120))
        else:
            oid, owner = rng.choice(ids)
            if client.order(oid).open_lots:
                client.cancel(owner, oid, rng.randint(1, 40))
    view = read_depth(client.contract, 50)
    rebuilt = depth_from_events(client.contract, from_block=start)
    assert rebuilt == view
    assert view.bids and view.asks
    assert view.bids[0].tick < view.asks[0].tick


ATTACKER_HOLES = 33  # one more than the contract walks from a hint (`MAX_HINT_WALK`)


def _queue_for_the_hole_attack(client, victim, attacker):
    """One level: the victim's front order, its order cancelled into a hole (the victim's
    hint), the attacker's orders, the victim's order and a tail order. Returns the victim's
    order, the attacker's orders and the hint the victim reads before the attack."""

    def place(who):
        return client.place(who, Side.ASK, MID, 10).order_id

    place(victim)
    hole = place(victim)
    attackers = [place(attacker) for _ in range(ATTACKER_HOLES)]
    order = place(victim)
    place(victim)
    client.cancel(victim, hole)
    hint = client.hole_hint(order)
    assert hint == hole & 0xFFFFFFFF  # the nearest hole before the order: walk 0
    return order, attackers, hint


def test_cancel_survives_an_attackers_holes_behind_a_stale_hint(client, maker, taker):
    """The attacker cancels 33 of its orders between the victim's hint and the victim's order
    after the victim read the hint: the contract refuses that hint (HoleHintTooFar), and the
    SDK cancel reads a fresh one and succeeds."""
    order, attackers, stale = _queue_for_the_hole_attack(client, maker.address, taker.address)
    for a in attackers:
        client.cancel(taker.address, a)
    refused = client.contract.functions.cancel(order, 10, stale)
    with pytest.raises(TransactionFailed) as info:
        send_transaction(client.w3, refused, maker.address)
    assert info.value.name == "HoleHintTooFar"
    assert client.cancel(maker.address, order, hint=stale) == 10
    assert client.order(order).owner is None


def test_cancel_retries_when_the_holes_land_just_before_it(client, maker, taker, w3):
    """The attacker's cancels are mined in the same block just before the victim's, which
    was simulated (and its hint read) before them: it reverts on chain, and the SDK retries
    with a fresh hint."""
    order, attackers, _ = _queue_for_the_hole_attack(client, maker.address, taker.address)
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        for a in attackers:  # pending, in this order, ahead of the victim's cancel
            client.contract.functions.cancel(a, 10, client.hole_hint(a)).transact(
                {"from": taker.address, "gas": 500_000}
            )
        result: dict[str, object] = {}
        victim = threading.Thread(
            target=lambda: result.update(lots=client.cancel(maker.address, order))
        )
        victim.start()
        deadline = time.monotonic() + 30
        while _pending(w3) <= ATTACKER_HOLES and time.monotonic() < deadline:
            time.sleep(0.05)  # the victim's cancel read its hint and was sent: not yet mined
        assert _pending(w3) == ATTACKER_HOLES + 1
        while victim.is_alive():
            w3.provider.make_request("evm_mine", [])
            victim.join(timeout=0.3)
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    assert result == {"lots": 10}
    assert client.order(order).owner is None
    for a in attackers:
        assert client.order(a).owner is None


def _pending(w3):
    return int(w3.provider.make_request("txpool_status", [])["result"]["pending"], 16)
