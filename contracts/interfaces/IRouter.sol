// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRouter
/// @notice Adds and removes liquidity and swaps through the factory's pools, with deadlines and
/// slippage limits on every call. Holds no funds between calls and no approvals of its own.
/// @dev Pools are found by CREATE2 address (no factory call). A multi-hop `path` is packed:
/// `token0 (20 bytes) ++ fee0 (uint16, 2 bytes) ++ token1 ++ fee1 ++ token2 ...`, 42 bytes for
/// one hop and 22 more per extra hop.
///
/// Fee-on-transfer tokens: the plain functions assume a token delivers what was sent; with a
/// fee-on-transfer token the pool then receives less than quoted and the swap reverts
/// `IPool.KInvariant` (or `IPool.InsufficientInputAmount`). Swapping such tokens is supported by
/// `swapExactInSupportingFeeOnTransfer`, which measures what each pool actually received and
/// checks `amountOutMin` against what `to` actually received. Exact-out swaps of them are not
/// supported. Adding liquidity works (the pool mints for what arrived); on removal,
/// `amountAMin`/`amountBMin` bound what the pool sends, before the token's fee.
interface IRouter {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice `addLiquidity`: up to `amountADesired`/`amountBDesired` of `tokenA`/`tokenB`
    /// into the pool of fee tier `fee`, each at least its `Min`, shares to `to`, before
    /// `deadline`.
    struct AddLiquidityParams {
        address tokenA;
        address tokenB;
        uint16 fee;
        uint256 amountADesired;
        uint256 amountBDesired;
        uint256 amountAMin;
        uint256 amountBMin;
        address to;
        uint256 deadline;
    }

    /// @notice `removeLiquidity`: burn `liquidity` shares of the `tokenA`/`tokenB` pool of fee
    /// tier `fee` for at least `amountAMin`/`amountBMin`, paid to `to`, before `deadline`.
    struct RemoveLiquidityParams {
        address tokenA;
        address tokenB;
        uint16 fee;
        uint256 liquidity;
        uint256 amountAMin;
        uint256 amountBMin;
        address to;
        uint256 deadline;
    }

    /// @notice An EIP-2612 permit of the pool's LP shares to the router.
    struct PermitSignature {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice `swapExactInSingle`: sell `amountIn` of `tokenIn` in the pool of fee tier `fee`
    /// for at least `amountOutMin` of `tokenOut`, paid to `to`, before `deadline`.
    struct ExactInSingleParams {
        address tokenIn;
        address tokenOut;
        uint16 fee;
        uint256 amountIn;
        uint256 amountOutMin;
        address to;
        uint256 deadline;
    }

    /// @notice `swapExactOutSingle`: buy `amountOut` of `tokenOut` in the pool of fee tier
    /// `fee` for at most `amountInMax` of `tokenIn`, paid to `to`, before `deadline`.
    struct ExactOutSingleParams {
        address tokenIn;
        address tokenOut;
        uint16 fee;
        uint256 amountOut;
        uint256 amountInMax;
        address to;
        uint256 deadline;
    }

    /// @notice `swapExactIn`: sell `amountIn` of the first token of `path` for at least
    /// `amountOutMin` of its last, paid to `to`, before `deadline`.
    struct ExactInParams {
        bytes path;
        uint256 amountIn;
        uint256 amountOutMin;
        address to;
        uint256 deadline;
    }

    /// @notice `swapExactOut`: buy `amountOut` of the last token of `path` for at most
    /// `amountInMax` of its first, paid to `to`, before `deadline`.
    struct ExactOutParams {
        bytes path;
        uint256 amountOut;
        uint256 amountInMax;
        address to;
        uint256 deadline;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The call arrived after `deadline`.
    /// @param deadline The call's deadline.
    /// @param timestamp The block timestamp.
    error DeadlineExpired(uint256 deadline, uint256 timestamp);
    /// @notice No pool exists for `tokenA`/`tokenB` at fee tier `fee` (create it first).
    /// @param tokenA One token of the pair.
    /// @param tokenB The other token.
    /// @param fee The fee tier.
    error PoolNotFound(address tokenA, address tokenB, uint16 fee);
    /// @notice The path is not `20 + 22 * hops` bytes with at least one hop.
    /// @param length The path's length in bytes.
    error InvalidPath(uint256 length);
    /// @notice A swap would pay `amountOut`, below the caller's `amountOutMin`.
    /// @param amountOut The output.
    /// @param amountOutMin The caller's minimum.
    error InsufficientOutput(uint256 amountOut, uint256 amountOutMin);
    /// @notice A swap would cost `amountIn`, above the caller's `amountInMax`.
    /// @param amountIn The input needed.
    /// @param amountInMax The caller's maximum.
    error ExcessiveInput(uint256 amountIn, uint256 amountInMax);
    /// @notice Adding or removing liquidity would move `amount` of token A, below `amountMin`.
    /// @param amount The amount of token A.
    /// @param amountMin The caller's minimum.
    error InsufficientAAmount(uint256 amount, uint256 amountMin);
    /// @notice Adding or removing liquidity would move `amount` of token B, below `amountMin`.
    /// @param amount The amount of token B.
    /// @param amountMin The caller's minimum.
    error InsufficientBAmount(uint256 amount, uint256 amountMin);
    /// @notice The router's allowance of LP shares is below `liquidity` after the permit failed.
    /// @param pool The pool whose shares the permit was for.
    error PermitFailed(address pool);

    /*//////////////////////////////////////////////////////////////
                                LIQUIDITY
    //////////////////////////////////////////////////////////////*/

    /// @notice Deposits at the pool's current ratio: the desired amount of one token and the
    /// matching (floor) amount of the other, each at least its minimum. An empty pool takes
    /// both desired amounts. Mints the LP shares to `to`.
    /// @param params The pair, fee tier, amounts, minimums, receiver and deadline.
    /// @return amountA The token A deposited.
    /// @return amountB The token B deposited.
    /// @return liquidity The LP shares minted to `to`.
    function addLiquidity(AddLiquidityParams calldata params)
        external
        returns (uint256 amountA, uint256 amountB, uint256 liquidity);

    /// @notice Burns `liquidity` LP shares of the caller (approved to the router) and sends the
    /// tokens to `to`, each at least its minimum.
    /// @param params The pair, fee tier, shares, minimums, receiver and deadline.
    /// @return amountA The token A paid to `to`.
    /// @return amountB The token B paid to `to`.
    function removeLiquidity(RemoveLiquidityParams calldata params)
        external
        returns (uint256 amountA, uint256 amountB);

    /// @notice `removeLiquidity` with an EIP-2612 permit of the LP shares instead of an approval.
    /// @dev If the permit reverts (e.g. it was front-run and already used) the call proceeds
    /// when the allowance suffices anyway, and reverts `PermitFailed` otherwise.
    /// @param params As `removeLiquidity`.
    /// @param permit The caller's EIP-2612 permit of the pool's LP shares to the router.
    /// @return amountA The token A paid to `to`.
    /// @return amountB The token B paid to `to`.
    function removeLiquidityWithPermit(
        RemoveLiquidityParams calldata params,
        PermitSignature calldata permit
    ) external returns (uint256 amountA, uint256 amountB);

    /*//////////////////////////////////////////////////////////////
                                  SWAPS
    //////////////////////////////////////////////////////////////*/

    /// @notice Swaps exactly `amountIn` through one pool for at least `amountOutMin`.
    /// @param params The tokens, fee tier, amounts, receiver and deadline.
    /// @return amountOut The output paid to `to`.
    function swapExactInSingle(ExactInSingleParams calldata params)
        external
        returns (uint256 amountOut);

    /// @notice Swaps at most `amountInMax` through one pool for exactly `amountOut`.
    /// @param params The tokens, fee tier, amounts, receiver and deadline.
    /// @return amountIn The input pulled from the caller.
    function swapExactOutSingle(ExactOutSingleParams calldata params)
        external
        returns (uint256 amountIn);

    /// @notice Swaps exactly `amountIn` of the path's first token along `path` for at least
    /// `amountOutMin` of its last token.
    /// @param params The path, amounts, receiver and deadline.
    /// @return amountOut The output paid to `to`.
    function swapExactIn(ExactInParams calldata params) external returns (uint256 amountOut);

    /// @notice Swaps at most `amountInMax` of the path's first token along `path` for exactly
    /// `amountOut` of its last token.
    /// @param params The path, amounts, receiver and deadline.
    /// @return amountIn The input pulled from the caller.
    function swapExactOut(ExactOutParams calldata params) external returns (uint256 amountIn);

    /// @notice `swapExactIn` for fee-on-transfer tokens: each hop's input is what the pool
    /// actually received, and `amountOutMin` is checked on `to`'s balance increase.
    /// @param params The path, amounts, receiver and deadline.
    /// @return amountOut `to`'s balance increase of the last token.
    function swapExactInSupportingFeeOnTransfer(ExactInParams calldata params)
        external
        returns (uint256 amountOut);

    /*//////////////////////////////////////////////////////////////
                                 QUOTES
    //////////////////////////////////////////////////////////////*/

    /// @notice The factory whose pools the router uses.
    /// @return The AMM factory.
    function factory() external view returns (address);

    /// @notice The pool address of a pair and fee tier (CREATE2; it may not exist).
    /// @param tokenA One token of the pair.
    /// @param tokenB The other token (either order).
    /// @param fee The fee tier.
    /// @return The pool's address.
    function poolFor(address tokenA, address tokenB, uint16 fee) external view returns (address);

    /// @notice Output of exactly `amountIn` along `path` at the current reserves; `amounts[0]`
    /// is `amountIn`, `amounts[i + 1]` the output of hop `i`.
    /// @param amountIn The input of the first hop.
    /// @param path The packed path.
    /// @return amounts The input, then each hop's output.
    function getAmountsOut(uint256 amountIn, bytes calldata path)
        external
        view
        returns (uint256[] memory amounts);

    /// @notice Inputs needed for exactly `amountOut` along `path`; `amounts[hops]` is `amountOut`.
    /// @param amountOut The output of the last hop.
    /// @param path The packed path.
    /// @return amounts Each hop's input, then the output.
    function getAmountsIn(uint256 amountOut, bytes calldata path)
        external
        view
        returns (uint256[] memory amounts);

    /// @notice `PoolMath.getAmountOut`: `floor(amountIn * (10_000 - fee) * reserveOut /
    /// (reserveIn * 10_000 + amountIn * (10_000 - fee)))`.
    /// @param amountIn The input.
    /// @param reserveIn The pool's reserve of the input token.
    /// @param reserveOut The pool's reserve of the output token.
    /// @param fee The fee tier, in basis points.
    /// @return amountOut The output.
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint16 fee)
        external
        pure
        returns (uint256 amountOut);

    /// @notice `PoolMath.getAmountIn`: `ceil(reserveIn * amountOut * 10_000 /
    /// ((reserveOut - amountOut) * (10_000 - fee)))`, the least input the k check accepts.
    /// @param amountOut The output.
    /// @param reserveIn The pool's reserve of the input token.
    /// @param reserveOut The pool's reserve of the output token.
    /// @param fee The fee tier, in basis points.
    /// @return amountIn The input needed.
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut, uint16 fee)
        external
        pure
        returns (uint256 amountIn);

    /// @notice `PoolMath.quote`: `floor(amountA * reserveB / reserveA)`.
    /// @param amountA An amount of token A.
    /// @param reserveA The pool's reserve of token A.
    /// @param reserveB The pool's reserve of token B.
    /// @return amountB The amount of token B of the same value at the reserves' ratio.
    function quote(uint256 amountA, uint256 reserveA, uint256 reserveB)
        external
        pure
        returns (uint256 amountB);
}
