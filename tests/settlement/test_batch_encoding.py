"""`build_batch` encoding (packed trade words, signatures) and direct-payment pairing; no chain."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from crossbook.order import Domain, Order, OrderFlags
from crossbook.settlement import Fill, InvalidBatch, build_batch
from crossbook.signing import SigningScheme, address_of, sign_order

WETH = "0x" + "11" * 20
USDC = "0x" + "22" * 20
PRICES = {WETH: 2_000 * 10**6, USDC: 10**18}
DOMAIN = Domain(chain_id=31337, verifying_contract="0x" + "33" * 20)
KEYS = [keccak(f"crossbook/test/batch/{i}".encode()) for i in range(4)]


def _fill(i: int, sells_weth: bool, **overrides: object) -> Fill:
    fields: dict[str, object] = dict(
        owner=address_of(KEYS[i]),
        sell_token=WETH if sells_weth else USDC,
        buy_token=USDC if sells_weth else WETH,
        sell_amount=10**18 if sells_weth else 2_000 * 10**6,
        buy_amount=1_990 * 10**6 if sells_weth else 99 * 10**16,
        valid_to=2**32 - 1,
        nonce=7,
    )
    fields.update(overrides)
    order = Order(**fields)  # type: ignore[arg-type]
    return Fill(order, sign_order(order, DOMAIN, KEYS[i]), order.sell_amount)


def _payee(trade: tuple[object, ...]) -> int:
    return (int(trade[0]) >> 232) & 0xFFFF  # type: ignore[call-overload]


def test_trade_words_pack_the_order_fields():
    fill = _fill(0, True, flags=int(OrderFlags.PARTIALLY_FILLABLE))
    batch = build_batch([fill], PRICES)
    tokens, prices, trades, signatures = batch.args()
    (packed, receiver, sell, buy, fee, nonce, executed, r, s) = trades[0]
    o = fill.order
    assert packed & (2**160 - 1) == int(o.owner, 16)
    assert (packed >> 160) & 0xFFFFFFFF == o.valid_to
    assert tokens[(packed >> 192) & 0xFF].lower() == WETH
    assert tokens[(packed >> 200) & 0xFF].lower() == USDC
    assert (packed >> 208) & 0xFF == o.flags
    assert (packed >> 216) & 0xFF == SigningScheme.ECDSA
    assert (packed >> 224) & 0xFF == fill.signature[64]
    assert packed >> 232 == 0  # no payee, top byte zero
    assert (receiver, sell, buy, fee, nonce, executed) == (
        o.receiver,
        o.sell_amount,
        o.buy_amount,
        o.fee_amount,
        o.nonce,
        fill.executed_sell,
    )
    assert r + s == fill.signature[:64]
    assert signatures == []
    assert prices == [PRICES[t.lower()] for t in tokens]


def test_fill_or_kill_whole_order_encodes_executed_as_zero():
    """A zero word is cheaper calldata; the contract reads 0 as the whole order for
    fill-or-kill only (a partially fillable trade keeps its amount: see the test above)."""
    fill = _fill(0, True)
    assert not fill.order.partially_fillable and fill.executed_sell == fill.order.sell_amount
    (trade,) = build_batch([fill], PRICES).args()[2]
    assert trade[6] == 0
    assert trade[2] == fill.order.sell_amount


def test_ecdsa_signature_must_be_65_bytes():
    fill = _fill(0, True)
    compact = Fill(fill.order, fill.signature[:64], fill.executed_sell)
    with pytest.raises(InvalidBatch, match="65 bytes"):
        build_batch([compact], PRICES)


def test_eip1271_signature_goes_to_the_side_array():
    fill = _fill(0, True)
    wallet = Fill(fill.order, b"\x01\x02\x03", fill.executed_sell, SigningScheme.EIP1271)
    _, _, trades, signatures = build_batch([fill, wallet], PRICES).args()
    assert signatures == [b"\x01\x02\x03"]
    assert int.from_bytes(trades[1][7], "big") == 0  # index into signatures
    assert (trades[1][0] >> 224) & 0xFF == 0  # no v


def test_presign_signature_must_be_empty():
    fill = _fill(0, True)
    with pytest.raises(InvalidBatch, match="pre-signed"):
        build_batch([Fill(fill.order, b"\x01", 10**18, SigningScheme.PRESIGN)], PRICES)


def test_exactly_crossing_fee_free_pair_pays_directly():
    _, _, trades, _ = build_batch([_fill(0, True), _fill(1, False)], PRICES).args()
    assert [_payee(t) for t in trades] == [2, 1]


def test_no_direct_payment_with_a_fee_internal_balances_or_unequal_amounts():
    fee = _fill(0, True, fee_amount=1)
    internal = _fill(1, False, flags=int(OrderFlags.SELL_FROM_INTERNAL))
    _, _, trades, _ = build_batch([fee, internal], PRICES).args()
    assert [_payee(t) for t in trades] == [0, 0]
    half = _fill(1, False, sell_amount=1_000 * 10**6, buy_amount=49 * 10**16)
    _, _, trades, _ = build_batch([_fill(0, True), half], PRICES).args()
    assert [_payee(t) for t in trades] == [0, 0]


def test_never_pays_its_own_wallet():
    seller = _fill(0, True)
    buyer = _fill(1, False, receiver=seller.order.owner)
    _, _, trades, _ = build_batch([seller, buyer], PRICES).args()
    assert _payee(trades[0]) == 0  # would pay the seller's own wallet
    assert _payee(trades[1]) == 1  # the buyer still pays the seller


def test_each_trade_is_paid_at_most_once():
    fills = [_fill(0, True), _fill(2, True), _fill(1, False)]
    _, _, trades, _ = build_batch(fills, PRICES).args()
    payees = [_payee(t) for t in trades]
    assert sorted(p for p in payees[:2]) == [0, 3]
    assert payees[2] in (1, 2)
