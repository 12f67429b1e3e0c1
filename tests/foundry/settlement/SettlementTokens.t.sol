// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {FeeOnTransferToken} from "../../../contracts/test/FeeOnTransferToken.sol";
import {NoReturnToken} from "../../../contracts/test/NoReturnToken.sol";
import {ReentrantToken} from "../../../contracts/test/ReentrantToken.sol";
import {ReturnFalseToken} from "../../../contracts/test/ReturnFalseToken.sol";
import {RebasingToken} from "../../../contracts/test/RebasingToken.sol";
import {SenderFeeToken} from "../../../contracts/test/SenderFeeToken.sol";
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

    /// @dev The direct payment's own `transferFrom` (owner to receiver, no pull into the
    /// contract) accepts a token without a return value and refuses a false return, a revert
    /// and a token without code, as the wallet pulls do.
    function test_settle_noReturnTokenWorksWhenPaidDirectly() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(alice, 1_000e6);
        vm.prank(alice);
        usdt.approve(address(settlement), type(uint256).max);
        (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(address(usdt));
        _pairDirect(trades, 0, 1);
        _settle(tokens, _prices(1, 1), trades);
        assertEq(usdt.balanceOf(bob), 100e6);
        assertEq(usdt.balanceOf(alice), 900e6);
        assertEq(tokenB.balanceOf(alice), 100e6);
        assertEq(usdt.balanceOf(address(settlement)), 0);
    }

    function test_settle_failedTransferFromRevertsWhenPaidDirectly() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(alice, 1_000e6); // no approval: transferFrom reverts
        ReturnFalseToken rft = new ReturnFalseToken();
        rft.mint(alice, 1_000e6); // no approval: transferFrom returns false
        address[3] memory weird = [address(usdt), address(rft), address(0xdead)];
        for (uint256 i; i < weird.length; ++i) {
            (address[] memory tokens, TradeSpec[] memory trades) = _pairWith(weird[i]);
            _pairDirect(trades, 0, 1);
            vm.prank(relayer);
            vm.expectRevert(SafeTransferLib.TransferFromFailed.selector);
            _settleAs(tokens, _prices(1, 1), trades);
        }
        assertEq(tokenB.balanceOf(bob), 1_000e18);
        assertEq(usdt.balanceOf(alice), 1_000e6);
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

    // ------------------- internal balances: sender fees, rebases -------------------

    /// @dev Every internal balance of `token` is backed by what the contract holds.
    function _assertSolvent(address token) internal view {
        uint256 owed = settlement.balanceOf(alice, token) + settlement.balanceOf(bob, token);
        assertGe(SafeTransferLib.balanceOf(token, address(settlement)), owed, "insolvent");
    }

    function _depositBoth(address token, uint256 amount) internal {
        address[2] memory people = [alice, bob];
        for (uint256 i; i < 2; ++i) {
            vm.startPrank(people[i]);
            SafeTransferLib.safeApprove(token, address(settlement), type(uint256).max);
            settlement.deposit(token, amount);
            vm.stopPrank();
        }
    }

    function test_withdraw_senderFeeTokenChargesTheWithdrawer() public {
        SenderFeeToken sfee = new SenderFeeToken();
        sfee.mint(alice, 1_000e18);
        sfee.mint(bob, 1_000e18);
        _depositBoth(address(sfee), 100e18);
        _assertSolvent(address(sfee));
        // 50 sent cost the contract 50.5: the withdrawer pays the 0.5, not Bob's balance
        vm.expectEmit(address(settlement));
        emit ISettlement.WithdrawalFeeCharged(alice, address(sfee), 0.5e18);
        vm.prank(alice);
        settlement.withdraw(address(sfee), 50e18, _receiver());
        assertEq(sfee.balanceOf(_receiver()), 50e18);
        assertEq(settlement.balanceOf(alice, address(sfee)), 49.5e18);
        _assertSolvent(address(sfee));
        // Bob can take out all his balance covers, fee included, and no more
        vm.prank(bob);
        settlement.withdraw(address(sfee), 99e18, bob);
        assertEq(settlement.balanceOf(bob, address(sfee)), 0.01e18);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.InsufficientInternalBalance.selector, bob, address(sfee), 0, 1e14
            )
        );
        settlement.withdraw(address(sfee), 0.01e18, bob);
        vm.prank(alice);
        settlement.withdraw(address(sfee), 49e18, alice);
        _assertSolvent(address(sfee));
    }

    function _receiver() internal pure returns (address) {
        return address(0xCA201);
    }

    function test_deposit_refusedRebasingTokenReverts_positiveRebase() public {
        RebasingToken reb = new RebasingToken();
        reb.mint(alice, 1_000e18);
        reb.mint(bob, 1_000e18);
        _depositBoth(address(reb), 100e18);
        // +10%: the contract holds 220 against 200 owed; the 20 belong to nobody
        reb.rebase(1.1e18);
        assertEq(reb.balanceOf(address(settlement)), 220e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.InternalBalanceRefusedSet(address(reb), true);
        vm.prank(admin);
        settlement.setInternalBalanceRefused(address(reb), true);
        assertTrue(settlement.internalBalanceRefused(address(reb)));
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.TokenRefusedForInternalBalance.selector, address(reb)
            )
        );
        settlement.deposit(address(reb), 1e18);
        // what is already in can always leave; the token's rounding (its transfer moves one
        // share more than the amount) is measured and paid by the withdrawer too
        vm.prank(alice);
        settlement.withdraw(address(reb), 50e18, alice);
        assertApproxEqAbs(settlement.balanceOf(alice, address(reb)), 50e18, 1);
    }

    function test_deposit_refusedRebasingTokenReverts_negativeRebase() public {
        RebasingToken reb = new RebasingToken();
        reb.mint(alice, 1_000e18);
        reb.mint(bob, 1_000e18);
        _depositBoth(address(reb), 100e18);
        // -10%: the contract holds 180 against 200 owed, which no measurement at the boundary
        // sees: the token is refused for internal balances instead
        reb.rebase(0.9e18);
        assertLt(reb.balanceOf(address(settlement)), 200e18);
        vm.prank(admin);
        settlement.setInternalBalanceRefused(address(reb), true);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.TokenRefusedForInternalBalance.selector, address(reb)
            )
        );
        settlement.deposit(address(reb), 1e18);
        // accepted again once the owner says so
        vm.prank(admin);
        settlement.setInternalBalanceRefused(address(reb), false);
        vm.prank(bob);
        settlement.deposit(address(reb), 1e18);
        assertEq(settlement.balanceOf(bob, address(reb)), 101e18);
    }

    function test_setInternalBalanceRefused_onlyOwner() public {
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", relayer));
        vm.prank(relayer);
        settlement.setInternalBalanceRefused(address(tokenA), true);
        assertFalse(settlement.internalBalanceRefused(address(tokenA)));
    }
}
