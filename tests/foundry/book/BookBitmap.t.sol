// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {BookBitmap} from "../../../contracts/libraries/BookBitmap.sol";

/// @notice `lowestAtMost` / `highestAtLeast` (the crossing checks, which skip the leaf read
/// when the best word is on the far side of the limit's word) against `lowest` / `highest`
/// plus a comparison.
contract BookBitmapTest is Test {
    using BookBitmap for BookBitmap.Bitmap;

    BookBitmap.Bitmap internal _bm;

    function _fill(uint16[] memory ticks) internal {
        for (uint256 i; i < ticks.length; ++i) {
            _bm.set(ticks[i]);
        }
    }

    function _check(uint16 limit) internal view {
        (uint16 lo, bool anyLo) = _bm.lowest();
        (uint16 t, bool found) = _bm.lowestAtMost(limit);
        assertEq(found, anyLo && lo <= limit, "lowestAtMost found");
        if (found) assertEq(t, lo, "lowestAtMost tick");
        (uint16 hi, bool anyHi) = _bm.highest();
        (t, found) = _bm.highestAtLeast(limit);
        assertEq(found, anyHi && hi >= limit, "highestAtLeast found");
        if (found) assertEq(t, hi, "highestAtLeast tick");
    }

    function testFuzz_limitedBestMatchesBest(uint16[] memory ticks, uint16 limit) public {
        if (ticks.length > 8) assembly ("memory-safe") { mstore(ticks, 8) }
        _fill(ticks);
        _check(limit);
        // Limits at the edges of the best words, where the one-read shortcut decides.
        (uint16 lo, bool anyLo) = _bm.lowest();
        (uint16 hi,) = _bm.highest();
        if (anyLo) {
            _check(lo);
            _check(uint16(lo & 0xff00));
            _check(uint16(lo | 0xff));
            if (lo != 0) _check(lo - 1);
            if (lo >= 256) _check(lo - 256);
            _check(hi);
            _check(uint16(hi & 0xff00));
            _check(uint16(hi | 0xff));
            if (hi != type(uint16).max) _check(hi + 1);
            if (hi < type(uint16).max - 256) _check(hi + 256);
        }
    }

    function test_limitedBest_emptyAndWordBoundaries() public {
        _check(0);
        _check(type(uint16).max);
        _bm.set(19_950); // word 77
        _bm.set(20_005); // word 78
        _check(19_950);
        _check(19_951);
        _check(20_003); // the ask of the gas scenario: best bid in the word below
        _check(20_005);
        _check(20_006);
        _check(19_967); // 19,968 = 78 * 256: the last tick of word 77
        _check(19_968);
    }

    function test_next_fromBeyondTheTickRange() public {
        _bm.set(7);
        _bm.set(type(uint16).max);
        assertTrue(_bm.isSet(type(uint16).max));
        // Up from past the last tick: nothing (the ask walk past tick 65,535 ends there).
        (uint16 t, bool found) = _bm.nextUp(uint256(type(uint16).max) + 1);
        assertFalse(found);
        assertEq(t, 0);
        // Down from past the last tick clamps to it.
        (t, found) = _bm.nextDown(type(uint256).max);
        assertTrue(found);
        assertEq(t, type(uint16).max);
        _bm.clear(type(uint16).max);
        assertFalse(_bm.isSet(type(uint16).max));
        (t, found) = _bm.nextDown(1 << 20);
        assertTrue(found);
        assertEq(t, 7);
    }
}
