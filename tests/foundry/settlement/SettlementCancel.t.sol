// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Settlement} from "../../../contracts/Settlement.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {SettlementBase} from "./SettlementBase.sol";

/// @notice Cancellation paths, order status, internal balances, admin and pause.
contract SettlementCancelTest is SettlementBase {
    function _expectSettleRevert(TradeSpec[] memory trades, bytes memory err) internal {
        vm.prank(relayer);
        vm.expectRevert(err);
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function _status(ISettlement.Order memory o)
        internal
        view
        returns (ISettlement.OrderStatus s, uint256 r)
    {
        (s, r) = settlement.orderStatus(o);
    }

    // ------------------------------ cancelOrder ------------------------------

    function test_cancelOrder_fillOrKillSpendsNonce() public {
        (TradeSpec[] memory trades, ISettlement.Order memory a,) = _crossingPair(0, 0);
        vm.expectEmit(address(settlement));
        emit ISettlement.OrderCancelled(_uid(a), alice);
        vm.prank(alice);
        settlement.cancelOrder(a);
        assertEq(settlement.nonceBitmap(alice, 0), 1 << 1);
        (ISettlement.OrderStatus s,) = _status(a);
        assertEq(uint8(s), uint8(ISettlement.OrderStatus.NonceSpent));
        _expectSettleRevert(
            trades,
            abi.encodeWithSelector(ISettlement.NonceAlreadySpent.selector, _uid(a), alice, 1)
        );
    }

    function test_cancelOrder_partialSetsFilledToMax() public {
        (TradeSpec[] memory trades, ISettlement.Order memory a,) = _crossingPair(PARTIAL, 0);
        vm.prank(alice);
        settlement.cancelOrder(a);
        assertEq(settlement.filledAmount(_uid(a)), type(uint256).max);
        (ISettlement.OrderStatus s, uint256 r) = _status(a);
        assertEq(uint8(s), uint8(ISettlement.OrderStatus.Cancelled));
        assertEq(r, 0);
        _expectSettleRevert(
            trades, abi.encodeWithSelector(ISettlement.CancelledOrder.selector, _uid(a))
        );
    }

    function test_cancelOrder_partiallyFilledThenCancelled() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 3, PARTIAL);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 40e18, 40e18, 0, 1, 0);
        _settle(
            _tokensAB(),
            _prices(1, 1),
            _two(_signedTrade(a, alicePk, 40e18), _signedTrade(b, bobPk, 40e18))
        );
        (ISettlement.OrderStatus s, uint256 r) = _status(a);
        assertEq(uint8(s), uint8(ISettlement.OrderStatus.Open));
        assertEq(r, 60e18);
        vm.prank(alice);
        settlement.cancelOrder(a);
        ISettlement.Order memory b2 =
            _order(bob, address(tokenB), address(tokenA), 10e18, 10e18, 0, 2, 0);
        _expectSettleRevert(
            _two(_signedTrade(a, alicePk, 10e18), _signedTrade(b2, bobPk, 10e18)),
            abi.encodeWithSelector(ISettlement.CancelledOrder.selector, _uid(a))
        );
    }

    function test_cancelOrder_notOwner() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotOrderOwner.selector, bob, alice));
        settlement.cancelOrder(a);
    }

    function test_cancelOrder_worksWhilePaused() public {
        vm.prank(admin);
        settlement.pause();
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        vm.prank(alice);
        settlement.cancelOrder(a);
        (ISettlement.OrderStatus s,) = _status(a);
        assertEq(uint8(s), uint8(ISettlement.OrderStatus.NonceSpent));
    }

    // ------------------------------ invalidateNonces ------------------------------

    function test_invalidateNonces_cancelsFillOrKill() public {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 256 + 5, 0);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 100e18, 100e18, 0, 1, 0);
        vm.expectEmit(address(settlement));
        emit ISettlement.NonceInvalidated(alice, 1, 1 << 5);
        vm.prank(alice);
        settlement.invalidateNonces(1, 1 << 5);
        _expectSettleRevert(
            _two(_signedTrade(a, alicePk, 100e18), _signedTrade(b, bobPk, 100e18)),
            abi.encodeWithSelector(ISettlement.NonceAlreadySpent.selector, _uid(a), alice, 256 + 5)
        );
    }

    // ------------------------------ setNonceFloor ------------------------------

    function test_setNonceFloor_cancelsLowerNonces() public {
        (TradeSpec[] memory trades, ISettlement.Order memory a,) = _crossingPair(PARTIAL, 0);
        vm.expectEmit(address(settlement));
        emit ISettlement.NonceFloorRaised(alice, 2);
        vm.prank(alice);
        settlement.setNonceFloor(2);
        (ISettlement.OrderStatus s,) = _status(a);
        assertEq(uint8(s), uint8(ISettlement.OrderStatus.Cancelled));
        _expectSettleRevert(
            trades, abi.encodeWithSelector(ISettlement.NonceBelowFloor.selector, _uid(a), 1, 2)
        );
    }

    function test_setNonceFloor_orderAtFloorStillFills() public {
        vm.prank(alice);
        settlement.setNonceFloor(1);
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        _settle(_tokensAB(), _prices(1, 1), trades);
    }

    function test_setNonceFloor_onlyRaises() public {
        vm.startPrank(alice);
        settlement.setNonceFloor(10);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NonceFloorNotRaised.selector, 10, 10));
        settlement.setNonceFloor(10);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NonceFloorNotRaised.selector, 10, 3));
        settlement.setNonceFloor(3);
        vm.stopPrank();
    }

    // ------------------------------ orderStatus ------------------------------

    function test_orderStatus_eachStatus() public {
        ISettlement.Order[] memory orders = new ISettlement.Order[](4);
        orders[0] = _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        orders[1] = _order(alice, address(tokenA), address(tokenA), 100e18, 100e18, 0, 1, 0);
        orders[2] = _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 16);
        orders[3] = _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 2, PARTIAL);
        orders[3].validTo = uint32(block.timestamp - 1);
        (ISettlement.OrderStatus[] memory s, uint256[] memory r) = settlement.orderStatuses(orders);
        assertEq(uint8(s[0]), uint8(ISettlement.OrderStatus.Open));
        assertEq(r[0], 100e18);
        assertEq(uint8(s[1]), uint8(ISettlement.OrderStatus.Invalid));
        assertEq(uint8(s[2]), uint8(ISettlement.OrderStatus.Invalid));
        assertEq(uint8(s[3]), uint8(ISettlement.OrderStatus.Expired));
        assertEq(r[3], 0);
    }

    // ------------------------------ internal balances ------------------------------

    function test_deposit_creditsAndWithdrawReturns() public {
        vm.expectEmit(address(settlement));
        emit ISettlement.Deposited(alice, address(tokenA), 10e18);
        vm.prank(alice);
        settlement.deposit(address(tokenA), 10e18);
        assertEq(settlement.balanceOf(alice, address(tokenA)), 10e18);
        address to = makeAddr("to");
        vm.expectEmit(address(settlement));
        emit ISettlement.Withdrawn(alice, address(tokenA), to, 4e18);
        vm.prank(alice);
        settlement.withdraw(address(tokenA), 4e18, to);
        assertEq(settlement.balanceOf(alice, address(tokenA)), 6e18);
        assertEq(tokenA.balanceOf(to), 4e18);
    }

    function test_withdraw_insufficient() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.InsufficientInternalBalance.selector, alice, address(tokenA), 0, 1
            )
        );
        settlement.withdraw(address(tokenA), 1, alice);
    }

    function test_withdraw_zeroRecipient() public {
        vm.prank(alice);
        vm.expectRevert(ISettlement.ZeroAddress.selector);
        settlement.withdraw(address(tokenA), 0, address(0));
    }

    function test_withdraw_worksWhilePaused() public {
        vm.prank(alice);
        settlement.deposit(address(tokenA), 10e18);
        vm.prank(guardianAccount);
        settlement.pause();
        vm.prank(alice);
        settlement.withdraw(address(tokenA), 10e18, alice);
        assertEq(tokenA.balanceOf(alice), 1_000e18);
        vm.prank(bob);
        settlement.deposit(address(tokenB), 1e18); // deposits too
    }

    function test_withdraw_feeRecipientCollects() public {
        (TradeSpec[] memory trades,,) = _crossingPair(0, 0);
        _settle(_tokensAB(), _prices(1, 1), trades);
        vm.prank(fees);
        settlement.withdraw(address(tokenA), 1e18, fees);
        assertEq(tokenA.balanceOf(fees), 1e18);
        assertEq(tokenA.balanceOf(address(settlement)), 0);
    }

    // ------------------------------ admin ------------------------------

    function test_setRelayer_onlyOwner() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        settlement.setRelayer(alice, true);
        vm.expectEmit(address(settlement));
        emit ISettlement.RelayerSet(alice, true);
        vm.prank(admin);
        settlement.setRelayer(alice, true);
        assertTrue(settlement.isRelayer(alice));
    }

    function test_pause_onlyGuardianOrOwner() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotGuardian.selector, alice));
        settlement.pause();
        vm.prank(guardianAccount);
        settlement.pause();
        assertTrue(settlement.paused());
    }

    function test_unpause_onlyOwner() public {
        vm.prank(guardianAccount);
        settlement.pause();
        vm.prank(guardianAccount);
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardianAccount)
        );
        settlement.unpause();
        vm.prank(admin);
        settlement.unpause();
        assertFalse(settlement.paused());
    }

    function test_constructor_rejectsZeroFeeRecipient() public {
        vm.expectRevert(ISettlement.ZeroAddress.selector);
        new Settlement(admin, address(0));
    }

    function test_setFeeRecipient_rejectsZero() public {
        vm.prank(admin);
        vm.expectRevert(ISettlement.ZeroAddress.selector);
        settlement.setFeeRecipient(address(0));
        address next = makeAddr("next");
        vm.prank(admin);
        settlement.setFeeRecipient(next);
        assertEq(settlement.feeRecipient(), next);
    }

    function test_transferOwnership_twoStep() public {
        vm.prank(admin);
        settlement.transferOwnership(alice);
        assertEq(settlement.owner(), admin);
        vm.prank(alice);
        settlement.acceptOwnership();
        assertEq(settlement.owner(), alice);
    }
}
