// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoolMath} from "../../contracts/libraries/PoolMath.sol";

/// @title PoolMathSymbolic
/// @notice halmos: the pool's quotes round in the pool's favour, so the k check `Pool.swap`
/// applies (fee-adjusted balances, scale `FEE_DENOMINATOR ** 2`) never fails on a quoted trade
/// and `k` never decreases. Amounts and reserves are bounded to 16 bits (products of symbolic
/// words are the solver's limit); the Python model and the forge fuzz tests cover the full
/// `uint112` range.
contract PoolMathSymbolic {
    uint256 private constant _D = PoolMath.FEE_DENOMINATOR;

    /// @dev `Pool.swap`'s k check for `amountIn` in and `amountOut` out.
    function _kHolds(uint256 amountIn, uint256 amountOut, uint256 rIn, uint256 rOut, uint256 fee)
        private
        pure
        returns (bool)
    {
        uint256 adjustedIn = (rIn + amountIn) * _D - amountIn * fee;
        uint256 adjustedOut = (rOut - amountOut) * _D;
        return adjustedIn * adjustedOut >= rIn * rOut * _D * _D;
    }

    function check_getAmountOut_keepsK(uint16 amountIn, uint16 rIn, uint16 rOut, uint16 fee)
        external
        pure
    {
        if (amountIn == 0 || rIn == 0 || rOut == 0 || fee >= _D) return;
        uint256 out = PoolMath.getAmountOut(amountIn, rIn, rOut, fee);
        assert(out < rOut);
        assert(_kHolds(amountIn, out, rIn, rOut, fee));
        // Rounded down: every token the exact quote's fraction would add is the pool's.
        uint256 withFee = uint256(amountIn) * (_D - fee);
        assert(out * (uint256(rIn) * _D + withFee) <= withFee * rOut);
    }

    function check_getAmountIn_keepsK(uint16 amountOut, uint16 rIn, uint16 rOut, uint16 fee)
        external
        pure
    {
        if (amountOut == 0 || rIn == 0 || amountOut >= rOut || fee >= _D) return;
        uint256 amountIn = PoolMath.getAmountIn(amountOut, rIn, rOut, fee);
        assert(_kHolds(amountIn, amountOut, rIn, rOut, fee));
        // Rounded up, by less than one token: one token less would not pay for the output.
        assert(amountIn == 0 || !_kHoldsExact(amountIn - 1, amountOut, rIn, rOut, fee));
    }

    /// @dev `getAmountIn`'s own inequality, `(rOut - out)(D - fee) in >= rIn out D`, which the
    /// k check relaxes by the rounding of the fee-adjusted input.
    function _kHoldsExact(
        uint256 amountIn,
        uint256 amountOut,
        uint256 rIn,
        uint256 rOut,
        uint256 fee
    ) private pure returns (bool) {
        return (rOut - amountOut) * (_D - fee) * amountIn >= rIn * amountOut * _D;
    }

    function check_liquidityForAmounts_noFreeShares(
        uint16 amount0,
        uint16 amount1,
        uint16 reserve0,
        uint16 reserve1,
        uint16 supply
    ) external pure {
        if (supply == 0 || reserve0 == 0 || reserve1 == 0) return;
        uint256 shares = PoolMath.liquidityForAmounts(amount0, amount1, reserve0, reserve1, supply);
        // Never more than the deposit's share of either reserve.
        assert(shares * reserve0 <= uint256(amount0) * supply);
        assert(shares * reserve1 <= uint256(amount1) * supply);
    }
}
