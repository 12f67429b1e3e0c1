// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/*//////////////////////////////////////////////////////////////
                            BATCH LAYOUT
//////////////////////////////////////////////////////////////*/

// The layout of a batch in memory, defined once for Solidity and assembly alike. These are
// file-level constants with literal values because inline assembly can name only those (it
// cannot read `SomeLibrary.CONSTANT`); `SettleFastPath` and `Settlement` read the batch with them.

/// @dev Header: calldata offset of `tokens[0]`.
uint256 constant BATCH_TOKENS = 0x00;
/// @dev Header: calldata offset of `clearingPrices[0]`.
uint256 constant BATCH_PRICES = 0x20;
/// @dev Header: calldata offset of `trades[0]`.
uint256 constant BATCH_TRADES = 0x40;
/// @dev Header: memory pointer to the ledger (see `LEDGER_BOUGHT`).
uint256 constant BATCH_LEDGER = 0x60;
/// @dev Header: `tokens.length`.
uint256 constant BATCH_TOKEN_COUNT = 0x80;
/// @dev Header: `trades.length`.
uint256 constant BATCH_TRADE_COUNT = 0xa0;
/// @dev Header: the EIP-712 domain separator (read once per batch).
uint256 constant BATCH_DOMAIN = 0xc0;
/// @dev Header size: the token accounts follow, account `index` at
/// `batch + BATCH_ACCOUNTS + (index << ACCOUNT_SHIFT)`.
uint256 constant BATCH_ACCOUNTS = 0xe0;

/// @dev An account is `1 << ACCOUNT_SHIFT` bytes (eight words, seven used). The shift
/// constants are `uint8`, the type of a literal shift amount, so that a Solidity shift by one
/// compiles exactly as a shift by the literal.
uint8 constant ACCOUNT_SHIFT = 8;
/// @dev Account word: sold + fee taken in from orders (wallet and internal).
uint256 constant ACCOUNT_PULLED = 0x00;
/// @dev Account word: bought amounts to pay out to orders.
uint256 constant ACCOUNT_PUSHED = 0x20;
/// @dev Account word: the wallet part of `ACCOUNT_PULLED`.
uint256 constant ACCOUNT_WALLET_PULLED = 0x40;
/// @dev Account word: our own token balance before the first wallet pull.
uint256 constant ACCOUNT_BALANCE_BEFORE = 0x60;
/// @dev Account word: sent into pools and books by legs.
uint256 constant ACCOUNT_LEG_IN = 0x80;
/// @dev Account word: received from pools and books by legs.
uint256 constant ACCOUNT_LEG_OUT = 0xa0;
/// @dev Account word: nonzero once a direct (owner to receiver) transfer of the token was
/// measured.
uint256 constant ACCOUNT_DIRECT_MEASURED = 0xc0;

/// @dev A ledger entry is `LEDGER_ENTRY_SIZE` bytes, one per trade, entry `i` at
/// `ledger + (i << LEDGER_ENTRY_SHIFT)`.
uint8 constant LEDGER_ENTRY_SHIFT = 6;
/// @dev Bytes per ledger entry (two words).
uint256 constant LEDGER_ENTRY_SIZE = uint256(1) << LEDGER_ENTRY_SHIFT;
/// @dev Ledger word: the trade's bought amount.
uint256 constant LEDGER_BOUGHT = 0x00;
/// @dev Ledger word: 1 + the index of the trade that pays this trade directly (0 if the
/// contract pays it).
uint256 constant LEDGER_PAYER = 0x20;

/// @title BatchAccounting
/// @notice Per-batch state in memory at `batch`: a header (where the batch's calldata arrays
/// are, the trade ledger), then one account of accounting words per token of the batch
/// (indexed like the batch's `tokens`), as laid out by the constants above.
/// @dev Settling touches these words for every trade, so they are plain memory words rather
/// than bound-checked Solidity arrays; `Settlement` keeps every index below `tokens.length`.
/// One pointer instead of many arguments also keeps the hot functions' stacks shallow enough
/// to compile without via-IR (the `fast` profile).
library BatchAccounting {
    /// @notice A batch's header and zeroed accounting for `tokenCount` tokens and ledger for
    /// `tradeCount` trades (never freed: a batch is one call).
    /// @param tokens Calldata offset of `tokens[0]`.
    /// @param prices Calldata offset of `clearingPrices[0]`.
    /// @param trades Calldata offset of `trades[0]`.
    /// @param tokenCount `tokens.length`.
    /// @param tradeCount `trades.length`.
    /// @return batch Memory pointer to the batch.
    function open(
        uint256 tokens,
        uint256 prices,
        uint256 trades,
        uint256 tokenCount,
        uint256 tradeCount
    ) internal pure returns (uint256 batch) {
        batch = alloc(BATCH_ACCOUNTS + (tokenCount << ACCOUNT_SHIFT));
        store(batch + BATCH_TOKENS, tokens);
        store(batch + BATCH_PRICES, prices);
        store(batch + BATCH_TRADES, trades);
        store(batch + BATCH_LEDGER, alloc(tradeCount << LEDGER_ENTRY_SHIFT));
        store(batch + BATCH_TOKEN_COUNT, tokenCount);
        store(batch + BATCH_TRADE_COUNT, tradeCount);
    }

    /// @notice The account of token `index`.
    function account(uint256 batch, uint256 index) internal pure returns (uint256) {
        unchecked {
            // A memory pointer plus at most 255 accounts: far below 2**256.
            return batch + BATCH_ACCOUNTS + (index << ACCOUNT_SHIFT);
        }
    }

    /// @notice The ledger entry of trade `i`.
    function entry(uint256 batch, uint256 i) internal pure returns (uint256) {
        unchecked {
            // A memory pointer plus `i < trades.length` entries: far below 2**256.
            return load(batch + BATCH_LEDGER) + (i << LEDGER_ENTRY_SHIFT);
        }
    }

    /// @notice `tokens[index]` (a raw calldata read: the caller keeps the index in range).
    function token(uint256 batch, uint256 index) internal pure returns (address t) {
        assembly ("memory-safe") {
            t := calldataload(add(mload(add(batch, BATCH_TOKENS)), shl(5, index)))
        }
    }

    /// @notice `clearingPrices[index]` (a raw calldata read: the caller keeps it in range).
    function price(uint256 batch, uint256 index) internal pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := calldataload(add(mload(add(batch, BATCH_PRICES)), shl(5, index)))
        }
    }

    /// @notice `size` bytes of zeroed memory.
    function alloc(uint256 size) internal pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, size))
            // Reading past the end of calldata yields zeros: a cheap memset.
            calldatacopy(p, calldatasize(), size)
        }
    }

    /// @notice The word at `p`, a pointer into a batch (memory `alloc` allocated).
    function load(uint256 p) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := mload(p)
        }
    }

    /// @notice Writes the word at `p`, a pointer into a batch (memory `alloc` allocated).
    function store(uint256 p, uint256 value) internal pure {
        assembly ("memory-safe") {
            mstore(p, value)
        }
    }

    /// @notice Checked `+=` on a memory word (sums of amounts never wrap silently).
    function add(uint256 p, uint256 amount) internal pure {
        store(p, load(p) + amount);
    }
}
