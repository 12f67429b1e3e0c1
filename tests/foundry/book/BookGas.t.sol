// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {OrderId} from "../../../contracts/types/BookIds.sol";
import {BookBase} from "./BookBase.sol";

/// @notice Work bounds: taking a level costs the same whatever its number of orders and
/// holes; hole walking inside a partially taken level stops at `maxSteps`. Figures here are
/// execution gas of the call (the whole-transaction figures are in snapshots/gas.json).
contract BookGasTest is BookBase {
    function _makers(uint256 n, uint16 tick) internal {
        for (uint256 i; i < n; ++i) {
            address m = address(uint160(0x1000 + i));
            _fund(book, m);
            _place(m, ASK, tick, 10);
        }
    }

    function _takeGas(uint64 lots, uint32 steps) internal returns (uint256 used, uint64 filled) {
        vm.prank(taker);
        uint256 g = gasleft();
        (filled,,) = book.take(BID, MID, lots, 0, steps, block.timestamp);
        used = g - gasleft();
    }

    function test_gas_takeIsFlatInOrdersAtLevel() public {
        _place(alice, ASK, MID + 1, 10); // keeps the ask bitmap word nonzero, as in steady state
        // Warm-up take: every later take finds the same slots warm (forge runs one transaction).
        _place(alice, ASK, MID, 10);
        _takeGas(10, STEPS);
        uint256[3] memory counts = [uint256(1), 10, 100];
        uint256[3] memory used;
        for (uint256 k; k < 3; ++k) {
            _makers(counts[k], MID);
            uint64 filled;
            (used[k], filled) = _takeGas(uint64(counts[k] * 10), STEPS);
            assertEq(filled, counts[k] * 10);
            emit log_named_uint(
                string.concat("take gas, orders at level: ", vm.toString(counts[k])), used[k]
            );
        }
        // Flat: the same storage work; only the size of the amounts moved differs (a few gas).
        assertApproxEqAbs(used[1], used[0], 50);
        assertApproxEqAbs(used[2], used[0], 50);
        assertLt(used[0], 100_000);
    }

    function test_gas_holesDoNotCostWholeLevelTakers() public {
        OrderId[] memory ids = new OrderId[](200);
        for (uint256 i; i < 200; ++i) {
            ids[i] = _place(i % 2 == 0 ? alice : bob, ASK, MID, 10);
        }
        for (uint256 i = 1; i < 199; i += 2) {
            _cancel(bob, ids[i], type(uint32).max); // 99 holes
        }
        (uint256 used, uint64 filled) = _takeGas(10_000, 1);
        assertEq(filled, 1_010);
        assertLt(used, 100_000);
    }

    function test_gas_partialTakeStopsAtStepBudget() public {
        OrderId[] memory ids = new OrderId[](200);
        for (uint256 i; i < 200; ++i) {
            ids[i] = _place(i % 2 == 0 ? alice : bob, ASK, MID, 10);
        }
        for (uint256 i = 1; i < 199; i += 2) {
            _cancel(bob, ids[i], type(uint32).max);
        }
        // 500 of 1,010 lots would cross 49 holes; a budget of 1 level + 8 holes stops early.
        (uint256 used, uint64 filled) = _takeGas(500, 9);
        assertEq(filled, 90); // 9 live orders, 8 holes crossed, stopped at the 9th hole
        assertLt(used, 100_000);
        assertEq(_claimable(ids[16]), 10);
        assertEq(_open(ids[18]), 10);
        // Without the budget the same take pays per hole crossed, still bounded.
        (uint256 usedAll, uint64 filledAll) = _takeGas(500, 1_000);
        assertEq(filledAll, 500);
        emit log_named_uint("partial take crossing 41 holes", usedAll);
    }

    function test_gas_cancelTailMiddleAndFront() public {
        OrderId a = _place(alice, ASK, MID, 10);
        OrderId b = _place(bob, ASK, MID, 10);
        OrderId c = _place(carol, ASK, MID, 10);
        OrderId d = _place(carol, ASK, MID, 10);
        uint256 g = gasleft();
        vm.prank(carol);
        book.cancel(d, type(uint32).max, 0);
        emit log_named_uint("cancel at tail", g - gasleft());
        g = gasleft();
        vm.prank(bob);
        book.cancel(b, type(uint32).max, 0);
        emit log_named_uint("cancel in the middle (hole)", g - gasleft());
        g = gasleft();
        vm.prank(alice);
        book.cancel(a, type(uint32).max, 0);
        emit log_named_uint("cancel at front (cursor moves)", g - gasleft());
        assertEq(book.levelLots(ASK, MID), 10);
        assertEq(_open(c), 10);
    }
}
