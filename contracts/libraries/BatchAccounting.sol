// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BatchAccounting
/// @notice Per-batch token accounting in memory: eight words per token of the batch (indexed
/// like the batch's `tokens`), at `accounts + (index << 8)`.
/// @dev Settling touches these words for every trade, so they are plain memory words rather
/// than bound-checked Solidity arrays; `Settlement` keeps every index below `tokens.length`.
library BatchAccounting {
    /// @dev Sold + fee taken in from orders (wallet and internal).
    uint256 internal constant PULLED = 0x00;
    /// @dev Bought amounts to pay out to orders.
    uint256 internal constant PUSHED = 0x20;
    /// @dev The wallet part of `PULLED`.
    uint256 internal constant WALLET_PULLED = 0x40;
    /// @dev Our own token balance before the first wallet pull.
    uint256 internal constant BALANCE_BEFORE = 0x60;
    /// @dev Sent into pools and books by legs.
    uint256 internal constant LEG_IN = 0x80;
    /// @dev Received from pools and books by legs.
    uint256 internal constant LEG_OUT = 0xa0;

    /// @notice Zeroed accounting for `tokenCount` tokens (never freed: a batch is one call).
    function open(uint256 tokenCount) internal pure returns (uint256 accounts) {
        accounts = alloc(tokenCount << 8);
    }

    /// @notice The accounting of token `index`.
    function account(uint256 accounts, uint256 index) internal pure returns (uint256) {
        return accounts + (index << 8);
    }

    /// @notice `size` bytes of zeroed memory.
    function alloc(uint256 size) internal pure returns (uint256 p) {
        /// @solidity memory-safe-assembly
        assembly {
            p := mload(0x40)
            mstore(0x40, add(p, size))
            // Reading past the end of calldata yields zeros: a cheap memset.
            calldatacopy(p, calldatasize(), size)
        }
    }

    function load(uint256 p) internal pure returns (uint256 value) {
        /// @solidity memory-safe-assembly
        assembly {
            value := mload(p)
        }
    }

    function store(uint256 p, uint256 value) internal pure {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(p, value)
        }
    }

    /// @notice Checked `+=` on a memory word (sums of amounts never wrap silently).
    function add(uint256 p, uint256 amount) internal pure {
        store(p, load(p) + amount);
    }
}
