// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {OrderId} from "../../../contracts/types/BookIds.sol";
import {BookBase} from "./BookBase.sol";

/// @notice The implicit head hole: an order cancelled whole in the middle of its queue, with
/// nothing filled, while its level has no hole, keeps its word untouched and is named by the
/// level's head. Every path that could read that live-looking word must treat it as cancelled,
/// and the word must be written out or deleted before it leaves the head of the list.
contract BookImplicitHoleTest is BookBase {
    /// @dev `_queues` is the book's first storage slot; a `Queue` is `level`, `orders`, `extras`.
    function _orderWord(OrderId id) internal view returns (uint256) {
        uint256 key = OrderId.unwrap(id) >> 32;
        bytes32 queue = keccak256(abi.encode(key, uint256(0)));
        bytes32 slot =
            keccak256(abi.encode(uint256(uint32(OrderId.unwrap(id))), uint256(queue) + 1));
        return uint256(vm.load(address(book), slot));
    }

    function _three() internal returns (OrderId a, OrderId b, OrderId c) {
        a = _place(alice, ASK, MID, 10);
        b = _place(bob, ASK, MID, 10);
        c = _place(carol, ASK, MID, 10);
    }

    function test_implicit_cancelLeavesWordUntouchedAndOrderGone() public {
        (, OrderId b,) = _three();
        uint256 word = _orderWord(b);
        uint256 before = weth.balanceOf(bob);
        assertEq(_cancel(bob, b, type(uint32).max), 10);
        assertEq(weth.balanceOf(bob) - before, 10 * LOT);
        assertEq(_orderWord(b), word, "word untouched");
        assertEq(book.levelLots(ASK, MID), 20);
        IOrderBook.OrderInfo memory info = book.orderInfo(b);
        assertEq(info.owner, address(0));
        assertEq(info.openLots, 0);
        // Neither the owner nor anyone else can cancel or claim it again.
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, b));
        book.cancel(b, 1, 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.OrderNotFound.selector, b));
        book.cancel(b, 1, 0);
        OrderId[] memory ids = new OrderId[](1);
        ids[0] = b;
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, b));
        book.claim(ids);
    }

    function test_implicit_takeWholeLevelDeletesTheWord() public {
        (OrderId a, OrderId b, OrderId c) = _three();
        _cancel(bob, b, type(uint32).max);
        (uint64 filled,,) = _take(taker, BID, MID, 100);
        assertEq(filled, 20);
        assertEq(_orderWord(b), 0, "stale word deleted");
        assertEq(_claimable(a), 10);
        assertEq(_claimable(c), 10);
        assertEq(book.orderInfo(b).owner, address(0));
        OrderId[] memory ids = new OrderId[](1);
        ids[0] = b;
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NothingToClaim.selector, b));
        book.claim(ids);
        // The level is reused cleanly.
        OrderId d = _place(alice, ASK, MID, 10);
        assertEq(book.levelLots(ASK, MID), 10);
        assertEq(_open(d), 10);
    }

    function test_implicit_partialTakeCrossesAndDeletesTheWord() public {
        (OrderId a, OrderId b, OrderId c) = _three();
        _cancel(bob, b, type(uint32).max);
        (uint64 filled,,) = _take(taker, BID, MID, 15);
        assertEq(filled, 15);
        assertEq(_orderWord(b), 0, "crossed word deleted");
        assertEq(_claimable(a), 10);
        assertEq(_claimable(c), 5);
        assertEq(_open(c), 5);
        assertEq(book.levelLots(ASK, MID), 5);
        assertEq(book.orderInfo(b).owner, address(0));
    }

    function test_implicit_partialTakeStopsAtTheHoleThenCrosses() public {
        (OrderId a, OrderId b, OrderId c) = _three();
        _cancel(bob, b, type(uint32).max);
        // One step: the level, no hole budget: stops at the hole after alice's 10 lots.
        vm.prank(taker);
        (uint64 filled,,) = book.take(BID, MID, 15, 0, 1, block.timestamp);
        assertEq(filled, 10);
        assertTrue(_orderWord(b) != 0, "not crossed yet");
        assertEq(book.orderInfo(b).owner, address(0));
        assertEq(_claimable(a), 10);
        (filled,,) = _take(taker, BID, MID, 5);
        assertEq(filled, 5);
        assertEq(_orderWord(b), 0);
        assertEq(_claimable(c), 5);
    }

    function test_implicit_earlierHoleWritesTheImplicitOneOut() public {
        OrderId a = _place(alice, ASK, MID, 10);
        OrderId b = _place(bob, ASK, MID, 10);
        OrderId c = _place(carol, ASK, MID, 10);
        OrderId d = _place(alice, ASK, MID, 10);
        OrderId e = _place(bob, ASK, MID, 10);
        _cancel(alice, d, type(uint32).max); // implicit head (index 3)
        _cancel(bob, b, type(uint32).max); // before it: becomes the head, d written out
        assertTrue(_orderWord(d) != uint256(0));
        assertEq(book.levelLots(ASK, MID), 30);
        assertEq(book.orderInfo(d).owner, address(0));
        assertEq(book.orderInfo(b).owner, address(0));
        // A taker crosses both holes.
        (uint64 filled,,) = _take(taker, BID, MID, 25);
        assertEq(filled, 25);
        assertEq(_claimable(a), 10);
        assertEq(_claimable(c), 10);
        assertEq(_claimable(e), 5);
        assertEq(_open(e), 5);
    }

    function test_implicit_laterHoleLinksAfterIt() public {
        OrderId a = _place(alice, ASK, MID, 10);
        OrderId b = _place(bob, ASK, MID, 10);
        OrderId c = _place(carol, ASK, MID, 10);
        OrderId d = _place(alice, ASK, MID, 10);
        OrderId e = _place(bob, ASK, MID, 10);
        _cancel(bob, b, type(uint32).max); // implicit head (index 1)
        assertEq(book.holeHint(d), 1);
        _cancel(alice, d, type(uint32).max); // after it: b is written out with d as successor
        assertTrue(_orderWord(b) != uint256(0));
        assertEq(book.levelLots(ASK, MID), 30);
        (uint64 filled,,) = _take(taker, BID, MID, 25);
        assertEq(filled, 25);
        assertEq(_claimable(a), 10);
        assertEq(_claimable(c), 10);
        assertEq(_claimable(e), 5);
    }

    function test_implicit_cancellingTheRestEmptiesTheLevelAndDeletesTheWord() public {
        (OrderId a, OrderId b, OrderId c) = _three();
        _cancel(bob, b, type(uint32).max);
        _cancel(carol, c, type(uint32).max); // tail
        _cancel(alice, a, type(uint32).max); // front: the level empties
        assertEq(book.levelLots(ASK, MID), 0);
        (, bool found) = book.bestAsk();
        assertFalse(found);
        assertEq(_orderWord(b), 0);
        OrderId d = _place(carol, ASK, MID, 10);
        (uint64 filled,,) = _take(taker, BID, MID, 10);
        assertEq(filled, 10);
        assertEq(_claimable(d), 10);
    }

    function test_implicit_notUsedForPartlyFilledOrExpiringOrders() public {
        OrderId a = _place(alice, ASK, MID, 10);
        vm.prank(bob);
        (OrderId b,) = book.place(ASK, MID, 10, GTC, uint40(block.timestamp + 100), STEPS);
        _place(carol, ASK, MID, 10);
        uint256 word = _orderWord(b);
        _cancel(bob, b, type(uint32).max); // has an expiry (extra word): explicit hole record
        assertTrue(_orderWord(b) != word);
        _take(taker, BID, MID, 5); // a partly filled
        OrderId d = _place(alice, ASK, MID, 10);
        _cancel(alice, a, 2); // partial cancel of a partly filled order
        assertEq(_claimable(a), 5);
        assertEq(_open(a), 3);
        assertEq(_open(d), 10);
    }
}
