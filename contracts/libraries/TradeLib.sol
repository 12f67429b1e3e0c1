// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";
import {OrderLib} from "./OrderLib.sol";

/// @title TradeLib
/// @notice Reads `ISettlement.TradeData` fields straight from calldata by pointer.
/// @dev Settling reads every field of every trade, and Solidity's checked accessors cost about
/// 50 gas each (offset and bound checks), a few thousand gas per fill in all. Reading the words
/// directly is safe here because everything read is authenticated: the order fields are hashed
/// into the uid the owner signed, so a malformed or overlapping encoding can only produce an
/// order nobody signed. Narrow fields are still checked for dirty upper bits (`validate`), as
/// the ABI decoder would, so a value is never used in one width and hashed in another.
library TradeLib {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @dev Byte offsets of the `TradeData` head words (the ABI tuple order).
    uint256 internal constant SELL_INDEX = 0x00;
    uint256 internal constant BUY_INDEX = 0x20;
    uint256 internal constant OWNER = 0x40;
    uint256 internal constant RECEIVER = 0x60;
    uint256 internal constant SELL_AMOUNT = 0x80;
    uint256 internal constant BUY_AMOUNT = 0xa0;
    uint256 internal constant FEE_AMOUNT = 0xc0;
    uint256 internal constant VALID_TO = 0xe0;
    uint256 internal constant NONCE = 0x100;
    uint256 internal constant FLAGS = 0x120;
    uint256 internal constant SIGNING_SCHEME = 0x140;
    uint256 internal constant EXECUTED = 0x160;
    uint256 internal constant SIGNATURE = 0x180;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Calldata pointer to `trades[i]`; the caller keeps `i < trades.length`.
    function at(ISettlement.TradeData[] calldata trades, uint256 i)
        internal
        pure
        returns (uint256 t)
    {
        /// @solidity memory-safe-assembly
        assembly {
            t := add(trades.offset, calldataload(add(trades.offset, shl(5, i))))
        }
    }

    /// @notice The head word at byte offset `field` of the trade at `t`.
    function word(uint256 t, uint256 field) internal pure returns (uint256 value) {
        /// @solidity memory-safe-assembly
        assembly {
            value := calldataload(add(t, field))
        }
    }

    /// @notice Reverts (empty data, like the ABI decoder) if a narrow field has dirty upper bits.
    function validate(uint256 t) internal pure {
        /// @solidity memory-safe-assembly
        assembly {
            let dirty := shr(8, calldataload(t)) // sellTokenIndex: uint8
            dirty := or(dirty, shr(8, calldataload(add(t, 0x20)))) // buyTokenIndex: uint8
            dirty := or(dirty, shr(160, calldataload(add(t, 0x40)))) // owner
            dirty := or(dirty, shr(160, calldataload(add(t, 0x60)))) // receiver
            dirty := or(dirty, shr(32, calldataload(add(t, 0xe0)))) // validTo: uint32
            dirty := or(dirty, shr(8, calldataload(add(t, 0x120)))) // flags: uint8
            dirty := or(dirty, shr(8, calldataload(add(t, 0x140)))) // signingScheme: uint8
            if dirty { revert(0, 0) }
        }
    }

    /// @notice The trade's `signature` bytes as a calldata slice.
    // Reason: slither reads the assignments of `sig.offset` and `sig.length` (two different
    // members of a calldata slice) as two writes of `sig`.
    // slither-disable-next-line write-after-write
    function signature(uint256 t) internal pure returns (bytes calldata sig) {
        /// @solidity memory-safe-assembly
        assembly {
            let p := add(t, calldataload(add(t, 0x180)))
            sig.offset := add(p, 0x20)
            sig.length := calldataload(p)
        }
    }

    /// @notice EIP-712 struct hash of the order the trade at `t` executes.
    /// @dev Same words as `OrderLib.hash(Order)`: the token addresses replace the indices.
    function structHash(uint256 t, address sellToken, address buyToken)
        internal
        pure
        returns (bytes32 result)
    {
        bytes32 typeHash = OrderLib.TYPE_HASH;
        /// @solidity memory-safe-assembly
        assembly {
            let m := mload(0x40)
            mstore(m, typeHash)
            // head words 2..3 are `owner, receiver`
            calldatacopy(add(m, 0x20), add(t, 0x40), 0x40)
            mstore(add(m, 0x60), sellToken)
            mstore(add(m, 0x80), buyToken)
            // head words 4..9 are `sellAmount, buyAmount, feeAmount, validTo, nonce, flags`
            calldatacopy(add(m, 0xa0), add(t, 0x80), 0xc0)
            result := keccak256(m, 0x160)
        }
    }
}
