// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title PoolMath
/// @notice Constant-product quotes and LP share amounts; `src/crossbook/amm/math.py` is the same
/// math in Python, equal to the wei (differential tests in `tests/amm`).
/// @dev Fees are in basis points of the input (`FEE_DENOMINATOR = 10_000`). With reserves below
/// 2**112 every product in the pool's k check stays below 2**256. Overflow in a quote on absurd
/// inputs reverts (checked arithmetic); the Python model raises the same way.
library PoolMath {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice A quote for a zero amount.
    error ZeroAmount();
    /// @notice A quote against a pool with a zero reserve.
    error ZeroReserves();
    /// @notice `amountOut` is not below the output reserve `reserveOut`.
    error AmountOutExceedsReserve(uint256 amountOut, uint256 reserveOut);

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @dev Fees are expressed in basis points.
    uint256 internal constant FEE_DENOMINATOR = 10_000;
    /// @dev LP shares locked for ever by the first mint.
    uint256 internal constant MINIMUM_LIQUIDITY = 1000;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Output for exactly `amountIn`, rounded down (the pool keeps the dust).
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        internal
        pure
        returns (uint256)
    {
        if (amountIn == 0) revert ZeroAmount();
        if (reserveIn == 0 || reserveOut == 0) revert ZeroReserves();
        uint256 amountInWithFee = amountIn * (FEE_DENOMINATOR - fee);
        return (amountInWithFee * reserveOut) / (reserveIn * FEE_DENOMINATOR + amountInWithFee);
    }

    /// @notice Least input the k check accepts for exactly `amountOut` (rounded up).
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut, uint256 fee)
        internal
        pure
        returns (uint256)
    {
        if (amountOut == 0) revert ZeroAmount();
        if (reserveIn == 0 || reserveOut == 0) revert ZeroReserves();
        if (amountOut >= reserveOut) revert AmountOutExceedsReserve(amountOut, reserveOut);
        uint256 numerator = reserveIn * amountOut * FEE_DENOMINATOR;
        // Reverts `DivFailed` for a 100% fee (zero denominator).
        return
            FixedPointMathLib.divUp(numerator, (reserveOut - amountOut) * (FEE_DENOMINATOR - fee));
    }

    /// @notice `amountA` of token A priced in token B at the reserves' ratio, rounded down.
    function quote(uint256 amountA, uint256 reserveA, uint256 reserveB)
        internal
        pure
        returns (uint256)
    {
        if (amountA == 0) revert ZeroAmount();
        if (reserveA == 0 || reserveB == 0) revert ZeroReserves();
        return (amountA * reserveB) / reserveA;
    }

    /// @notice LP shares for depositing `amount0`/`amount1` (0 if too small to mint any).
    /// @dev First deposit (`supply == 0`): `sqrt(amount0 * amount1) - MINIMUM_LIQUIDITY`, the
    /// caller mints `MINIMUM_LIQUIDITY` more to `address(0)`. Amounts must be below 2**128.
    function liquidityForAmounts(
        uint256 amount0,
        uint256 amount1,
        uint256 reserve0,
        uint256 reserve1,
        uint256 supply
    ) internal pure returns (uint256) {
        if (supply == 0) {
            uint256 root = FixedPointMathLib.sqrt(amount0 * amount1);
            unchecked {
                // Guarded by the comparison.
                return root > MINIMUM_LIQUIDITY ? root - MINIMUM_LIQUIDITY : 0;
            }
        }
        return FixedPointMathLib.min((amount0 * supply) / reserve0, (amount1 * supply) / reserve1);
    }

    /// @notice Protocol-fee shares: 1/6 of the growth of `sqrt(k)` since `kLast`, as shares.
    function protocolFeeLiquidity(uint256 k, uint256 kLast, uint256 supply)
        internal
        pure
        returns (uint256)
    {
        uint256 rootK = FixedPointMathLib.sqrt(k);
        uint256 rootKLast = FixedPointMathLib.sqrt(kLast);
        if (rootK <= rootKLast) return 0;
        unchecked {
            // `rootK > rootKLast`; roots of products of uint112s are below 2**112.
            return (supply * (rootK - rootKLast)) / (5 * rootK + rootKLast);
        }
    }
}
