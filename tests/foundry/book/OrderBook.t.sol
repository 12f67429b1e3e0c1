// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {OrderBook} from "../../../contracts/book/OrderBook.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {OrderId, OrderIdLib} from "../../../contracts/types/BookIds.sol";
import {BookBase} from "./BookBase.sol";

/// @notice Placing, taking, price-time priority, partial fills, cancel, claim, order kinds.
contract OrderBookTest is BookBase {
    // ------------------------------- place -------------------------------

    function test_place_askEscrowsBaseAndRests() public {
        uint256 before = weth.balanceOf(alice);
        vm.expectEmit(address(book));
        emit IOrderBook.OrderPlaced(OrderIdLib.encode(1, MID, 0), alice, 50, 0, 0);
        OrderId id = _place(alice, ASK, MID, 50);
        assertEq(before - weth.balanceOf(alice), 50 * LOT);
        assertEq(weth.balanceOf(address(book)), 50 * LOT);
        (uint16 best, bool found) = book.bestAsk();
        assertTrue(found);
        assertEq(best, MID);
        assertEq(book.levelLots(ASK, MID), 50);
        IOrderBook.OrderInfo memory info = book.orderInfo(id);
        assertEq(info.owner, alice);
        assertEq(uint8(info.side), uint8(ASK));
        assertEq(info.tick, MID);
        assertEq(info.openLots, 50);
        assertEq(info.claimableLots, 0);
    }

    function test_place_bidEscrowsQuote() public {
        uint256 before = usdc.balanceOf(bob);
        _place(bob, BID, MID - 10, 20);
        assertEq(before - usdc.balanceOf(bob), 20 * _price(MID - 10));
        (uint16 best,) = book.bestBid();
        assertEq(best, MID - 10);
    }

    function test_place_revertsOnBadInput() public {
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.InvalidTick.selector, 0));
        book.place(ASK, 0, 50, GTC, 0, STEPS);
        vm.expectRevert(IOrderBook.ZeroLots.selector);
        book.place(ASK, MID, 0, GTC, 0, STEPS);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderTooSmall.selector, 9, MIN_LOTS));
        book.place(ASK, MID, 9, GTC, 0, STEPS);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.InvalidExpiry.selector, uint40(block.timestamp))
        );
        book.place(ASK, MID, 50, GTC, uint40(block.timestamp), STEPS);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.InvalidExpiry.selector, uint40(block.timestamp + 1))
        );
        book.place(ASK, MID, 50, IOC, uint40(block.timestamp + 1), STEPS);
        vm.expectRevert(IOrderBook.ZeroSteps.selector);
        book.place(ASK, MID, 50, GTC, 0, 0);
        vm.stopPrank();
    }

    // ------------------------------ priority -----------------------------

    function test_take_bestPriceFirst() public {
        _place(alice, ASK, MID + 2, 10);
        _place(bob, ASK, MID, 10);
        _place(carol, ASK, MID + 1, 10);
        (uint64 filled, uint256 paid, uint256 received) = _take(taker, BID, MID + 1, 25);
        assertEq(filled, 20); // MID + 2 is beyond the limit
        assertEq(paid, 10 * _price(MID) + 10 * _price(MID + 1));
        assertEq(received, 20 * LOT);
        (uint16 best,) = book.bestAsk();
        assertEq(best, MID + 2);
    }

    function test_take_fifoWithinLevel() public {
        OrderId a = _place(alice, ASK, MID, 10);
        OrderId b = _place(bob, ASK, MID, 10);
        OrderId c = _place(carol, ASK, MID, 10);
        _take(taker, BID, MID, 15);
        assertEq(_claimable(a), 10);
        assertEq(_claimable(b), 5);
        assertEq(_open(b), 5);
        assertEq(_claimable(c), 0);
        assertEq(_open(c), 10);
        assertEq(book.levelLots(ASK, MID), 15);
    }

    function test_take_sellsIntoBidsHighestFirst() public {
        _place(alice, BID, MID - 2, 10);
        _place(bob, BID, MID, 10);
        uint256 before = usdc.balanceOf(taker);
        vm.prank(taker);
        (uint64 filled,, uint256 received) = book.take(ASK, MID - 2, 15, 15, STEPS, block.timestamp);
        assertEq(filled, 15);
        assertEq(received, 10 * _price(MID) + 5 * _price(MID - 2));
        assertEq(usdc.balanceOf(taker) - before, received);
    }

    // ---------------------------- partial fills --------------------------

    function test_claim_paysFilledPartAndKeepsRest() public {
        OrderId a = _place(alice, ASK, MID, 30);
        _take(taker, BID, MID, 12);
        uint256 before = usdc.balanceOf(alice);
        assertEq(_claim(a), 12);
        assertEq(usdc.balanceOf(alice) - before, 12 * _price(MID));
        assertEq(_claimable(a), 0);
        assertEq(_open(a), 18);
        _take(taker, BID, MID, 18);
        assertEq(_claim(a), 18);
        assertEq(usdc.balanceOf(alice) - before, 30 * _price(MID));
        assertEq(book.orderInfo(a).owner, address(0)); // settled and deleted
    }

    function test_claim_nothingTwice() public {
        OrderId a = _place(alice, ASK, MID, 10);
        _take(taker, BID, MID, 10);
        _claim(a);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, a));
        _claim(a);
    }

    function test_claim_malformedIdsPayNothingNorBlockTheRest() public {
        OrderId a = _place(alice, ASK, MID, 10);
        _take(taker, BID, MID, 10);
        OrderId[] memory ids = new OrderId[](2);
        ids[0] = OrderId.wrap(OrderId.unwrap(a) | (1 << 49)); // `a` with a side above 1
        ids[1] = a;
        uint256 before = usdc.balanceOf(alice);
        assertEq(book.claim(ids), 10);
        assertEq(usdc.balanceOf(alice) - before, 10 * _price(MID));
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, ids[0]));
        book.claim(ids);
    }

    function test_claimToBalance_malformedIdsPayNothingNorBlockTheRest() public {
        OrderId a = _place(alice, ASK, MID, 10);
        _take(taker, BID, MID, 10);
        OrderId[] memory ids = new OrderId[](2);
        ids[0] = OrderId.wrap(OrderId.unwrap(a) | (3 << 48));
        ids[1] = a;
        vm.prank(alice);
        assertEq(book.claimToBalance(ids), 10);
        assertEq(book.balanceOf(alice, address(usdc)), 10 * _price(MID));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, ids[0]));
        book.claimToBalance(ids);
    }

    function test_claim_bidReceivesBase() public {
        OrderId b = _place(bob, BID, MID, 10);
        _take(taker, ASK, MID, 10);
        uint256 before = weth.balanceOf(bob);
        _claim(b);
        assertEq(weth.balanceOf(bob) - before, 10 * LOT);
    }

    // ------------------------------- cancel ------------------------------

    function test_cancel_returnsExactlyUnfilledEscrow() public {
        OrderId a = _place(alice, BID, MID, 40);
        _take(taker, ASK, MID, 15);
        uint256 before = usdc.balanceOf(alice);
        assertEq(_cancel(alice, a, type(uint32).max), 25);
        assertEq(usdc.balanceOf(alice) - before, 25 * _price(MID));
        assertEq(_claimable(a), 15);
        assertEq(_open(a), 0);
        (, bool found) = book.bestBid();
        assertFalse(found);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToCancel.selector, a));
        book.cancel(a, 1, 0);
        _claim(a);
        assertEq(weth.balanceOf(alice), 1_000_000e18 + 15 * LOT);
    }

    function test_cancel_partialKeepsPriority() public {
        OrderId a = _place(alice, ASK, MID, 40);
        OrderId b = _place(bob, ASK, MID, 10);
        uint256 before = weth.balanceOf(alice);
        assertEq(_cancel(alice, a, 25), 25);
        assertEq(weth.balanceOf(alice) - before, 25 * LOT);
        assertEq(book.levelLots(ASK, MID), 25);
        _take(taker, BID, MID, 20); // alice's 15 first, then 5 of bob's
        assertEq(_claimable(a), 15);
        assertEq(_open(a), 0);
        assertEq(_claimable(b), 5);
        assertEq(_open(b), 5);
    }

    function test_cancel_middleLeavesHoleTakerSkips() public {
        OrderId a = _place(alice, ASK, MID, 10);
        OrderId b = _place(bob, ASK, MID, 10);
        OrderId c = _place(carol, ASK, MID, 10);
        _cancel(bob, b, type(uint32).max);
        assertEq(book.levelLots(ASK, MID), 20);
        assertEq(book.orderInfo(b).owner, address(0));
        (uint64 filled,,) = _take(taker, BID, MID, 15);
        assertEq(filled, 15);
        assertEq(_claimable(a), 10);
        assertEq(_claimable(c), 5);
        assertEq(_open(c), 5);
    }

    function test_cancel_frontMovesCursorLeavesNoHole() public {
        OrderId a = _place(alice, ASK, MID, 10);
        OrderId b = _place(bob, ASK, MID, 10);
        uint256 before = weth.balanceOf(alice);
        _cancel(alice, a, type(uint32).max);
        assertEq(weth.balanceOf(alice) - before, 10 * LOT);
        assertEq(book.orderInfo(a).owner, address(0));
        assertEq(book.levelLots(ASK, MID), 10);
        // No hole to cross: a partial take with a one-step budget reaches b at once.
        vm.prank(taker);
        (uint64 filled,,) = book.take(BID, MID, 5, 0, 1, block.timestamp);
        assertEq(filled, 5);
        assertEq(_claimable(b), 5);
        assertEq(_open(b), 5);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, a));
        book.cancel(a, 1, 0);
    }

    function test_cancel_frontPartiallyFilledKeepsItsClaim() public {
        OrderId a = _place(alice, ASK, MID, 40);
        OrderId b = _place(bob, ASK, MID, 10);
        _take(taker, BID, MID, 15);
        uint256 base = weth.balanceOf(alice);
        assertEq(_cancel(alice, a, type(uint32).max), 25);
        assertEq(weth.balanceOf(alice) - base, 25 * LOT);
        assertEq(_claimable(a), 15);
        assertEq(_open(a), 0);
        assertEq(book.levelLots(ASK, MID), 10);
        _take(taker, BID, MID, 4);
        assertEq(_claimable(b), 4);
        assertEq(_claimable(a), 15);
        uint256 quote = usdc.balanceOf(alice);
        _claim(a);
        assertEq(usdc.balanceOf(alice) - quote, 15 * _price(MID));
        assertEq(book.orderInfo(a).owner, address(0));
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, a));
        _claim(a);
    }

    function test_cancel_frontUpToAHoleThenTakeCrossesIt() public {
        OrderId a = _place(alice, ASK, MID, 10);
        OrderId b = _place(bob, ASK, MID, 10);
        OrderId c = _place(carol, ASK, MID, 10);
        OrderId d = _place(alice, ASK, MID, 10);
        _cancel(bob, b, type(uint32).max); // a hole between a and c
        _cancel(alice, a, type(uint32).max); // the front: the cursor moves up to the hole
        assertEq(book.levelLots(ASK, MID), 20);
        (uint64 filled,,) = _take(taker, BID, MID, 15);
        assertEq(filled, 15);
        assertEq(_claimable(c), 10);
        assertEq(_claimable(d), 5);
        assertEq(_open(d), 5);
        assertEq(book.orderInfo(a).owner, address(0));
        assertEq(book.orderInfo(b).owner, address(0));
        _cancel(alice, d, type(uint32).max); // front and tail: the level empties
        (, bool found) = book.bestAsk();
        assertFalse(found);
        assertEq(book.levelLots(ASK, MID), 0);
    }

    function test_cancel_frontAfterPartialCancelKeepsItsHole() public {
        OrderId a = _place(alice, ASK, MID, 40);
        OrderId b = _place(bob, ASK, MID, 10);
        _cancel(alice, a, 25); // a hole of 25 after a's first 15 lots
        assertEq(_cancel(alice, a, type(uint32).max), 15); // a is at the front but has a hole
        assertEq(book.levelLots(ASK, MID), 10);
        vm.prank(taker);
        (uint64 filled,,) = book.take(BID, MID, 4, 0, STEPS, block.timestamp);
        assertEq(filled, 4);
        assertEq(_claimable(b), 4);
        assertEq(_open(b), 6);
        assertEq(book.orderInfo(a).owner, address(0));
    }

    function test_cancel_tailShortensQueue() public {
        _place(alice, ASK, MID, 10);
        OrderId b = _place(bob, ASK, MID, 10);
        _cancel(bob, b, type(uint32).max);
        OrderId c = _place(carol, ASK, MID, 10);
        _take(taker, BID, MID, 20);
        assertEq(_claimable(c), 10);
    }

    function test_cancel_onlyOwnerBeforeExpiry() public {
        OrderId a = _place(alice, ASK, MID, 10);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NotOrderOwner.selector, bob, alice));
        book.cancel(a, 10, 0);
    }

    function test_cancel_unknownOrder() public {
        OrderId ghost = OrderIdLib.encode(1, MID, 7);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, ghost));
        book.cancel(ghost, 1, 0);
    }

    function test_cancel_malformedIdsRevertNotFound() public {
        OrderId a = _place(alice, ASK, MID, 10);
        // A side above 1 and tick 0 (never placeable) name no order, whatever the index.
        OrderId badSide = OrderId.wrap(OrderId.unwrap(a) | (1 << 49));
        OrderId tickZero = OrderIdLib.encode(1, 0, 0);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, badSide));
        book.cancel(badSide, 10, 0);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, tickZero));
        book.cancel(tickZero, 10, 0);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, badSide));
        book.cancelToBalance(badSide, 10, 0);
        vm.stopPrank();
        assertEq(_open(a), 10);
        assertEq(book.orderInfo(badSide).owner, address(0));
        assertEq(book.orderInfo(badSide).openLots, 0);
    }

    function test_cancel_zeroLotsRevertsButAReaperCancelsAll() public {
        vm.prank(alice);
        (OrderId a,) = book.place(ASK, MID, 10, GTC, uint40(block.timestamp + 100), STEPS);
        vm.prank(alice);
        vm.expectRevert(IOrderBook.ZeroLots.selector);
        book.cancel(a, 0, 0);
        assertEq(_open(a), 10);
        vm.warp(block.timestamp + 100);
        // The reaper's `maxLots` is ignored: an expired order leaves the book whole.
        uint256 before = weth.balanceOf(alice);
        vm.prank(bob);
        assertEq(book.cancel(a, 0, 0), 10);
        assertEq(weth.balanceOf(alice) - before, 10 * LOT);
        assertEq(book.levelLots(ASK, MID), 0);
    }

    function test_cancel_manyHolesThenTakeWholeLevel() public {
        OrderId[] memory ids = new OrderId[](20);
        for (uint256 i; i < 20; ++i) {
            ids[i] = _place(i % 2 == 0 ? alice : bob, ASK, MID, 10);
        }
        for (uint256 i = 1; i < 19; i += 2) {
            _cancel(bob, ids[i], type(uint32).max);
        }
        assertEq(book.levelLots(ASK, MID), 110);
        (uint64 filled,,) = _take(taker, BID, MID, 1_000);
        assertEq(filled, 110);
        for (uint256 i; i < 20; i += 2) {
            assertEq(_claimable(ids[i]), 10);
        }
        assertEq(_claimable(ids[19]), 10);
    }

    /// @dev The attack on a cancel's hint: 33 holes of someone else's orders between the
    /// victim's hint and its order, made after the victim read the hint. The stale hint is
    /// refused (`HoleHintTooFar`, the walk stays bounded); a fresh `holeHint` cancels at once,
    /// which is what `crossbook.book.BookClient.cancel` retries with.
    function test_cancel_attackersHolesBehindAStaleHint() public {
        _place(alice, ASK, MID, 10);
        OrderId hole = _place(alice, ASK, MID, 10);
        OrderId[] memory attacker = new OrderId[](33);
        for (uint256 i; i < 33; ++i) {
            attacker[i] = _place(bob, ASK, MID, 10);
        }
        OrderId victim = _place(alice, ASK, MID, 10);
        _place(alice, ASK, MID, 10);
        _cancel(alice, hole, type(uint32).max);
        uint32 stale = book.holeHint(victim);
        for (uint256 i; i < 33; ++i) {
            _cancel(bob, attacker[i], type(uint32).max);
        }
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.HoleHintTooFar.selector, victim, stale));
        book.cancel(victim, type(uint32).max, stale);
        assertEq(_cancel(alice, victim, type(uint32).max), 10);
        assertEq(book.orderInfo(victim).owner, address(0));
    }

    // -------------------------------- expiry -----------------------------

    function test_expiry_anyoneReapsAfterExpiry() public {
        vm.prank(alice);
        (OrderId a,) = book.place(ASK, MID, 10, GTC, uint40(block.timestamp + 100), STEPS);
        assertEq(book.orderInfo(a).expiry, block.timestamp + 100);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NotOrderOwner.selector, bob, alice));
        book.cancel(a, 10, 0);
        vm.warp(block.timestamp + 100);
        uint256 before = weth.balanceOf(alice);
        vm.prank(bob);
        assertEq(book.cancel(a, 1, 0), 10); // a reaper cancels everything, refund to the owner
        assertEq(weth.balanceOf(alice) - before, 10 * LOT);
    }

    // ----------------------------- order kinds ---------------------------

    function test_postOnly_revertsWhenCrossing() public {
        _place(alice, ASK, MID, 10);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.PostOnlyWouldCross.selector, MID, MID));
        book.place(BID, MID, 10, POST, 0, STEPS);
        vm.prank(bob);
        book.place(BID, MID - 1, 10, POST, 0, STEPS);
        assertEq(book.levelLots(BID, MID - 1), 10);
    }

    /// The crossing check answers from the bitmap root alone when the best opposite tick lies
    /// in another bitmap word (256 ticks): both directions across a word boundary.
    function test_postOnly_crossingAcrossBitmapWords() public {
        _place(alice, BID, MID + 300, 10); // word 79; MID is in word 78
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.PostOnlyWouldCross.selector, MID, MID + 300)
        );
        book.place(ASK, MID, 10, POST, 0, STEPS);
        vm.prank(bob);
        book.place(ASK, MID + 301, 10, POST, 0, STEPS); // word 79, above the bid: rests
        _place(carol, ASK, MID + 600, 10);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.PostOnlyWouldCross.selector, MID + 900, MID + 301)
        );
        book.place(BID, MID + 900, 10, POST, 0, STEPS);
        vm.prank(bob);
        book.place(BID, MID + 299, 10, POST, 0, STEPS); // below the best ask, other word: rests
        assertEq(book.levelLots(BID, MID + 299), 10);
        assertEq(book.levelLots(ASK, MID + 301), 10);
    }

    /// A GTC order whose limit reaches a level in another bitmap word takes it, then rests.
    function test_gtc_takesAcrossBitmapWordsThenRests() public {
        _place(alice, ASK, MID - 300, 10); // word 76
        vm.prank(bob);
        (OrderId id, uint64 taken) = book.place(BID, MID, 15, GTC, 0, STEPS); // word 78
        assertEq(taken, 10);
        assertEq(_open(id), 5);
        (, bool found) = book.bestAsk();
        assertFalse(found);
    }

    function test_gtc_takesThenRests() public {
        OrderId a = _place(alice, ASK, MID, 10);
        vm.prank(bob);
        (OrderId id, uint64 taken) = book.place(BID, MID + 5, 25, GTC, 0, STEPS);
        assertEq(taken, 10);
        assertEq(_claimable(a), 10);
        assertEq(_open(id), 15);
        (uint16 bid,) = book.bestBid();
        assertEq(bid, MID + 5);
        (, bool askLeft) = book.bestAsk();
        assertFalse(askLeft);
    }

    function test_ioc_neverRests() public {
        _place(alice, ASK, MID, 10);
        uint256 before = usdc.balanceOf(bob);
        vm.prank(bob);
        (OrderId id, uint64 taken) = book.place(BID, MID, 25, IOC, 0, STEPS);
        assertEq(taken, 10);
        assertEq(OrderId.unwrap(id), 0);
        assertEq(before - usdc.balanceOf(bob), 10 * _price(MID));
        (, bool found) = book.bestBid();
        assertFalse(found);
    }

    function test_fok_revertsUnlessWhollyFilled() public {
        _place(alice, ASK, MID, 10);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.InsufficientFill.selector, 10, 11));
        book.place(BID, MID, 11, FOK, 0, STEPS);
        vm.prank(bob);
        (, uint64 taken) = book.place(BID, MID, 10, FOK, 0, STEPS);
        assertEq(taken, 10);
    }

    function test_take_minLotsAndDeadline() public {
        _place(alice, ASK, MID, 10);
        vm.startPrank(taker);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.InsufficientFill.selector, 10, 20));
        book.take(BID, MID, 20, 20, STEPS, block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.DeadlinePassed.selector, block.timestamp - 1)
        );
        book.take(BID, MID, 20, 0, STEPS, block.timestamp - 1);
        vm.stopPrank();
    }

    function test_take_zeroLotsOrStepsRevertsAndMovesNothing() public {
        _place(alice, ASK, MID, 10);
        uint256 before = usdc.balanceOf(taker);
        vm.startPrank(taker);
        vm.expectRevert(IOrderBook.ZeroLots.selector);
        book.take(BID, MID, 0, 0, STEPS, block.timestamp);
        // A zero step budget would match nothing yet still pass a zero `minLots`.
        vm.expectRevert(IOrderBook.ZeroSteps.selector);
        book.take(BID, MID, 10, 0, 0, block.timestamp);
        vm.stopPrank();
        assertEq(usdc.balanceOf(taker), before);
        assertEq(book.levelLots(ASK, MID), 10);
    }

    function test_take_maxStepsBoundsLevels() public {
        for (uint16 i; i < 5; ++i) {
            _place(alice, ASK, MID + i, 10);
        }
        vm.prank(taker);
        (uint64 filled,,) = book.take(BID, MID + 10, 50, 0, 3, block.timestamp);
        assertEq(filled, 30);
        (uint16 best,) = book.bestAsk();
        assertEq(best, MID + 3);
    }

    function test_gtc_revertsIfCrossingLiquidityRemainsAfterSteps() public {
        for (uint16 i; i < 3; ++i) {
            _place(alice, ASK, MID + i, 10);
        }
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.StepLimitReached.selector, MID + 2, 20));
        book.place(BID, MID + 2, 50, GTC, 0, 2);
    }

    // -------------------------------- views ------------------------------

    function test_depth_bestFirst() public {
        _place(alice, ASK, MID + 3, 10);
        _place(alice, ASK, MID + 1, 20);
        _place(bob, ASK, MID + 1, 10);
        _place(alice, ASK, MID + 600, 10); // another bitmap word
        _place(bob, BID, MID - 1, 10);
        _place(bob, BID, MID - 700, 30);
        IOrderBook.LevelDepth[] memory asks = book.depth(ASK, 10);
        assertEq(asks.length, 3);
        assertEq(asks[0].tick, MID + 1);
        assertEq(asks[0].lots, 30);
        assertEq(asks[1].tick, MID + 3);
        assertEq(asks[2].tick, MID + 600);
        assertEq(asks[2].price, _price(MID + 600));
        IOrderBook.LevelDepth[] memory bids = book.depth(BID, 1);
        assertEq(bids.length, 1);
        assertEq(bids[0].tick, MID - 1);
        bids = book.depth(BID, 5);
        assertEq(bids.length, 2);
        assertEq(bids[1].tick, MID - 700);
        assertEq(bids[1].lots, 30);
    }

    function test_depth_topTickEndsTheWalk() public {
        _place(alice, ASK, MID, 10);
        _place(alice, ASK, type(uint16).max, 12);
        IOrderBook.LevelDepth[] memory asks = book.depth(ASK, 5);
        assertEq(asks.length, 2);
        assertEq(asks[1].tick, type(uint16).max);
        assertEq(asks[1].lots, 12);
        assertEq(asks[1].price, _price(type(uint16).max));
    }

    // ------------------------------- fuzz --------------------------------

    /// @dev FIFO against a model with fills before and after cancels made in any order (front,
    /// middle and tail cancels of partly filled or untouched orders).
    function testFuzz_fifoWithFillsAndCancelsInAnyOrder(
        uint32[6] memory sizes,
        uint64 firstTake,
        uint8 cancelMask,
        uint8 orderSeed,
        uint64 secondTake
    ) public {
        OrderId[6] memory ids;
        uint256[6] memory placed;
        uint256[6] memory filled;
        uint256 total;
        for (uint256 i; i < 6; ++i) {
            placed[i] = bound(sizes[i], MIN_LOTS, 1_000);
            total += placed[i];
            ids[i] = _place(i % 2 == 0 ? alice : bob, ASK, MID, uint32(placed[i]));
        }
        uint256 left = bound(firstTake, 0, total);
        if (left != 0) _take(taker, BID, MID, uint64(left));
        for (uint256 i; i < 6 && left != 0; ++i) {
            filled[i] = left < placed[i] ? left : placed[i];
            left -= filled[i];
        }
        for (uint256 k; k < 6; ++k) {
            uint256 i = (orderSeed % 6 + (orderSeed >> 7 == 1 ? 6 - k : k)) % 6;
            if (cancelMask >> i & 1 == 0) continue;
            if (filled[i] == placed[i]) {
                vm.prank(i % 2 == 0 ? alice : bob);
                vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToCancel.selector, ids[i]));
                book.cancel(ids[i], type(uint32).max, 0);
                continue;
            }
            assertEq(
                _cancel(i % 2 == 0 ? alice : bob, ids[i], type(uint32).max), placed[i] - filled[i]
            );
            placed[i] = filled[i];
        }
        uint256 open;
        for (uint256 i; i < 6; ++i) {
            open += placed[i] - filled[i];
        }
        assertEq(book.levelLots(ASK, MID), open);
        left = bound(secondTake, 1, 7_000);
        (uint64 got,,) = _take(taker, BID, MID, uint64(left));
        assertEq(got, left < open ? left : open);
        left = got;
        for (uint256 i; i < 6; ++i) {
            uint256 more = left < placed[i] - filled[i] ? left : placed[i] - filled[i];
            left -= more;
            assertEq(_claimable(ids[i]), filled[i] + more, "fifo");
            assertEq(_open(ids[i]), placed[i] - filled[i] - more, "open");
        }
    }

    /// @dev FIFO at one level against a simple model: fills go to orders in placement order.
    function testFuzz_fifoMatchesModel(uint32[6] memory sizes, uint64 takeLots, uint8 cancelMask)
        public
    {
        OrderId[6] memory ids;
        uint256[6] memory live;
        for (uint256 i; i < 6; ++i) {
            live[i] = bound(sizes[i], MIN_LOTS, 1_000);
            ids[i] = _place(i % 2 == 0 ? alice : bob, ASK, MID, uint32(live[i]));
        }
        for (uint256 i; i < 6; ++i) {
            if (cancelMask >> i & 1 == 1) {
                _cancel(i % 2 == 0 ? alice : bob, ids[i], type(uint32).max);
                live[i] = 0;
            }
        }
        uint256 total;
        for (uint256 i; i < 6; ++i) {
            total += live[i];
        }
        takeLots = uint64(bound(takeLots, 1, 7_000));
        (uint64 filled,,) = _take(taker, BID, MID, takeLots);
        assertEq(filled, takeLots < total ? takeLots : total);
        uint256 left = filled;
        for (uint256 i; i < 6; ++i) {
            uint256 expect = left < live[i] ? left : live[i];
            left -= expect;
            assertEq(_claimable(ids[i]), expect, "fifo");
            assertEq(_open(ids[i]), live[i] - expect, "open");
        }
    }
}
