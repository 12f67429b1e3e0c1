// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderLib} from "../../contracts/libraries/OrderLib.sol";

/// @title OrderLimitSymbolic
/// @notice halmos: `OrderLib.meetsLimit` (the limit-price check of every settled trade) is the
/// exact comparison `bought * sellAmount >= sold * buyAmount` of the full 512-bit products.
contract OrderLimitSymbolic {
    /// @dev The reference: both products as 512-bit numbers from 128-bit limbs (schoolbook).
    function _mul512(uint256 a, uint256 b) private pure returns (uint256 hi, uint256 lo) {
        uint256 a1 = a >> 128;
        uint256 a0 = a & type(uint128).max;
        uint256 b1 = b >> 128;
        uint256 b0 = b & type(uint128).max;
        uint256 low = a0 * b0;
        uint256 mid1 = a1 * b0;
        uint256 mid2 = a0 * b1;
        uint256 high = a1 * b1;
        unchecked {
            // The middle terms are added 128 bits up, their carries into `hi`.
            uint256 mid = mid1 + mid2;
            uint256 midCarry = mid < mid1 ? 1 : 0;
            lo = low + (mid << 128);
            uint256 loCarry = lo < low ? 1 : 0;
            hi = high + (mid >> 128) + (midCarry << 128) + loCarry;
        }
    }

    function check_meetsLimit_isExact(
        uint256 bought,
        uint256 sellAmount,
        uint256 sold,
        uint256 buyAmount
    ) external pure {
        (uint256 hi1, uint256 lo1) = _mul512(bought, sellAmount);
        (uint256 hi2, uint256 lo2) = _mul512(sold, buyAmount);
        bool exact = hi1 > hi2 || (hi1 == hi2 && lo1 >= lo2);
        assert(OrderLib.meetsLimit(bought, sellAmount, sold, buyAmount) == exact);
    }

    function check_meetsLimit_small(
        uint128 bought,
        uint128 sellAmount,
        uint128 sold,
        uint128 buyAmount
    ) external pure {
        bool exact = uint256(bought) * sellAmount >= uint256(sold) * buyAmount;
        assert(OrderLib.meetsLimit(bought, sellAmount, sold, buyAmount) == exact);
    }
}
