// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice One resting order of an `OrderBook`: `side << 48 | tick << 32 | index`, where `index`
/// is the order's position in its price level's FIFO queue (0 for the first order ever placed
/// at that level). Unique per book for the book's lifetime: indices are never reused.
type OrderId is uint256;

/// @notice A market: `keccak256(abi.encode(base, quote, tickSize, lotSize, minLots))`.
type MarketId is bytes32;

using OrderIdLib for OrderId global;

/// @title OrderIdLib
/// @notice Packs and unpacks `OrderId`.
library OrderIdLib {
    /// @dev `side` is 0 (bid) or 1 (ask); the caller guarantees it.
    function encode(uint8 side_, uint16 tick_, uint32 index_) internal pure returns (OrderId) {
        return OrderId.wrap((uint256(side_) << 48) | (uint256(tick_) << 32) | uint256(index_));
    }

    /// @dev 0 = bid, 1 = ask; anything above bit 48 makes the id invalid (checked by `isValid`).
    function side(OrderId id) internal pure returns (uint8) {
        return uint8(OrderId.unwrap(id) >> 48);
    }

    function tick(OrderId id) internal pure returns (uint16) {
        return uint16(OrderId.unwrap(id) >> 32);
    }

    function index(OrderId id) internal pure returns (uint32) {
        return uint32(OrderId.unwrap(id));
    }

    /// @dev The id names a side 0 or 1 and nothing above it.
    function isValid(OrderId id) internal pure returns (bool) {
        return OrderId.unwrap(id) >> 48 <= 1;
    }
}
