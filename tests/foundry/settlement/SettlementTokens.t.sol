// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {FeeOnTransferToken} from "../../../contracts/test/FeeOnTransferToken.sol";
import {NoReturnToken} from "../../../contracts/test/NoReturnToken.sol";
import {ReentrantToken} from "../../../contracts/test/ReentrantToken.sol";
import {ReturnFalseToken} from "../../../contracts/test/ReturnFalseToken.sol";
import {SettlementBase} from "./SettlementBase.sol";

/// @notice Weird ERC-20s: fee-on-transfer, no return value, false return, reentrant hooks.
contract SettlementTokensTest is SettlementBase {
    /// @dev tokens = [weird, B]; Alice sells 100 weird for 100 B, Bob the reverse.
    function _pairWith(address weird)
        internal
        view
        returns (address[] memory tokens, TradeSpec[] memory trades)
    {
        tokens = new address[](2);
        tokens[0] = weird;
        tokens[1] = address(tokenB);
        ISettlement.Order memory a = _order(alice, weird, address(tokenB), 100e6, 100e6, 0, 1, 0);
        ISettlement.Order memory b = _order(bob, address(tokenB), weird, 100e6, 100e6, 0, 1, 0);
        trades = _two(
            _trade(a, 0, 1, 100e6, SCHEME_ECDSA, _sign(alicePk, a)),
            _trade(b, 1, 0, 100e6, SCHEME_ECDSA, _sign(bobPk, b))
        );
    }

    function test_settle_feeOnTransferRejected() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        _fund(alice, address(fot), 1_000e6);
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(fot));
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.FeeOnTransferToken.selector, address(fot))
        );
        _settleAs(tokens, _prices(1, 1), trades);
    }

    /// @dev No wallet pull measures the token when both sides pay each other directly: the
    /// first direct transfer of each token is measured at the receiver instead.
    function test_settle_feeOnTransferRejectedWhenPaidDirectly() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        _fund(alice, address(fot), 1_000e6);
        _fund(bob, address(tokenB), 1_000e6);
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(fot));
        _pairDirect(trades, 0, 1);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.FeeOnTransferToken.selector, address(fot))
        );
        _settleAs(tokens, _prices(1, 1), trades);
    }

    function test_deposit_feeOnTransferRejected() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        _fund(alice, address(fot), 1_000e6);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.FeeOnTransferToken.selector, address(fot))
        );
        settlement.deposit(address(fot), 100e6);
    }

    function test_settle_noReturnTokenWorks() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(alice, 1_000e6);
        vm.prank(alice);
        usdt.approve(address(settlement), type(uint256).max);
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(usdt));
        _settle(tokens, _prices(1, 1), trades);
        assertEq(usdt.balanceOf(bob), 100e6);
        assertEq(tokenB.balanceOf(alice), 100e6);
    }

    function test_settle_noReturnTokenFailureReverts() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(alice, 1_000e6); // no approval
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(usdt));
        vm.prank(relayer);
        vm.expectRevert(SafeTransferLib.TransferFromFailed.selector);
        _settleAs(tokens, _prices(1, 1), trades);
    }

    function test_settle_returnFalseTokenReverts() public {
        ReturnFalseToken rft = new ReturnFalseToken();
        rft.mint(alice, 1_000e6); // no approval: transferFrom returns false
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(rft));
        vm.prank(relayer);
        vm.expectRevert(SafeTransferLib.TransferFromFailed.selector);
        _settleAs(tokens, _prices(1, 1), trades);
    }

    function test_deposit_returnFalseTokenReverts() public {
        ReturnFalseToken rft = new ReturnFalseToken();
        vm.prank(alice);
        vm.expectRevert(SafeTransferLib.TransferFromFailed.selector);
        settlement.deposit(address(rft), 1);
    }

    function test_settle_codelessTokenReverts() public {
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(0xdead));
        vm.prank(relayer);
        vm.expectRevert(SafeTransferLib.TransferFromFailed.selector);
        _settleAs(tokens, _prices(1, 1), trades);
    }

    function test_settle_reentrancyThroughTokenBlocked() public {
        ReentrantToken re = new ReentrantToken();
        _fund(alice, address(re), 1_000e6);
        // Alice keeps an internal balance the attacker tries to pull out mid-settlement.
        vm.prank(alice);
        settlement.deposit(address(re), 50e6);
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(re));
        // Reentry as alice into withdraw; and as the relayer (the token is the caller) into settle.
        re.arm(
            address(settlement),
            abi.encodeCall(settlement.withdraw, (address(re), 50e6, address(re)))
        );
        _settle(tokens, _prices(1, 1), trades);
        assertTrue(re.attempted());
        assertFalse(re.reentrySucceeded());
        assertEq(
            re.reentryReturnData(),
            abi.encodeWithSelector(ReentrancyGuardTransient.Reentrancy.selector)
        );
        assertEq(settlement.balanceOf(alice, address(re)), 50e6);
    }

    function test_settle_reentryIntoSettleBlocked() public {
        ReentrantToken re = new ReentrantToken();
        _fund(alice, address(re), 1_000e6);
        vm.prank(admin);
        settlement.setRelayer(address(re), true); // worst case: the token is itself a relayer
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(re));
        re.arm(
            address(settlement),
            abi.encodeCall(
                settlement.settle, (tokens, _prices(1, 1), _trades(trades), _sigs(trades))
            )
        );
        _settle(tokens, _prices(1, 1), trades);
        assertTrue(re.attempted());
        assertFalse(re.reentrySucceeded());
        assertEq(
            re.reentryReturnData(),
            abi.encodeWithSelector(ReentrancyGuardTransient.Reentrancy.selector)
        );
    }

    function test_deposit_reentryBlocked() public {
        ReentrantToken re = new ReentrantToken();
        _fund(alice, address(re), 1_000e6);
        re.arm(address(settlement), abi.encodeCall(settlement.deposit, (address(re), 1)));
        vm.prank(alice);
        settlement.deposit(address(re), 10e6);
        assertFalse(re.reentrySucceeded());
        assertEq(
            re.reentryReturnData(),
            abi.encodeWithSelector(ReentrancyGuardTransient.Reentrancy.selector)
        );
        assertEq(settlement.balanceOf(alice, address(re)), 10e6);
    }
}
