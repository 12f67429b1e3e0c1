// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LibBit} from "solady/utils/LibBit.sol";

/// @title BookBitmap
/// @notice A two-level bitmap over the 65,536 ticks of one side of a book: `root` bit `w` is
/// set iff leaf word `w` is nonzero; leaf word `w` bit `b` is set iff tick `w * 256 + b` has
/// resting liquidity. Finding the next active tick above or below any tick reads at most
/// three words (leaf, root, leaf) whatever the number of active ticks: no scanning.
library BookBitmap {
    struct Bitmap {
        uint256 root;
        mapping(uint256 word => uint256) leaves;
    }

    /// @notice Marks `tick` active.
    function set(Bitmap storage self, uint16 tick) internal {
        uint256 w = tick >> 8;
        uint256 leaf = self.leaves[w];
        if (leaf == 0) self.root |= 1 << w;
        self.leaves[w] = leaf | (1 << (tick & 255));
    }

    /// @notice Marks `tick` inactive.
    function clear(Bitmap storage self, uint16 tick) internal {
        uint256 w = tick >> 8;
        uint256 leaf = self.leaves[w] & ~(1 << (tick & 255));
        self.leaves[w] = leaf;
        if (leaf == 0) self.root &= ~(1 << w);
    }

    /// @notice Whether `tick` is active.
    function isSet(Bitmap storage self, uint16 tick) internal view returns (bool) {
        return self.leaves[tick >> 8] >> (tick & 255) & 1 == 1;
    }

    /// @notice The lowest active tick (two reads: root, leaf).
    function lowest(Bitmap storage self) internal view returns (uint16 tick, bool found) {
        uint256 root = self.root;
        if (root == 0) return (0, false);
        uint256 w = LibBit.ffs(root);
        return (uint16((w << 8) | LibBit.ffs(self.leaves[w])), true);
    }

    /// @notice The highest active tick (two reads: root, leaf).
    function highest(Bitmap storage self) internal view returns (uint16 tick, bool found) {
        uint256 root = self.root;
        if (root == 0) return (0, false);
        uint256 w = LibBit.fls(root);
        return (uint16((w << 8) | LibBit.fls(self.leaves[w])), true);
    }

    /// @notice The lowest active tick if it is `<= limit` (`found` false otherwise).
    /// @dev Reads the leaf only when the root's lowest word can hold such a tick: when the
    /// lowest active word lies above `limit`'s word, one read answers (an order resting
    /// away from the spread, or across a word boundary from it, never reads the leaf).
    function lowestAtMost(Bitmap storage self, uint16 limit)
        internal
        view
        returns (uint16 tick, bool found)
    {
        uint256 root = self.root;
        if (root == 0) return (0, false);
        uint256 w = LibBit.ffs(root);
        if (w > limit >> 8) return (0, false);
        tick = uint16((w << 8) | LibBit.ffs(self.leaves[w]));
        found = tick <= limit;
    }

    /// @notice The highest active tick if it is `>= limit` (`found` false otherwise).
    /// @dev Reads the leaf only when the root's highest word can hold such a tick.
    function highestAtLeast(Bitmap storage self, uint16 limit)
        internal
        view
        returns (uint16 tick, bool found)
    {
        uint256 root = self.root;
        if (root == 0) return (0, false);
        uint256 w = LibBit.fls(root);
        if (w < limit >> 8) return (0, false);
        tick = uint16((w << 8) | LibBit.fls(self.leaves[w]));
        found = tick >= limit;
    }

    /// @notice The lowest active tick `>= from`.
    function nextUp(Bitmap storage self, uint256 from)
        internal
        view
        returns (uint16 tick, bool found)
    {
        if (from > type(uint16).max) return (0, false);
        uint256 w = from >> 8;
        uint256 word = self.leaves[w] & (type(uint256).max << (from & 255));
        if (word == 0) {
            // Words above `w`; a shift by 256 (w == 255) yields 0, meaning none.
            uint256 above = self.root & (type(uint256).max << (w + 1));
            if (above == 0) return (0, false);
            w = LibBit.ffs(above);
            word = self.leaves[w];
        }
        return (uint16((w << 8) | LibBit.ffs(word)), true);
    }

    /// @notice The highest active tick `<= from`.
    function nextDown(Bitmap storage self, uint256 from)
        internal
        view
        returns (uint16 tick, bool found)
    {
        if (from > type(uint16).max) from = type(uint16).max;
        uint256 w = from >> 8;
        uint256 word = self.leaves[w] & (type(uint256).max >> (255 - (from & 255)));
        if (word == 0) {
            uint256 below = self.root & ((1 << w) - 1);
            if (below == 0) return (0, false);
            w = LibBit.fls(below);
            word = self.leaves[w];
        }
        return (uint16((w << 8) | LibBit.fls(word)), true);
    }
}
