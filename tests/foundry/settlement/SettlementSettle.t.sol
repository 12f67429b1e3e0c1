// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {stdError} from "forge-std/StdError.sol";

import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {TRADE_UNUSED_SHIFT} from "../../../contracts/libraries/TradeLib.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {SettlementBase} from "./SettlementBase.sol";

/// @notice settle(): happy paths, pricing, partial fills, batch checks.
contract SettlementSettleTest is SettlementBase {
    // ------------------------------ happy paths ------------------------------

    function test_settle_crossingPairFromWallets() public {
        _settleWalletPair(false);
    }

    /// @dev Alice sells 100 A (fee 1 A) for Bob's 100 B at 1:1 from their wallets; `direct`:
    /// paid wallet to wallet, so only the fee goes through the contract. The same events and
    /// the same balances either way.
    function _settleWalletPair(bool direct) internal {
        (TradeSpec[] memory trades, ISettlement.Order memory a, ISettlement.Order memory b) =
            _crossingPair(0, 0);
        if (direct) _pairDirect(trades, 0, 1);
        vm.expectEmit(address(settlement));
        emit ISettlement.Trade(
            _uid(a), alice, address(tokenA), address(tokenB), 100e18, 100e18, 1e18
        );
        vm.expectEmit(address(settlement));
        emit ISettlement.Trade(_uid(b), bob, address(tokenB), address(tokenA), 100e18, 100e18, 0);
        vm.expectEmit(address(settlement));
        emit ISettlement.FeesCollected(fees, address(tokenA), 1e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.Settled(relayer, 2);
        _settle(_tokensAB(), _prices(1, 1), trades);

        assertEq(tokenA.balanceOf(alice), 899e18);
        assertEq(tokenB.balanceOf(alice), 100e18);
        assertEq(tokenB.balanceOf(bob), 900e18);
        assertEq(tokenA.balanceOf(bob), 100e18);
        assertEq(settlement.balanceOf(fees, address(tokenA)), 1e18);
        assertEq(tokenA.balanceOf(address(settlement)), 1e18);
        assertEq(tokenB.balanceOf(address(settlement)), 0);
    }

    function test_settle_crossingPairFromInternalBalances() public {
        vm.prank(alice);
        settlement.deposit(address(tokenA), 200e18);
        vm.prank(bob);
        settlement.deposit(address(tokenB), 200e18);
        (TradeSpec[] memory trades,,) =
            _crossingPair(SELL_INTERNAL | BUY_INTERNAL, SELL_INTERNAL | BUY_INTERNAL);
        _settle(_tokensAB(), _prices(1, 1), trades);

        assertEq(settlement.balanceOf(alice, address(tokenA)), 99e18);
        assertEq(settlement.balanceOf(alice, address(tokenB)), 100e18);
        assertEq(settlement.balanceOf(bob, address(tokenB)), 100e18);
        assertEq(settlement.balanceOf(bob, address(tokenA)), 100e18);
        assertEq(settlement.balanceOf(fees, address(tokenA)), 1e18);
        assertEq(tokenA.balanceOf(address(settlement)), 200e18);
    }

    function test_settle_paysReceiver() public {
        address carol = makeAddr("carol");
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        a.receiver = carol;
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 100e18, 100e18, 0, 1, 0);
        _settle(
            _tokensAB(),
            _prices(1, 1),
            _two(_signedTrade(a, alicePk, 100e18), _signedTrade(b, bobPk, 100e18))
        );
        assertEq(tokenB.balanceOf(carol), 100e18);
        assertEq(tokenB.balanceOf(alice), 0);
    }

    function test_settle_roundingDustGoesToFeeRecipient() public {
        // A=1, B=3: Alice's 10 A buy floor(10/3) = 3 B; Bob's 3 B buy 9 A; 1 A wei is surplus.
        ISettlement.Order memory a = _order(alice, address(tokenA), address(tokenB), 10, 3, 0, 1, 0);
        ISettlement.Order memory b = _order(bob, address(tokenB), address(tokenA), 3, 9, 0, 1, 0);
        vm.expectEmit(address(settlement));
        emit ISettlement.FeesCollected(fees, address(tokenA), 1);
        _settle(
            _tokensAB(),
            _prices(1, 3),
            _two(_signedTrade(a, alicePk, 10), _signedTrade(b, bobPk, 3))
        );
        assertEq(settlement.balanceOf(fees, address(tokenA)), 1);
        assertEq(tokenB.balanceOf(alice), 3);
        assertEq(tokenA.balanceOf(bob), 9);
    }

    function test_settle_overpayingPricesNotConserved() public {
        // At A=3, B=2 Alice's 100 A buy 150 B, but Bob brings only 100 B.
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 90e18, 0, 1, 0);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 100e18, 60e18, 0, 1, 0);
        TradeSpec[] memory trades =
            _two(_signedTrade(a, alicePk, 100e18), _signedTrade(b, bobPk, 100e18));
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.TokenNotConserved.selector, address(tokenB), 100e18, 150e18
            )
        );
        _settleAs(_tokensAB(), _prices(3, 2), trades);
    }

    function test_settle_sixDecimalToken() public {
        MockERC20 usdc = new MockERC20("USD Coin", "USDC", 6);
        _fund(bob, address(usdc), 1_000_000e6);
        address[] memory tokens = new address[](2);
        tokens[0] = address(tokenA);
        tokens[1] = address(usdc);
        // 1 A (1e18 units) = 2000 USDC (2000e6 units): price(A) * 1e18 = price(USDC) * 2000e6.
        uint256[] memory prices = _prices(2000e6, 1e18);
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(usdc), 1e18, 1999e6, 0, 1, 0);
        ISettlement.Order memory b =
            _order(bob, address(usdc), address(tokenA), 2000e6, 1e18, 0, 1, 0);
        TradeSpec[] memory trades = _two(
            _trade(a, 0, 1, 1e18, SCHEME_ECDSA, _sign(alicePk, a)),
            _trade(b, 1, 0, 2000e6, SCHEME_ECDSA, _sign(bobPk, b))
        );
        _settle(tokens, prices, trades);
        assertEq(usdc.balanceOf(alice), 2000e6);
        assertEq(tokenA.balanceOf(bob), 1e18);
    }

    // ------------------------------ price checks ------------------------------

    function test_settle_limitMissedByOneWei() public {
        // Bob wants one wei more than 1:1 gives him.
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 100e18, 100e18 + 1, 0, 1, 0);
        TradeSpec[] memory trades =
            _two(_signedTrade(a, alicePk, 100e18), _signedTrade(b, bobPk, 100e18));
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.LimitPriceNotMet.selector, _uid(b), 100e18, 100e18)
        );
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    /// @dev Every fill gets at least its limit price, and the batch never pays out more than
    /// the floor of executed * p_sell / p_buy.
    function testFuzz_settle_roundingNeverAgainstUser(
        uint256 sellAmount,
        uint256 buyAmount,
        uint256 executed,
        uint256 priceA,
        uint256 priceB
    ) public {
        sellAmount = bound(sellAmount, 1, 1e30);
        buyAmount = bound(buyAmount, 1, 1e30);
        executed = bound(executed, 1, sellAmount);
        priceA = bound(priceA, 1, 1e36);
        priceB = bound(priceB, 1, 1e36);
        _fund(alice, address(tokenA), sellAmount);
        uint256 bought = executed * priceA / priceB;
        vm.assume(bought > 0 && bought < 1e40);
        // Seed the contract with B through bob's internal balance so the trade can be paid.
        _fund(bob, address(tokenB), bought);
        vm.prank(bob);
        settlement.deposit(address(tokenB), bought);
        // Bob's internal-balance order absorbs the other side at any price he accepts (1 wei).
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), sellAmount, buyAmount, 0, 7, PARTIAL);
        ISettlement.Order memory b = _order(
            bob, address(tokenB), address(tokenA), bought, 1, 0, 7, SELL_INTERNAL | BUY_INTERNAL
        );
        TradeSpec[] memory trades =
            _two(_signedTrade(a, alicePk, executed), _signedTrade(b, bobPk, bought));

        bool meetsLimit = bought * sellAmount >= executed * buyAmount;
        // Bob's side: floor(bought * pB / pA) <= executed, so the batch always conserves A.
        uint256 bobGets = bought * priceB / priceA;
        assertLe(bobGets, executed);
        vm.prank(relayer);
        if (!meetsLimit) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlement.LimitPriceNotMet.selector, _uid(a), executed, bought
                )
            );
            _settleAs(_tokensAB(), _prices(priceA, priceB), trades);
            return;
        }
        if (bobGets == 0) {
            vm.expectRevert(
                abi.encodeWithSelector(ISettlement.LimitPriceNotMet.selector, _uid(b), bought, 0)
            );
            _settleAs(_tokensAB(), _prices(priceA, priceB), trades);
            return;
        }
        _settleAs(_tokensAB(), _prices(priceA, priceB), trades);
        assertEq(tokenB.balanceOf(alice), bought, "alice gets the floor");
        assertGe(tokenB.balanceOf(alice) * sellAmount, executed * buyAmount, "limit price");
        assertEq(settlement.filledAmount(_uid(a)), executed);
    }

    /// @dev Partial fill fee is floor(feeAmount * executed / sellAmount): never above the pro-rata share.
    function testFuzz_settle_partialFeeRoundsForUser(
        uint256 sellAmount,
        uint256 feeAmount,
        uint256 executed
    ) public {
        sellAmount = bound(sellAmount, 1, 1e30);
        feeAmount = bound(feeAmount, 0, 1e30);
        executed = bound(executed, 1, sellAmount);
        _fund(alice, address(tokenA), sellAmount + feeAmount);
        _fund(bob, address(tokenB), executed);
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), sellAmount, 1, feeAmount, 9, PARTIAL);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), executed, 1, 0, 9, 0);
        uint256 before = tokenA.balanceOf(alice);
        _settle(
            _tokensAB(),
            _prices(1, 1),
            _two(_signedTrade(a, alicePk, executed), _signedTrade(b, bobPk, executed))
        );
        uint256 fee = before - tokenA.balanceOf(alice) - executed;
        assertEq(fee, feeAmount * executed / sellAmount);
        assertLe(fee * sellAmount, feeAmount * executed);
    }

    function test_settle_limitCheckFullPrecision() public {
        // Products overflow 256 bits; the check is still exact.
        uint256 big = type(uint256).max / 2;
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), big, big, 0, 1, PARTIAL);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 10e18, 1, 0, 1, 0);
        TradeSpec[] memory trades =
            _two(_signedTrade(a, alicePk, 10e18), _signedTrade(b, bobPk, 10e18));
        _settle(_tokensAB(), _prices(1, 1), trades);
        assertEq(settlement.filledAmount(_uid(a)), 10e18);
    }

    // ------------------------------ partial fills ------------------------------

    function test_settle_partialFillsAccumulate() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 10e18, 3, PARTIAL);
        for (uint256 i; i < 4; ++i) {
            ISettlement.Order memory b =
                _order(bob, address(tokenB), address(tokenA), 25e18, 25e18, 0, 10 + i, 0);
            _settle(
                _tokensAB(),
                _prices(1, 1),
                _two(_signedTrade(a, alicePk, 25e18), _signedTrade(b, bobPk, 25e18))
            );
            assertEq(settlement.filledAmount(_uid(a)), 25e18 * (i + 1));
        }
        assertEq(tokenB.balanceOf(alice), 100e18);
        assertEq(tokenA.balanceOf(alice), 1_000e18 - 110e18);
        (ISettlement.OrderStatus status, uint256 remaining) = settlement.orderStatus(a);
        assertEq(uint8(status), uint8(ISettlement.OrderStatus.Filled));
        assertEq(remaining, 0);
    }

    function test_settle_partialOverfillReverts() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 3, PARTIAL);
        ISettlement.Order memory b1 =
            _order(bob, address(tokenB), address(tokenA), 60e18, 60e18, 0, 1, 0);
        _settle(
            _tokensAB(),
            _prices(1, 1),
            _two(_signedTrade(a, alicePk, 60e18), _signedTrade(b1, bobPk, 60e18))
        );
        ISettlement.Order memory b2 =
            _order(bob, address(tokenB), address(tokenA), 41e18, 41e18, 0, 2, 0);
        TradeSpec[] memory trades =
            _two(_signedTrade(a, alicePk, 41e18), _signedTrade(b2, bobPk, 41e18));
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.OrderOverfilled.selector, _uid(a), 60e18, 41e18)
        );
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function test_settle_partialOrderTwiceInOneBatchOverfills() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 3, PARTIAL);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 200e18, 200e18, 0, 1, PARTIAL);
        TradeSpec[] memory trades = new TradeSpec[](3);
        trades[0] = _signedTrade(a, alicePk, 60e18);
        trades[1] = _signedTrade(a, alicePk, 60e18);
        trades[2] = _signedTrade(b, bobPk, 120e18);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.OrderOverfilled.selector, _uid(a), 60e18, 60e18)
        );
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function test_settle_fillOrKillPartialAmountReverts() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 3, 0);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.FillOrKillAmount.selector, _uid(a), 50e18, 100e18)
        );
        _settleAs(_tokensAB(), _prices(1, 1), _one(_signedTrade(a, alicePk, 50e18)));
    }

    function test_settle_sameFillOrKillOrderTwiceInOneBatch() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 3, 0);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 200e18, 200e18, 0, 1, 0);
        TradeSpec[] memory trades = new TradeSpec[](3);
        trades[0] = _signedTrade(a, alicePk, 100e18);
        trades[1] = _signedTrade(a, alicePk, 100e18);
        trades[2] = _signedTrade(b, bobPk, 200e18);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.NonceAlreadySpent.selector, _uid(a), alice, 3)
        );
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function test_settle_fillOrKillReplayInLaterBatch() public {
        (TradeSpec[] memory trades, ISettlement.Order memory a,) = _crossingPair(0, 0);
        _settle(_tokensAB(), _prices(1, 1), trades);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.NonceAlreadySpent.selector, _uid(a), alice, 1)
        );
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    // ------------------------------ order checks ------------------------------

    function test_settle_zeroSellAmount() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 0, 100e18, 0, 1, 0);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.ZeroAmount.selector, _uid(a)));
        _settleAs(_tokensAB(), _prices(1, 1), _one(_signedTrade(a, alicePk, 1)));
    }

    function test_settle_zeroBuyAmount() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 0, 0, 1, 0);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.ZeroAmount.selector, _uid(a)));
        _settleAs(_tokensAB(), _prices(1, 1), _one(_signedTrade(a, alicePk, 100e18)));
    }

    function test_settle_zeroExecutedAmount() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, PARTIAL);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.ZeroExecutedAmount.selector, _uid(a)));
        _settleAs(_tokensAB(), _prices(1, 1), _one(_signedTrade(a, alicePk, 0)));
    }

    /// @dev A fill-or-kill trade may encode its executed amount as 0 (cheaper calldata): the
    /// whole order fills, on the fast path, through the contract and paid directly, and its
    /// nonce is spent.
    function test_settle_fillOrKillZeroExecutedIsTheWholeOrder() public {
        _settleZeroExecutedPair(false);
    }

    function test_settle_fillOrKillZeroExecutedPaidDirectly() public {
        _settleZeroExecutedPair(true);
    }

    function _settleZeroExecutedPair(bool direct) internal {
        (TradeSpec[] memory trades, ISettlement.Order memory a, ISettlement.Order memory b) =
            _crossingPair(0, 0);
        trades[0].executedSellAmount = 0;
        trades[1].executedSellAmount = 0;
        if (direct) _pairDirect(trades, 0, 1);
        vm.expectEmit(address(settlement));
        emit ISettlement.Trade(
            _uid(a), alice, address(tokenA), address(tokenB), 100e18, 100e18, 1e18
        );
        vm.expectEmit(address(settlement));
        emit ISettlement.Trade(_uid(b), bob, address(tokenB), address(tokenA), 100e18, 100e18, 0);
        _settle(_tokensAB(), _prices(1, 1), trades);
        assertEq(tokenA.balanceOf(alice), 899e18);
        assertEq(tokenB.balanceOf(alice), 100e18);
        assertEq(tokenB.balanceOf(bob), 900e18);
        assertEq(tokenA.balanceOf(bob), 100e18);
        assertEq(settlement.balanceOf(fees, address(tokenA)), 1e18);
        // replay: the nonce bit is spent like for an explicit full amount
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.NonceAlreadySpent.selector, _uid(a), alice, 1)
        );
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    /// @dev The same on the general (Solidity) path: a pre-signed fill-or-kill order.
    function test_settle_fillOrKillZeroExecutedPreSigned() public {
        (TradeSpec[] memory trades, ISettlement.Order memory a,) = _crossingPair(0, 0);
        vm.prank(alice);
        settlement.setPreSignature(_uid(a), true);
        trades[0] = _trade(a, 0, 1, 0, SCHEME_PRESIGN, "");
        trades[1].executedSellAmount = 0;
        _pairDirect(trades, 0, 1);
        _settle(_tokensAB(), _prices(1, 1), trades);
        assertEq(tokenB.balanceOf(alice), 100e18);
        assertEq(tokenA.balanceOf(bob), 100e18);
        assertEq(settlement.balanceOf(fees, address(tokenA)), 1e18);
    }

    function test_settle_sameTokenIndex() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenA), 100e18, 100e18, 0, 1, 0);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.SameToken.selector, _uid(a), address(tokenA))
        );
        _settleAs(
            _tokensAB(),
            _prices(1, 1),
            _one(_trade(a, 0, 0, 100e18, SCHEME_ECDSA, _sign(alicePk, a)))
        );
    }

    function test_settle_duplicateTokenInList() public {
        address[] memory tokens = new address[](2);
        tokens[0] = address(tokenA);
        tokens[1] = address(tokenA);
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenA), 100e18, 100e18, 0, 1, 0);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.DuplicateToken.selector, address(tokenA))
        );
        _settleAs(
            tokens, _prices(1, 1), _one(_trade(a, 0, 1, 100e18, SCHEME_ECDSA, _sign(alicePk, a)))
        );
    }

    function test_settle_invalidFlags() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 8);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.InvalidFlags.selector, _uid(a), uint8(8))
        );
        _settleAs(_tokensAB(), _prices(1, 1), _one(_signedTrade(a, alicePk, 100e18)));
    }

    function test_settle_expired() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        TradeSpec[] memory trades = _one(_signedTrade(a, alicePk, 100e18));
        vm.warp(uint256(a.validTo) + 1);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.OrderExpired.selector, _uid(a), a.validTo)
        );
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function test_settle_validAtValidTo() public {
        (TradeSpec[] memory trades, ISettlement.Order memory a,) = _crossingPair(0, 0);
        vm.warp(a.validTo);
        _settle(_tokensAB(), _prices(1, 1), trades);
    }

    function test_settle_zeroClearingPrice() public {
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.ZeroClearingPrice.selector, address(tokenB))
        );
        _settleAs(_tokensAB(), _prices(1, 0), trades);
    }

    /// @dev The batch's per-token sums are checked: clearing prices that make two payouts of
    /// one token add up beyond 2**256 revert with the checked-arithmetic panic, never wrap.
    function test_settle_payoutSumOverflowPanics() public {
        ISettlement.Order memory a1 =
            _order(alice, address(tokenA), address(tokenB), 1, 1, 0, 1, PARTIAL);
        ISettlement.Order memory a2 =
            _order(alice, address(tokenA), address(tokenB), 1, 1, 0, 2, PARTIAL);
        TradeSpec[] memory trades = _two(_signedTrade(a1, alicePk, 1), _signedTrade(a2, alicePk, 1));
        // Each trade alone buys 2**255 B for 1 wei of A: within its limit and 256 bits.
        vm.prank(relayer);
        vm.expectRevert(stdError.arithmeticError);
        _settleAs(_tokensAB(), _prices(1 << 255, 1), trades);
        assertEq(tokenA.balanceOf(alice), 1_000e18);
        assertEq(settlement.filledAmount(_uid(a1)), 0);
    }

    // --------------------------- calldata encoding ---------------------------

    /// @dev `settle` reads trades from calldata in assembly: bits the ABI decoder would refuse
    /// (a set top byte of `packed`, a receiver above 160 bits) revert with empty data instead
    /// of being hashed or paid to a truncated address.
    function test_settle_dirtyTradeBitsRevert() public {
        address receiver = makeAddr("aliceReceiver");
        (TradeSpec[] memory specs,,) = _crossingPair(0, 0);
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 1e18, 1, 0);
        a.receiver = receiver;
        specs[0] = _signedTrade(a, alicePk, 100e18);
        (ISettlement.TradeData[] memory trades, bytes[] memory sigs) = _encode(specs);
        // The honest encoding settles (checked in a snapshot that is rolled back).
        uint256 snapshot = vm.snapshotState();
        _settle(_tokensAB(), _prices(1, 1), specs);
        assertEq(tokenB.balanceOf(receiver), 100e18);
        vm.revertToState(snapshot);

        trades[1].packed |= 1 << TRADE_UNUSED_SHIFT;
        vm.prank(relayer);
        (bool ok, bytes memory ret) = address(settlement)
            .call(abi.encodeCall(settlement.settle, (_tokensAB(), _prices(1, 1), trades, sigs)));
        assertFalse(ok);
        assertEq(ret.length, 0);
        trades[1].packed &= ~(uint256(1) << TRADE_UNUSED_SHIFT);

        bytes memory data =
            abi.encodeCall(settlement.settle, (_tokensAB(), _prices(1, 1), trades, sigs));
        _dirtyWord(data, uint256(uint160(receiver)), 1 << 160);
        vm.prank(relayer);
        (ok, ret) = address(settlement).call(data);
        assertFalse(ok);
        assertEq(ret.length, 0);
        assertEq(tokenB.balanceOf(receiver), 0);
        assertEq(tokenA.balanceOf(alice), 1_000e18);
    }

    /// @dev The order hash for `orderUid` and `cancelOrder` refuses dirty narrow fields, so
    /// one order cannot have two uids.
    function test_orderUid_dirtyOrderBitsRevert() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        bytes memory uidCall = abi.encodeCall(settlement.orderUid, (a));
        bytes memory cancelCall = abi.encodeCall(settlement.cancelOrder, (a));
        (bool ok, bytes memory ret) = address(settlement).staticcall(uidCall);
        assertTrue(ok);
        assertEq(abi.decode(ret, (bytes32)), _uid(a));
        // `validTo` with a bit above its 32; the owner alone, and the receiver alone, with a bit
        // above their 160 (each narrow field is checked on its own, not only together).
        _dirtyWord(uidCall, a.validTo, 1 << 32);
        (ok, ret) = address(settlement).staticcall(uidCall);
        assertFalse(ok);
        assertEq(ret.length, 0);
        bytes memory ownerDirty = abi.encodeCall(settlement.orderUid, (a));
        _dirtyWord(ownerDirty, uint256(uint160(alice)), 1 << 200);
        (ok, ret) = address(settlement).staticcall(ownerDirty);
        assertFalse(ok);
        assertEq(ret.length, 0);
        a.receiver = bob;
        bytes memory receiverDirty = abi.encodeCall(settlement.orderUid, (a));
        _dirtyWord(receiverDirty, uint256(uint160(bob)), 1 << 200);
        (ok, ret) = address(settlement).staticcall(receiverDirty);
        assertFalse(ok);
        assertEq(ret.length, 0);
        a.receiver = address(0);
        _dirtyWord(cancelCall, uint256(uint160(alice)), 1 << 200);
        vm.prank(alice);
        (ok, ret) = address(settlement).call(cancelCall);
        assertFalse(ok);
        assertEq(ret.length, 0);
        assertEq(settlement.filledAmount(_uid(a)), 0);
    }

    /// @dev ORs `bits` into the first ABI word of `data` (after the selector) equal to `value`.
    function _dirtyWord(bytes memory data, uint256 value, uint256 bits) internal pure {
        for (uint256 at = 4; at + 32 <= data.length; at += 32) {
            uint256 w;
            assembly ("memory-safe") {
                w := mload(add(add(data, 0x20), at))
            }
            if (w == value) {
                assembly ("memory-safe") {
                    mstore(add(add(data, 0x20), at), or(w, bits))
                }
                return;
            }
        }
        revert("word not found");
    }

    function test_settle_lengthMismatch() public {
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.LengthMismatch.selector, 2, 1));
        _settleAs(_tokensAB(), new uint256[](1), trades);
    }

    function test_settle_tokenIndexOutOfRange() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.TokenIndexOutOfRange.selector, 2));
        _settleAs(_tokensAB(), _prices(1, 1), _one(_trade(a, 0, 2, 100e18, SCHEME_ECDSA, "")));
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.TokenIndexOutOfRange.selector, 2));
        _settleAs(_tokensAB(), _prices(1, 1), _one(_trade(a, 2, 1, 100e18, SCHEME_ECDSA, "")));
    }

    /// A batch that names no token: a trade's token index is out of range, and the batch's
    /// accounting (sized by the token count) must not overlap its header.
    function test_settle_noTokensRefusesATrade() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.TokenIndexOutOfRange.selector, 0));
        _settleAs(new address[](0), new uint256[](0), _one(_signedTrade(a, alicePk, 100e18)));
        assertEq(settlement.filledAmount(settlement.orderUid(a)), 0);
    }

    /// An empty batch (no token, no trade) settles nothing and moves nothing.
    function test_settle_emptyBatchMovesNothing() public {
        uint256 a = tokenA.balanceOf(address(settlement));
        vm.recordLogs();
        vm.prank(relayer);
        _settleAs(new address[](0), new uint256[](0), new TradeSpec[](0));
        assertEq(vm.getRecordedLogs().length, 1, "only the Settlement event");
        assertEq(tokenA.balanceOf(address(settlement)), a);
    }

    function test_settle_insufficientInternalBalance() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, SELL_INTERNAL);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.InsufficientInternalBalance.selector, alice, address(tokenA), 0, 100e18
            )
        );
        _settleAs(_tokensAB(), _prices(1, 1), _one(_signedTrade(a, alicePk, 100e18)));
    }

    function test_settle_notConservedWithoutCounterparty() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.TokenNotConserved.selector, address(tokenB), 0, 100e18
            )
        );
        _settleAs(_tokensAB(), _prices(1, 1), _one(_signedTrade(a, alicePk, 100e18)));
    }

    function test_settle_cannotSpendOthersInternalBalance() public {
        // Fee recipient's surplus sits in the contract; a lone order cannot be paid from it.
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        _settle(_tokensAB(), _prices(1, 1), trades);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 1e18, 1e18, 0, 2, 0);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.TokenNotConserved.selector, address(tokenA), 0, 1e18)
        );
        _settleAs(_tokensAB(), _prices(1, 1), _one(_signedTrade(b, bobPk, 1e18)));
    }

    // ------------------------------ access ------------------------------

    function test_settle_notAllowListed() public {
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotRelayer.selector, alice));
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function test_settle_relayerRevoked() public {
        vm.prank(admin);
        settlement.setRelayer(relayer, false);
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotRelayer.selector, relayer));
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function test_settle_paused() public {
        vm.prank(guardianAccount);
        settlement.pause();
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        vm.prank(relayer);
        vm.expectRevert(ISettlement.SettlementPaused.selector);
        _settleAs(_tokensAB(), _prices(1, 1), trades);
        vm.prank(admin);
        settlement.unpause();
        _settle(_tokensAB(), _prices(1, 1), trades);
    }

    // ------------------------------ gas ------------------------------

    /// @dev Prints execution gas of one crossing pair (wallet and internal) for the report.
    function test_settle_gasOnePair() public {
        // Warm up balances so the measurement resembles steady state.
        tokenB.mint(alice, 1);
        tokenA.mint(bob, 1);
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        vm.prank(relayer);
        uint256 g = gasleft();
        _settleAs(_tokensAB(), _prices(1, 1), trades);
        emit log_named_uint("settle 1 pair from wallets (execution gas)", g - gasleft());
    }

    // ---------------------- direct (wallet-to-wallet) payment ----------------------

    function test_settle_directPairPaysWalletToWallet() public {
        _settleWalletPair(true);
    }

    function test_settle_directOneWayOnly() public {
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        trades[1].payee = 1; // Bob pays Alice directly; Alice's A goes through the contract
        _settle(_tokensAB(), _prices(1, 1), trades);
        assertEq(tokenB.balanceOf(alice), 100e18);
        assertEq(tokenA.balanceOf(bob), 100e18);
        assertEq(tokenA.balanceOf(address(settlement)), 1e18);
    }

    function test_settle_directToAReceiver() public {
        (TradeSpec[] memory trades, ISettlement.Order memory a,) = _crossingPair(0, 0);
        a.receiver = address(0xCAFE);
        trades[0] = _signedTrade(a, alicePk, 100e18);
        _pairDirect(trades, 0, 1);
        _settle(_tokensAB(), _prices(1, 1), trades);
        assertEq(tokenB.balanceOf(address(0xCAFE)), 100e18);
        assertEq(tokenB.balanceOf(alice), 0);
    }

    function _expectDirectRevert(TradeSpec[] memory trades, uint256 payer, uint256 payee) internal {
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.InvalidDirectPayment.selector, payer, payee)
        );
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function test_settle_directAmountMismatchRejected() public {
        // At 3:2, Alice's 100 A buy 150 B, but Bob sells only 100 B: he cannot pay her directly.
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 100e18, 60e18, 0, 1, 0);
        ISettlement.Order memory c =
            _order(bob, address(tokenB), address(tokenA), 50e18, 30e18, 0, 2, 0);
        TradeSpec[] memory trades = new TradeSpec[](3);
        trades[0] = _signedTrade(a, alicePk, 100e18);
        trades[1] = _signedTrade(b, bobPk, 100e18);
        trades[2] = _signedTrade(c, bobPk, 50e18);
        trades[1].payee = 1;
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.InvalidDirectPayment.selector, 1, 0));
        _settleAs(_tokensAB(), _prices(3, 2), trades);
        trades[1].payee = 0;
        _settle(_tokensAB(), _prices(3, 2), trades); // fine through the contract
        assertEq(tokenB.balanceOf(alice), 150e18);
    }

    function test_settle_directPayeePaidTwiceRejected() public {
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        TradeSpec[] memory three = new TradeSpec[](3);
        three[0] = trades[0];
        three[1] = trades[1];
        ISettlement.Order memory c = _order(bob, address(tokenB), address(tokenA), 1e18, 1, 0, 2, 0);
        three[2] = _signedTrade(c, bobPk, 1e18);
        three[1].payee = 1;
        three[2].payee = 1;
        _expectDirectRevert(three, 2, 0);
    }

    function test_settle_directPayeeOutOfRangeRejected() public {
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        trades[1].payee = 3;
        _expectDirectRevert(trades, 1, 2);
    }

    function test_settle_directFromInternalBalanceRejected() public {
        vm.prank(bob);
        settlement.deposit(address(tokenB), 200e18);
        (TradeSpec[] memory trades,,) = _crossingPair(0, SELL_INTERNAL);
        trades[1].payee = 1;
        _expectDirectRevert(trades, 1, 0);
    }

    function test_settle_directToInternalBalanceRejected() public {
        (TradeSpec[] memory trades,,) = _crossingPair(BUY_INTERNAL, 0);
        trades[1].payee = 1;
        _expectDirectRevert(trades, 1, 0);
    }

    function test_settle_directWrongTokenRejected() public {
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        trades[0].payee = 1; // Alice would pay herself... her own sell token: not what she buys
        _expectDirectRevert(trades, 0, 0);
    }

    function test_settle_directToTheSameWalletRejected() public {
        // Bob's order pays its proceeds to Bob's counterparty, which is Bob himself.
        ISettlement.Order memory a =
            _order(bob, address(tokenA), address(tokenB), 100e18, 100e18, 0, 5, 0);
        _fund(bob, address(tokenA), 100e18);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 100e18, 100e18, 0, 6, 0);
        TradeSpec[] memory trades =
            _two(_signedTrade(a, bobPk, 100e18), _signedTrade(b, bobPk, 100e18));
        trades[1].payee = 1;
        _expectDirectRevert(trades, 1, 0);
    }

    /// @dev A pair crossing at random prices, paid directly both ways where the amounts match
    /// exactly (else through the contract): same balances, limits and conservation.
    function testFuzz_settle_directPairConserves(
        uint256 priceA,
        uint256 priceB,
        uint256 sellA,
        uint256 fee
    ) public {
        priceA = bound(priceA, 1, 1e6);
        priceB = bound(priceB, 1, 1e6);
        sellA = bound(sellA, 1, 500e18);
        fee = bound(fee, 0, sellA / 100);
        uint256 boughtA = sellA * priceA / priceB;
        vm.assume(boughtA > 0 && boughtA <= 1_000e18);
        uint256 boughtB = boughtA * priceB / priceA; // <= sellA: the batch keeps the dust
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), sellA, boughtA, fee, 9, 0);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), boughtA, 1, 0, 9, 0);
        vm.assume(boughtB > 0);
        TradeSpec[] memory trades =
            _two(_signedTrade(a, alicePk, sellA), _signedTrade(b, bobPk, boughtA));
        trades[1].payee = 1; // Bob's B pays Alice: always exact by construction
        if (boughtB == sellA) trades[0].payee = 2;
        _settle(_tokensAB(), _prices(priceA, priceB), trades);
        assertEq(tokenB.balanceOf(alice), boughtA);
        assertEq(tokenA.balanceOf(bob), boughtB);
        assertEq(tokenA.balanceOf(alice), 1_000e18 - sellA - fee);
        assertEq(tokenB.balanceOf(bob), 1_000e18 - boughtA);
        // the contract holds exactly the fee recipient's credit
        assertEq(tokenA.balanceOf(address(settlement)), settlement.balanceOf(fees, address(tokenA)));
        assertEq(tokenB.balanceOf(address(settlement)), 0);
        assertEq(settlement.balanceOf(fees, address(tokenA)), sellA + fee - boughtB);
    }
}
