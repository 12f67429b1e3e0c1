// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BatchAccounting
/// @notice Per-batch state in memory at `batch`: a header (where the batch's calldata arrays
/// are, the trade ledger), then eight accounting words per token of the batch (indexed like the
/// batch's `tokens`), at `batch + ACCOUNTS + (index << 8)`.
/// @dev Settling touches these words for every trade, so they are plain memory words rather
/// than bound-checked Solidity arrays; `Settlement` keeps every index below `tokens.length`.
/// One pointer instead of many arguments also keeps the hot functions' stacks shallow enough
/// to compile without via-IR (the `fast` profile). `Settlement`'s assembly fast path uses these
/// offsets as literals (each commented with the constant's name): change both together.
library BatchAccounting {
    /// @dev Header: calldata offset of `tokens[0]`.
    uint256 internal constant TOKENS = 0x00;
    /// @dev Header: calldata offset of `clearingPrices[0]`.
    uint256 internal constant PRICES = 0x20;
    /// @dev Header: calldata offset of `trades[0]`.
    uint256 internal constant TRADES = 0x40;
    /// @dev Header: the ledger, two words per trade: its bought amount, and 1 + the index of
    /// the trade that pays it directly (0 if the contract pays it).
    uint256 internal constant LEDGER = 0x60;
    /// @dev Header: `tokens.length`.
    uint256 internal constant TOKEN_COUNT = 0x80;
    /// @dev Header: `trades.length`.
    uint256 internal constant TRADE_COUNT = 0xa0;
    /// @dev Header: the EIP-712 domain separator (read once per batch).
    uint256 internal constant DOMAIN = 0xc0;
    /// @dev Header size; the token accounts follow.
    uint256 internal constant ACCOUNTS = 0xe0;

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
    /// @dev Nonzero once a direct (owner to receiver) transfer of the token was measured.
    uint256 internal constant DIRECT_MEASURED = 0xc0;

    /// @notice A batch's header and zeroed accounting for `tokenCount` tokens and ledger for
    /// `tradeCount` trades (never freed: a batch is one call).
    function open(
        uint256 tokens,
        uint256 prices,
        uint256 trades,
        uint256 tokenCount,
        uint256 tradeCount
    ) internal pure returns (uint256 batch) {
        batch = alloc(ACCOUNTS + (tokenCount << 8));
        store(batch + TOKENS, tokens);
        store(batch + PRICES, prices);
        store(batch + TRADES, trades);
        store(batch + LEDGER, alloc(tradeCount << 6));
        store(batch + TOKEN_COUNT, tokenCount);
        store(batch + TRADE_COUNT, tradeCount);
    }

    /// @notice The accounting of token `index`.
    function account(uint256 batch, uint256 index) internal pure returns (uint256) {
        unchecked {
            // A memory pointer plus at most 255 accounts: far below 2**256.
            return batch + ACCOUNTS + (index << 8);
        }
    }

    /// @notice The ledger entry (bought amount; then the payer word) of trade `i`.
    function entry(uint256 batch, uint256 i) internal pure returns (uint256) {
        unchecked {
            // A memory pointer plus `i < trades.length` entries: far below 2**256.
            return load(batch + LEDGER) + (i << 6);
        }
    }

    /// @notice `tokens[index]` (a raw calldata read: the caller keeps the index in range).
    function token(uint256 batch, uint256 index) internal pure returns (address t) {
        /// @solidity memory-safe-assembly
        assembly {
            t := calldataload(add(mload(add(batch, TOKENS)), shl(5, index)))
        }
    }

    /// @notice `clearingPrices[index]` (a raw calldata read: the caller keeps it in range).
    function price(uint256 batch, uint256 index) internal pure returns (uint256 p) {
        /// @solidity memory-safe-assembly
        assembly {
            p := calldataload(add(mload(add(batch, PRICES)), shl(5, index)))
        }
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
