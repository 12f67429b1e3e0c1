// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderLib} from "../../contracts/libraries/OrderLib.sol";

/// @title OrderLimitSymbolic
/// @notice halmos: `OrderLib.meetsLimit` (the limit-price check of every settled trade) is the
/// exact comparison `bought * sellAmount >= sold * buyAmount` of the full 512-bit products: for
/// any 128-bit amounts (products below 2**256), and for full-width amounts against 8-bit ones
/// (products above 2**256). Four full-width inputs at once are beyond the solver's budget; the
/// forge tests cover them (`test_settle_limitCheckFullPrecision`).
contract OrderLimitSymbolic {
    function check_meetsLimit_small(
        uint128 bought,
        uint128 sellAmount,
        uint128 sold,
        uint128 buyAmount
    ) external pure {
        bool exact = uint256(bought) * sellAmount >= uint256(sold) * buyAmount;
        assert(OrderLib.meetsLimit(bought, sellAmount, sold, buyAmount) == exact);
    }

    /// @dev `a * b` as a 512-bit number [hi lo], for `b` below 2**8: `a = h 2**128 + l`, so
    /// `a b = (h b) 2**128 + l b` with both products below 2**136.
    function _mulNarrow(uint256 a, uint256 b) private pure returns (uint256 hi, uint256 lo) {
        uint256 hb = (a >> 128) * b;
        uint256 lb = (a & type(uint128).max) * b;
        unchecked {
            uint256 shifted = hb << 128;
            lo = shifted + lb;
            hi = (hb >> 128) + (lo < shifted ? 1 : 0);
        }
    }

    /// @dev Full-width amounts against 8-bit ones: products up to 2**264, so the high words
    /// decide or tie.
    function check_meetsLimit_wide(uint256 bought, uint8 sellAmount, uint256 sold, uint8 buyAmount)
        external
        pure
    {
        (uint256 hi1, uint256 lo1) = _mulNarrow(bought, sellAmount);
        (uint256 hi2, uint256 lo2) = _mulNarrow(sold, buyAmount);
        bool exact = hi1 > hi2 || (hi1 == hi2 && lo1 >= lo2);
        assert(OrderLib.meetsLimit(bought, sellAmount, sold, buyAmount) == exact);
    }
}
