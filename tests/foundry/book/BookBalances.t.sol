// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

import {OrderBook} from "../../../contracts/book/OrderBook.sol";
import {IBookFactory} from "../../../contracts/interfaces/IBookFactory.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {FeeOnTransferToken} from "../../../contracts/test/FeeOnTransferToken.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {NoReturnToken} from "../../../contracts/test/NoReturnToken.sol";
import {ReentrantToken} from "../../../contracts/test/ReentrantToken.sol";
import {RebasingToken} from "../../../contracts/test/RebasingToken.sol";
import {SenderFeeToken} from "../../../contracts/test/SenderFeeToken.sol";
import {OrderId} from "../../../contracts/types/BookIds.sol";
import {BookBase} from "./BookBase.sol";

/// @notice Maker balances: deposit, withdraw, place from / cancel to / claim to the balance,
/// and the attacks on them (over-withdrawal, someone else's balance, token callbacks, weird
/// tokens, paying twice, a balance short by one unit).
contract BookBalancesTest is BookBase {
    // ------------------------------- helpers ------------------------------

    function _deposit(address who, address token, uint256 amount) internal {
        vm.prank(who);
        book.deposit(token, amount);
    }

    function _placeB(address who, IOrderBook.Side side, uint16 tick, uint32 lots)
        internal
        returns (OrderId id)
    {
        vm.prank(who);
        (id,) = book.placeFromBalance(side, tick, lots, GTC, 0, STEPS);
    }

    function _ids(OrderId a) internal pure returns (OrderId[] memory ids) {
        ids = new OrderId[](1);
        ids[0] = a;
    }

    function _bal(address who, MockERC20 token) internal view returns (uint256) {
        return book.balanceOf(who, address(token));
    }

    // ------------------------------- deposit ------------------------------

    function test_deposit_creditsExactlyAndEmits() public {
        uint256 wallet = weth.balanceOf(alice);
        vm.expectEmit(address(book));
        emit IOrderBook.Deposited(alice, address(weth), 3e18, 3e18);
        _deposit(alice, address(weth), 3e18);
        vm.expectEmit(address(book));
        emit IOrderBook.Deposited(alice, address(weth), 1, 3e18 + 1);
        _deposit(alice, address(weth), 1);
        assertEq(_bal(alice, weth), 3e18 + 1);
        assertEq(weth.balanceOf(alice), wallet - 3e18 - 1);
        assertEq(weth.balanceOf(address(book)), 3e18 + 1);
        assertEq(_bal(bob, weth), 0);
        assertEq(book.balanceOf(alice, address(0xbeef)), 0);
    }

    function test_deposit_notBookTokenReverts() public {
        MockERC20 other = new MockERC20("Other", "OTH", 18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NotBookToken.selector, address(other)));
        book.deposit(address(other), 1);
    }

    function test_deposit_zeroReverts() public {
        vm.prank(alice);
        vm.expectRevert(IOrderBook.ZeroAmount.selector);
        book.deposit(address(weth), 0);
    }

    function test_deposit_feeOnTransferReverts() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        OrderBook b =
            OrderBook(factory.createBook(address(fot), address(usdc), TICK_SIZE, LOT, MIN_LOTS));
        fot.mint(alice, 1e18);
        vm.startPrank(alice);
        fot.approve(address(b), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.FeeOnTransferToken.selector, address(fot))
        );
        b.deposit(address(fot), 1e17);
        vm.stopPrank();
        assertEq(b.balanceOf(alice, address(fot)), 0);
    }

    /// A token whose transfer calls back into the book (ERC-777 style): during the deposit's
    /// `transferFrom`, the hook tries to claim a filled order (which anyone may do) and hits
    /// the lock; the deposit is credited exactly once.
    function test_deposit_reentrancyViaTokenCallbackReverts() public {
        (ReentrantToken re, OrderBook b) = _reentrantBook();
        vm.prank(alice);
        (OrderId id,) = b.place(ASK, MID, 10, GTC, 0, STEPS);
        vm.prank(taker);
        b.take(BID, MID, 10, 10, STEPS, block.timestamp);

        re.arm(address(b), abi.encodeCall(IOrderBook.claim, (_ids(id))));
        vm.prank(bob);
        b.deposit(address(re), 1e17);
        assertTrue(re.attempted());
        assertFalse(re.reentrySucceeded());
        assertEq(bytes4(re.reentryReturnData()), ReentrancyGuardTransient.Reentrancy.selector);
        assertEq(b.balanceOf(bob, address(re)), 1e17);
        assertEq(b.orderInfo(id).claimableLots, 10);
    }

    // ------------------------------- withdraw -----------------------------

    function test_withdraw_paysAndEmits() public {
        _deposit(alice, address(usdc), 5e6);
        vm.expectEmit(address(book));
        emit IOrderBook.Withdrawn(alice, address(usdc), carol, 2e6, 3e6);
        vm.prank(alice);
        book.withdraw(address(usdc), 2e6, carol);
        assertEq(_bal(alice, usdc), 3e6);
        assertEq(usdc.balanceOf(carol), 1e15 + 2e6);
        assertEq(usdc.balanceOf(address(book)), 3e6);
    }

    function test_withdraw_moreThanBalanceReverts() public {
        _deposit(alice, address(weth), 1e18);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOrderBook.InsufficientBalance.selector, alice, address(weth), 1e18, 1e18 + 1
            )
        );
        book.withdraw(address(weth), 1e18 + 1, alice);
        vm.prank(alice);
        book.withdraw(address(weth), 1e18, alice);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOrderBook.InsufficientBalance.selector, alice, address(weth), 0, 1
            )
        );
        book.withdraw(address(weth), 1, alice);
    }

    /// `withdraw` only ever debits the caller: another maker's balance is out of reach, even to
    /// a caller naming that maker as the recipient.
    function test_withdraw_someoneElsesBalanceReverts() public {
        _deposit(alice, address(weth), 1e18);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOrderBook.InsufficientBalance.selector, bob, address(weth), 0, 1e18
            )
        );
        book.withdraw(address(weth), 1e18, bob);
        _deposit(bob, address(weth), 1);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOrderBook.InsufficientBalance.selector, bob, address(weth), 1, 2
            )
        );
        book.withdraw(address(weth), 2, alice);
        assertEq(_bal(alice, weth), 1e18);
        assertEq(_bal(bob, weth), 1);
    }

    function test_withdraw_zeroOrToZeroAddressReverts() public {
        _deposit(alice, address(weth), 1e18);
        vm.startPrank(alice);
        vm.expectRevert(IOrderBook.ZeroAmount.selector);
        book.withdraw(address(weth), 0, alice);
        vm.expectRevert(IOrderBook.ZeroRecipient.selector);
        book.withdraw(address(weth), 1, address(0));
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NotBookToken.selector, address(0)));
        book.withdraw(address(0), 1, alice);
        vm.stopPrank();
    }

    /// During the withdrawal's transfer the hook first reads the maker's balance (already
    /// debited: state is written before the transfer), then tries to withdraw the token
    /// contract's own balance again through the book and hits the lock.
    function test_withdraw_reentrancyViaTokenCallbackReverts() public {
        (ReentrantToken re, OrderBook b) = _reentrantBook();
        vm.prank(alice);
        b.deposit(address(re), 3e17);

        re.arm(address(b), abi.encodeCall(IOrderBook.balanceOf, (alice, address(re))));
        vm.prank(alice);
        b.withdraw(address(re), 1e17, alice);
        assertTrue(re.reentrySucceeded());
        assertEq(abi.decode(re.reentryReturnData(), (uint256)), 2e17, "debited before the transfer");

        // The token contract itself holds a book balance and the hook withdraws it.
        re.mint(address(re), 1e17);
        vm.startPrank(address(re));
        re.approve(address(b), type(uint256).max);
        re.arm(address(0), "");
        b.deposit(address(re), 1e17);
        vm.stopPrank();
        re.arm(address(b), abi.encodeCall(IOrderBook.withdraw, (address(re), 1e17, address(re))));
        vm.prank(alice);
        b.withdraw(address(re), 2e17, alice);
        assertTrue(re.attempted());
        assertFalse(re.reentrySucceeded());
        assertEq(bytes4(re.reentryReturnData()), ReentrancyGuardTransient.Reentrancy.selector);
        assertEq(b.balanceOf(alice, address(re)), 0);
        assertEq(b.balanceOf(address(re), address(re)), 1e17);
        assertEq(re.balanceOf(address(b)), 1e17);
    }

    // -------------------------- weird tokens, decimals --------------------------

    /// USDT-style quote (no return values, 6 decimals): deposit, a bid from the balance, a
    /// partial fill, claim and cancel to the balance, withdraw everything.
    function test_noReturnToken_balanceCycle() public {
        NoReturnToken usdt = new NoReturnToken();
        OrderBook b =
            OrderBook(factory.createBook(address(weth), address(usdt), TICK_SIZE, LOT, MIN_LOTS));
        usdt.mint(alice, 1e12);
        vm.startPrank(alice);
        usdt.approve(address(b), type(uint256).max);
        weth.approve(address(b), type(uint256).max);
        b.deposit(address(usdt), 30 * _price(MID));
        (OrderId id,) = b.placeFromBalance(BID, MID, 30, GTC, 0, STEPS);
        vm.stopPrank();
        assertEq(b.balanceOf(alice, address(usdt)), 0);
        vm.prank(taker);
        weth.approve(address(b), type(uint256).max);
        vm.prank(taker);
        b.take(ASK, MID, 10, 10, STEPS, block.timestamp);
        vm.startPrank(alice);
        b.claimToBalance(_ids(id));
        b.cancelToBalance(id, type(uint32).max, 0);
        assertEq(b.balanceOf(alice, address(weth)), 10 * LOT);
        assertEq(b.balanceOf(alice, address(usdt)), 20 * _price(MID));
        b.withdraw(address(usdt), 20 * _price(MID), alice);
        b.withdraw(address(weth), 10 * LOT, alice);
        vm.stopPrank();
        assertEq(usdt.balanceOf(alice), 1e12 - 10 * _price(MID));
        assertEq(usdt.balanceOf(address(b)), 0);
        assertEq(weth.balanceOf(address(b)), 0);
    }

    /// A 6-decimal base (lot 1,000 units) against an 18-decimal quote: escrow and refunds are
    /// exact integers through the balance as through the wallet.
    function testFuzz_sixDecimalBase_placeCancelRoundTrip(uint32 lots, uint16 tick) public {
        lots = uint32(bound(lots, MIN_LOTS, 1e6));
        tick = uint16(bound(tick, 1, type(uint16).max));
        MockERC20 six = new MockERC20("Six", "SIX", 6);
        MockERC20 q18 = new MockERC20("Q18", "Q18", 18);
        OrderBook b = OrderBook(factory.createBook(address(six), address(q18), 1e12, 1e3, MIN_LOTS));
        _fund(b, alice);
        q18.mint(alice, uint256(lots) * tick * 1e12);
        vm.startPrank(alice);
        b.deposit(address(six), uint256(lots) * 1e3);
        b.deposit(address(q18), uint256(lots) * tick * 1e12);
        (OrderId ask,) = b.placeFromBalance(ASK, tick, lots, POST, 0, STEPS);
        assertEq(b.balanceOf(alice, address(six)), 0);
        b.cancelToBalance(ask, type(uint32).max, 0);
        assertEq(b.balanceOf(alice, address(six)), uint256(lots) * 1e3);
        (OrderId bid,) = b.placeFromBalance(BID, tick, lots, POST, 0, STEPS);
        assertEq(b.balanceOf(alice, address(q18)), 0);
        b.cancelToBalance(bid, type(uint32).max, 0);
        assertEq(b.balanceOf(alice, address(q18)), uint256(lots) * tick * 1e12);
        vm.stopPrank();
        assertEq(six.balanceOf(address(b)), uint256(lots) * 1e3);
        assertEq(q18.balanceOf(address(b)), uint256(lots) * tick * 1e12);
    }

    // --------------------------- placeFromBalance --------------------------

    function test_placeFromBalance_movesNoToken() public {
        _deposit(alice, address(weth), 100 * LOT);
        uint256 wallet = weth.balanceOf(alice);
        uint256 held = weth.balanceOf(address(book));
        vm.expectEmit(address(book));
        emit IOrderBook.BalanceChanged(alice, address(weth), 90 * LOT);
        OrderId id = _placeB(alice, ASK, MID, 10);
        assertEq(_bal(alice, weth), 90 * LOT);
        assertEq(weth.balanceOf(alice), wallet);
        assertEq(weth.balanceOf(address(book)), held);
        assertEq(book.orderInfo(id).owner, alice);
        assertEq(book.orderInfo(id).openLots, 10);
    }

    function test_placeFromBalance_shortByOneWeiReverts() public {
        uint256 escrow = 25 * _price(MID);
        _deposit(alice, address(usdc), escrow - 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOrderBook.InsufficientBalance.selector, alice, address(usdc), escrow - 1, escrow
            )
        );
        book.placeFromBalance(BID, MID, 25, GTC, 0, STEPS);
        _deposit(alice, address(usdc), 1);
        _placeB(alice, BID, MID, 25);
        assertEq(_bal(alice, usdc), 0);
        assertEq(book.levelLots(BID, MID), 25);
    }

    /// The wallet's tokens are not a fallback: an empty balance reverts even with funds approved.
    function test_placeFromBalance_emptyBalanceRevertsWithWalletFunded() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOrderBook.InsufficientBalance.selector, alice, address(weth), 0, 10 * LOT
            )
        );
        book.placeFromBalance(ASK, MID, 10, GTC, 0, STEPS);
    }

    /// A crossing bid from the balance pays the asks (and the taker fee) from the quote
    /// balance and is credited the base it bought; the rest rests, escrowed from the balance.
    function test_placeFromBalance_crossingCreditsWhatItBought() public {
        OrderBook b = _feeBook();
        vm.prank(bob);
        b.place(ASK, MID, 11, GTC, 0, STEPS);
        uint256 paid = 11 * _price(MID);
        paid += (paid * 1_000 + 999_999) / 1_000_000;
        uint256 escrow = 15 * _price(MID + 1);
        vm.startPrank(alice);
        b.deposit(address(usdc), paid + escrow + 7);
        (OrderId id, uint64 taken) = b.placeFromBalance(BID, MID + 1, 26, GTC, 0, STEPS);
        vm.stopPrank();
        assertEq(taken, 11);
        assertEq(b.orderInfo(id).openLots, 15);
        assertEq(b.balanceOf(alice, address(usdc)), 7);
        assertEq(b.balanceOf(alice, address(weth)), 11 * LOT);
        // Held: alice's balances, her bid's escrow, bob's unclaimed proceeds and the fees.
        (, uint256 quoteFees) = b.feesAccrued();
        uint256 bobOwed = 11 * (_price(MID) + _price(MID) * 300 / 1_000_000);
        assertEq(quoteFees, paid - bobOwed);
        assertEq(usdc.balanceOf(address(b)), 7 + escrow + bobOwed + quoteFees);
        assertEq(weth.balanceOf(address(b)), 11 * LOT);
    }

    /// An IOC from the balance is a market order against the balance.
    function test_placeFromBalance_iocShortOfTakerFeeReverts() public {
        OrderBook b = _feeBook();
        vm.prank(bob);
        b.place(BID, MID, 20, GTC, 0, STEPS);
        uint256 paid = 10 * LOT + (10 * LOT * 1_000 + 999_999) / 1_000_000;
        vm.startPrank(alice);
        b.deposit(address(weth), paid - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOrderBook.InsufficientBalance.selector, alice, address(weth), paid - 1, paid
            )
        );
        b.placeFromBalance(ASK, MID, 10, IOC, 0, STEPS);
        b.deposit(address(weth), 1);
        (OrderId id, uint64 taken) = b.placeFromBalance(ASK, MID, 10, IOC, 0, STEPS);
        vm.stopPrank();
        assertEq(OrderId.unwrap(id), 0);
        assertEq(taken, 10);
        assertEq(b.balanceOf(alice, address(weth)), 0);
        assertEq(b.balanceOf(alice, address(usdc)), 10 * _price(MID));
        // Held: bob's unclaimed base and the base fee (together what alice paid), his open bid.
        assertEq(weth.balanceOf(address(b)), paid);
        assertEq(usdc.balanceOf(address(b)), 10 * _price(MID) + 10 * _price(MID));
    }

    // ---------------------------- cancelToBalance --------------------------

    function test_cancelToBalance_creditsRefundOnce() public {
        OrderId id = _place(alice, ASK, MID, 30); // funded from the wallet, refunded to the balance
        uint256 wallet = weth.balanceOf(alice);
        vm.expectEmit(address(book));
        emit IOrderBook.OrderCancelled(id, alice, 30);
        vm.expectEmit(address(book));
        emit IOrderBook.BalanceChanged(alice, address(weth), 30 * LOT);
        vm.prank(alice);
        book.cancelToBalance(id, type(uint32).max, 0);
        assertEq(_bal(alice, weth), 30 * LOT);
        assertEq(weth.balanceOf(alice), wallet);

        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, id));
        book.cancel(id, type(uint32).max, 0);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, id));
        book.cancelToBalance(id, type(uint32).max, 0);
        vm.stopPrank();
        assertEq(_bal(alice, weth), 30 * LOT);
        assertEq(weth.balanceOf(address(book)), 30 * LOT);
    }

    /// Partly filled: the refund is the unfilled lots only; a second cancel finds nothing to
    /// cancel, and the filled lots stay claimable exactly once.
    function test_cancelToBalance_partlyFilledCannotPayTwice() public {
        _deposit(alice, address(weth), 30 * LOT);
        OrderId id = _placeB(alice, ASK, MID, 30);
        _take(taker, BID, MID, 12);
        vm.prank(alice);
        assertEq(book.cancelToBalance(id, type(uint32).max, 0), 18);
        assertEq(_bal(alice, weth), 18 * LOT);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToCancel.selector, id));
        book.cancelToBalance(id, type(uint32).max, 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToCancel.selector, id));
        book.cancel(id, type(uint32).max, 0);
        assertEq(_bal(alice, weth), 18 * LOT);
        assertEq(_claimable(id), 12);
    }

    function test_cancelToBalance_notOwnerRevertsEvenExpired() public {
        vm.prank(alice);
        (OrderId id,) = book.place(ASK, MID, 10, GTC, uint40(block.timestamp + 100), STEPS);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NotOrderOwner.selector, bob, alice));
        book.cancelToBalance(id, type(uint32).max, 0);
        vm.warp(block.timestamp + 100);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NotOrderOwner.selector, bob, alice));
        book.cancelToBalance(id, type(uint32).max, 0);
        // Reaping stays `cancel`'s, and pays the owner's wallet.
        uint256 wallet = weth.balanceOf(alice);
        vm.prank(bob);
        book.cancel(id, type(uint32).max, 0);
        assertEq(weth.balanceOf(alice), wallet + 10 * LOT);
        assertEq(_bal(alice, weth), 0);
        assertEq(_bal(bob, weth), 0);
    }

    // ----------------------------- claimToBalance --------------------------

    function test_claimToBalance_creditsOnce() public {
        OrderId id = _place(alice, ASK, MID, 20);
        _take(taker, BID, MID, 20);
        uint256 wallet = usdc.balanceOf(alice);
        vm.prank(alice);
        assertEq(book.claimToBalance(_ids(id)), 20);
        assertEq(_bal(alice, usdc), 20 * _price(MID));
        assertEq(usdc.balanceOf(alice), wallet);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, id));
        book.claimToBalance(_ids(id));
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, id));
        _claim(id);
        assertEq(usdc.balanceOf(alice), wallet);
        assertEq(_bal(alice, usdc), 20 * _price(MID));
    }

    /// Claimed to the wallet first: the balance path then has nothing left.
    function test_claimToBalance_afterWalletClaimReverts() public {
        OrderId id = _place(alice, ASK, MID, 20);
        _take(taker, BID, MID, 5);
        _claim(id);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, id));
        book.claimToBalance(_ids(id));
        _take(taker, BID, MID, 5);
        vm.prank(alice);
        assertEq(book.claimToBalance(_ids(id)), 5);
        assertEq(_bal(alice, usdc), 5 * _price(MID));
    }

    function test_claimToBalance_otherOwnersOrderReverts() public {
        OrderId mine = _place(alice, ASK, MID, 10);
        OrderId theirs = _place(bob, ASK, MID, 10);
        _take(taker, BID, MID, 20);
        OrderId[] memory ids = new OrderId[](2);
        (ids[0], ids[1]) = (mine, theirs);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NotOrderOwner.selector, alice, bob));
        book.claimToBalance(ids);
        assertEq(_claimable(theirs), 10);
        assertEq(_claimable(mine), 10);
    }

    /// Orders of both sides in one call: one credit per token.
    function test_claimToBalance_bothSidesOneCall() public {
        OrderId ask = _place(alice, ASK, MID + 1, 10);
        OrderId bid = _place(alice, BID, MID - 1, 10);
        _take(taker, BID, MID + 1, 10);
        _take(taker, ASK, MID - 1, 4);
        OrderId[] memory ids = new OrderId[](3);
        (ids[0], ids[1], ids[2]) = (ask, bid, ask);
        vm.prank(alice);
        assertEq(book.claimToBalance(ids), 14);
        assertEq(_bal(alice, usdc), 10 * _price(MID + 1));
        assertEq(_bal(alice, weth), 4 * LOT);
        assertEq(_claimable(bid), 0);
        assertEq(_open(bid), 6);
    }

    // ------------------------------- internals ------------------------------

    function _feeBook() internal returns (OrderBook b) {
        vm.prank(admin);
        factory.setFees(1_000, -300);
        b = OrderBook(
            factory.createBook(address(weth), address(usdc), TICK_SIZE, LOT, MIN_LOTS + 1)
        );
        _fund(b, alice);
        _fund(b, bob);
    }

    function _reentrantBook() internal returns (ReentrantToken re, OrderBook b) {
        re = new ReentrantToken();
        b = OrderBook(factory.createBook(address(re), address(usdc), TICK_SIZE, LOT, MIN_LOTS));
        address[3] memory people = [alice, bob, taker];
        for (uint256 i; i < 3; ++i) {
            re.mint(people[i], 1e18);
            vm.startPrank(people[i]);
            re.approve(address(b), type(uint256).max);
            usdc.approve(address(b), type(uint256).max);
            vm.stopPrank();
        }
    }

    // ------------------- sender fees, rebasing tokens, token policy -------------------

    /// @dev A book of `base`/USDC whose base Alice and Bob each deposited `amount` of.
    function _bookWithDeposits(address base, uint256 amount) internal returns (OrderBook b) {
        b = OrderBook(factory.createBook(base, address(usdc), TICK_SIZE, LOT, MIN_LOTS));
        address[2] memory people = [alice, bob];
        for (uint256 i; i < 2; ++i) {
            vm.startPrank(people[i]);
            SafeTransferLib.safeApprove(base, address(b), type(uint256).max);
            b.deposit(base, amount);
            vm.stopPrank();
        }
    }

    function _assertSolvent(OrderBook b, address token) internal view {
        uint256 owed = b.balanceOf(alice, token) + b.balanceOf(bob, token);
        assertGe(SafeTransferLib.balanceOf(token, address(b)), owed, "insolvent");
    }

    function test_withdraw_senderFeeTokenChargesTheWithdrawer() public {
        SenderFeeToken sfee = new SenderFeeToken();
        sfee.mint(alice, 1_000e18);
        sfee.mint(bob, 1_000e18);
        OrderBook b = _bookWithDeposits(address(sfee), 100e18);
        // 50 sent cost the book 50.5: Alice's balance pays the 0.5, not Bob's
        vm.expectEmit(address(b));
        emit IOrderBook.Withdrawn(alice, address(sfee), carol, 50e18, 49.5e18);
        vm.prank(alice);
        b.withdraw(address(sfee), 50e18, carol);
        assertEq(sfee.balanceOf(carol), 50e18);
        _assertSolvent(b, address(sfee));
        vm.prank(bob);
        b.withdraw(address(sfee), 99e18, bob);
        assertEq(b.balanceOf(bob, address(sfee)), 0.01e18);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOrderBook.InsufficientBalance.selector, bob, address(sfee), 0, 1e14
            )
        );
        b.withdraw(address(sfee), 0.01e18, bob);
        _assertSolvent(b, address(sfee));
    }

    function test_deposit_refusedRebasingTokenReverts() public {
        RebasingToken reb = new RebasingToken();
        reb.mint(alice, 1_000e18);
        reb.mint(bob, 1_000e18);
        OrderBook b = _bookWithDeposits(address(reb), 100e18);
        reb.rebase(0.9e18); // negative: the book holds 180 against 200 owed
        assertLt(reb.balanceOf(address(b)), 200e18);
        reb.rebase(1.1e18); // positive: 220 against 200, 20 owned by nobody
        assertGt(reb.balanceOf(address(b)), 200e18);
        vm.expectEmit(address(factory));
        emit IBookFactory.InternalBalanceRefusedSet(address(reb), true);
        vm.prank(admin);
        factory.setInternalBalanceRefused(address(reb), true);
        assertTrue(factory.internalBalanceRefused(address(reb)));
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.TokenRefusedForInternalBalance.selector, address(reb))
        );
        b.deposit(address(reb), 1e18);
        // what is already in can always leave; the token's rounding (its transfer moves one
        // share more than the amount) is measured and paid by the withdrawer too
        vm.prank(alice);
        b.withdraw(address(reb), 50e18, alice);
        assertApproxEqAbs(b.balanceOf(alice, address(reb)), 50e18, 1);
    }

    function test_setInternalBalanceRefused_onlyOwner() public {
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", alice));
        vm.prank(alice);
        factory.setInternalBalanceRefused(address(weth), true);
        assertFalse(factory.internalBalanceRefused(address(weth)));
    }
}
