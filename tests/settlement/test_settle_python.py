"""Python-built orders and signatures against the Settlement contract on Anvil.

The forge suite (tests/foundry/settlement) covers every revert path of the contract; these
tests prove the Python side (EIP-712 hashing, signing, batch encoding) agrees with it.
"""

from __future__ import annotations

import ape
from eth_hash.auto import keccak
from hypothesis import HealthCheck, given, settings
from tests.orders.order_strategies import orders

from crossbook.order import ORDER_TYPE_HASH, Domain, OrderFlags
from crossbook.signing import SECP256K1_N


def test_type_hash_and_domain_separator_match(settlement, domain):
    assert (
        keccak(
            b"Order(address owner,address receiver,address sellToken,address buyToken,"
            b"uint256 sellAmount,uint256 buyAmount,uint256 feeAmount,uint32 validTo,uint256 nonce,"
            b"uint8 flags)"
        )
        == ORDER_TYPE_HASH
    )
    assert bytes(settlement.domainSeparator()) == domain.separator


def _as_tuple(order):
    return order.as_abi_tuple()


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(order=orders())
def test_python_uid_equals_contract_uid(settlement, domain, order):
    assert bytes(settlement.orderUid(_as_tuple(order))) == order.uid(domain)


def test_python_signed_pair_settles(
    settlement, create_maker, make_order, signed_fill, settle_fills, weth, usdc, fee_recipient
):
    seller, buyer = create_maker(), create_maker()
    sell = make_order(seller, sells_weth=True)
    buy = make_order(buyer, sells_weth=False)
    weth_before = weth.balanceOf(buyer.address)
    usdc_before = usdc.balanceOf(seller.address)
    receipt = settle_fills([signed_fill(sell, seller), signed_fill(buy, buyer)])
    assert weth.balanceOf(buyer.address) - weth_before == 10**18
    assert usdc.balanceOf(seller.address) - usdc_before == 2_000 * 10**6
    trades = [log for log in receipt.events if log.event_name == "Trade"]
    uids = {bytes(log.orderUid) for log in trades}
    assert uids == {sell.uid(_domain(settlement)), buy.uid(_domain(settlement))}
    # a fill-or-kill order never fills twice
    with ape.reverts(settlement.NonceAlreadySpent):
        settle_fills([signed_fill(sell, seller), signed_fill(buy, buyer)])


def _domain(settlement):
    return Domain(chain_id=ape.chain.chain_id, verifying_contract=settlement.address)


def test_partial_fills_from_python(
    settlement, create_maker, make_order, signed_fill, settle_fills, domain
):
    seller, buyer = create_maker(), create_maker()
    sell = make_order(seller, sells_weth=True, flags=int(OrderFlags.PARTIALLY_FILLABLE))
    half_buy = make_order(
        buyer, sells_weth=False, sell_amount=1_000 * 10**6, buy_amount=49 * 10**16
    )
    settle_fills([signed_fill(sell, seller, executed=5 * 10**17), signed_fill(half_buy, buyer)])
    assert settlement.filledAmount(sell.uid(domain)) == 5 * 10**17
    status, remaining = settlement.orderStatus(_as_tuple(sell))
    assert (status, remaining) == (0, 5 * 10**17)  # Open, half left


def test_high_s_signature_from_python_is_rejected(
    settlement, create_maker, make_order, signed_fill, settle_fills
):
    seller, buyer = create_maker(), create_maker()
    sell_fill = signed_fill(make_order(seller), seller)
    sig = sell_fill.signature
    s = int.from_bytes(sig[32:64], "big")
    malleated = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    bad = type(sell_fill)(sell_fill.order, malleated, sell_fill.executed_sell)
    with ape.reverts(settlement.SignatureHighS):
        settle_fills([bad, signed_fill(make_order(buyer, sells_weth=False), buyer)])


def test_signature_of_another_key_is_rejected(
    settlement, create_maker, make_order, signed_fill, settle_fills, domain
):
    seller, buyer, thief = create_maker(), create_maker(), create_maker()
    order = make_order(seller)
    from crossbook.settlement import Fill
    from crossbook.signing import sign_digest

    forged = Fill(order, sign_digest(order.uid(domain), thief.key), order.sell_amount)
    with ape.reverts(settlement.InvalidSigner):
        settle_fills([forged, signed_fill(make_order(buyer, sells_weth=False), buyer)])


def test_settle_by_a_caller_not_on_the_allow_list(
    settlement, create_maker, make_order, signed_fill, weth, usdc, taker
):
    from crossbook.settlement import build_batch

    seller, buyer = create_maker(), create_maker()
    batch = build_batch(
        [
            signed_fill(make_order(seller), seller),
            signed_fill(make_order(buyer, sells_weth=False), buyer),
        ],
        {weth.address: 2_000 * 10**6, usdc.address: 10**18},
    )
    with ape.reverts(settlement.NotRelayer):
        settlement.settle(*batch.args(), sender=taker)
