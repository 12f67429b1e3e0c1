// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";
import {OrderLib} from "./OrderLib.sol";

/*//////////////////////////////////////////////////////////////
                            TRADE LAYOUT
//////////////////////////////////////////////////////////////*/

// The calldata layout of `ISettlement.TradeData`, defined once for Solidity and assembly alike.
// File-level constants with literal values, because inline assembly can name only those (it
// cannot read `SomeLibrary.CONSTANT`).

/// @dev Bytes per trade in calldata (nine words).
uint256 constant TRADE_SIZE = 0x120;

/// @dev Byte offsets of the `TradeData` words.
uint256 constant TRADE_PACKED = 0x00;
uint256 constant TRADE_RECEIVER = 0x20;
uint256 constant TRADE_SELL_AMOUNT = 0x40;
uint256 constant TRADE_BUY_AMOUNT = 0x60;
uint256 constant TRADE_FEE_AMOUNT = 0x80;
uint256 constant TRADE_NONCE = 0xa0;
uint256 constant TRADE_EXECUTED = 0xc0;
uint256 constant TRADE_R = 0xe0;
uint256 constant TRADE_S = 0x100;

/// @dev Bit offsets of the fields of `packed` (owner is bits 0..159).
uint256 constant TRADE_VALID_TO_SHIFT = 160;
uint256 constant TRADE_SELL_INDEX_SHIFT = 192;
uint256 constant TRADE_BUY_INDEX_SHIFT = 200;
uint256 constant TRADE_FLAGS_SHIFT = 208;
uint256 constant TRADE_SCHEME_SHIFT = 216;
uint256 constant TRADE_V_SHIFT = 224;
uint256 constant TRADE_PAYEE_SHIFT = 232;
/// @dev Bits 248..255 of `packed` must be zero.
uint256 constant TRADE_UNUSED_SHIFT = 248;

/// @title TradeLib
/// @notice Reads `ISettlement.TradeData` (nine static words, narrow fields packed into the
/// first) straight from calldata by pointer.
/// @dev Settling reads every field of every trade, and Solidity's checked accessors repeat a
/// bound check and a cleanup on each read. Reading raw words is safe here: `TradeData[]` is an
/// array of static tuples, so the ABI decoder already checked that all `count * TRADE_SIZE`
/// bytes lie inside calldata, and every order field read is hashed into the uid its owner
/// signed, so a malformed encoding can only produce an order nobody signed. Dirty upper bits
/// (in `receiver` and the top byte of `packed`) revert with empty data, like the ABI decoder
/// would, so a value is never used in one width and hashed in another.
library TradeLib {
    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Calldata pointer to `trades[0]` (trades are `TRADE_SIZE` bytes apart).
    function first(ISettlement.TradeData[] calldata trades) internal pure returns (uint256 t) {
        assembly ("memory-safe") {
            t := trades.offset
        }
    }

    /// @notice Calldata pointer to `trades[i]`; the caller keeps `i < trades.length`.
    function at(ISettlement.TradeData[] calldata trades, uint256 i)
        internal
        pure
        returns (uint256 t)
    {
        assembly ("memory-safe") {
            t := add(trades.offset, mul(i, TRADE_SIZE))
        }
    }

    /// @notice The word at byte offset `field` of the trade at `t`.
    function word(uint256 t, uint256 field) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := calldataload(add(t, field))
        }
    }

    /// @notice The packed word of the trade at `t`; reverts (empty data) if its top byte is set.
    function packed(uint256 t) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := calldataload(t)
            if shr(TRADE_UNUSED_SHIFT, value) { revert(0, 0) }
        }
    }

    /// @notice The 8-bit field of `packedWord` at bit `shift`.
    function byteAt(uint256 packedWord, uint256 shift) internal pure returns (uint256) {
        return (packedWord >> shift) & 0xff;
    }

    function owner(uint256 packedWord) internal pure returns (address) {
        return address(uint160(packedWord));
    }

    function validTo(uint256 packedWord) internal pure returns (uint256) {
        return (packedWord >> TRADE_VALID_TO_SHIFT) & 0xffffffff;
    }

    /// @notice 0, or 1 + the index of the trade this trade pays directly.
    function payee(uint256 packedWord) internal pure returns (uint256) {
        return (packedWord >> TRADE_PAYEE_SHIFT) & 0xffff;
    }

    /// @notice The receiver of the trade at `t` (the owner if zero); reverts on dirty bits.
    function receiver(uint256 t, uint256 packedWord) internal pure returns (address r) {
        assembly ("memory-safe") {
            r := calldataload(add(t, TRADE_RECEIVER))
            if shr(160, r) { revert(0, 0) }
            if iszero(r) {
                r := and(packedWord, 0xffffffffffffffffffffffffffffffffffffffff)
            }
        }
    }

    /// @notice EIP-712 struct hash of the order the trade at `t` executes.
    /// @dev The same words as `OrderLib.hash(Order)`, rebuilt from the packed encoding: the
    /// token addresses replace the indices. Reverts (empty data) on a dirty `receiver`.
    function structHash(uint256 t, uint256 packedWord, address sellToken, address buyToken)
        internal
        pure
        returns (bytes32 result)
    {
        bytes32 typeHash = OrderLib.TYPE_HASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), and(packedWord, 0xffffffffffffffffffffffffffffffffffffffff))
            let r := calldataload(add(t, TRADE_RECEIVER))
            if shr(160, r) { revert(0, 0) }
            mstore(add(m, 0x40), r)
            mstore(add(m, 0x60), sellToken)
            mstore(add(m, 0x80), buyToken)
            // sellAmount, buyAmount, feeAmount are consecutive words
            calldatacopy(add(m, 0xa0), add(t, TRADE_SELL_AMOUNT), 0x60)
            mstore(add(m, 0x100), and(shr(TRADE_VALID_TO_SHIFT, packedWord), 0xffffffff))
            mstore(add(m, 0x120), calldataload(add(t, TRADE_NONCE)))
            mstore(add(m, 0x140), and(shr(TRADE_FLAGS_SHIFT, packedWord), 0xff))
            result := keccak256(m, 0x160)
        }
    }
}
