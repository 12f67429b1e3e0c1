// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title OrderLib
/// @notice EIP-712 struct hashing of crossbook orders, order flags and the exact limit-price check.
/// @dev See `docs/orders.md`. The hashers write into scratch memory above the free memory
/// pointer without moving it.
library OrderLib {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 type hash of the order:
    /// ```
    /// keccak256(
    ///     "Order(address owner,address receiver,address sellToken,address buyToken,"
    ///     "uint256 sellAmount,uint256 buyAmount,uint256 feeAmount,uint32 validTo,"
    ///     "uint256 nonce,uint8 flags)"
    /// )
    /// ```
    bytes32 internal constant TYPE_HASH =
        0x2727ee4a23f8500a1c4080aee8d6e1366341264fcc8d702dfbd3617e2e70fc02;

    /// @notice Flag bit 0: the order may fill in several parts (its nonce is then a salt).
    uint256 internal constant PARTIALLY_FILLABLE = 1;
    /// @notice Flag bit 1: sold tokens come from the owner's internal balance.
    uint256 internal constant SELL_FROM_INTERNAL = 2;
    /// @notice Flag bit 2: bought tokens are credited to the receiver's internal balance.
    uint256 internal constant BUY_TO_INTERNAL = 4;
    /// @notice Every defined flag bit; any other bit makes the order invalid.
    uint256 internal constant ALL_FLAGS = 7;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice EIP-712 struct hash of an order.
    /// @dev Reverts (empty) on dirty upper bits in a narrow field, like the ABI decoder would.
    function hash(ISettlement.Order calldata order) internal pure returns (bytes32 structHash) {
        assembly ("memory-safe") {
            // The order is static: ten words, in type-string order, at `order`.
            let dirty := or(shr(160, calldataload(order)), shr(160, calldataload(add(order, 0x20))))
            dirty := or(dirty, shr(160, calldataload(add(order, 0x40))))
            dirty := or(dirty, shr(160, calldataload(add(order, 0x60))))
            dirty := or(dirty, shr(32, calldataload(add(order, 0xe0))))
            dirty := or(dirty, shr(8, calldataload(add(order, 0x120))))
            if dirty { revert(0, 0) }
            let m := mload(0x40)
            mstore(m, TYPE_HASH)
            calldatacopy(add(m, 0x20), order, 0x140)
            structHash := keccak256(m, 0x160)
        }
    }

    /// @notice Whether `bought * sellAmount >= sold * buyAmount`, compared on 512-bit products.
    function meetsLimit(uint256 bought, uint256 sellAmount, uint256 sold, uint256 buyAmount)
        internal
        pure
        returns (bool result)
    {
        assembly ("memory-safe") {
            // 512-bit products [hi lo] via the mulmod trick (Remco Bloemen's mulDiv).
            let lo1 := mul(bought, sellAmount)
            let mm1 := mulmod(bought, sellAmount, not(0))
            let hi1 := sub(sub(mm1, lo1), lt(mm1, lo1))
            let lo2 := mul(sold, buyAmount)
            let mm2 := mulmod(sold, buyAmount, not(0))
            let hi2 := sub(sub(mm2, lo2), lt(mm2, lo2))
            result := or(gt(hi1, hi2), and(eq(hi1, hi2), iszero(lt(lo1, lo2))))
        }
    }
}
