// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IPool
/// @notice A constant-product (x * y = k) pool of two tokens at one fee tier; its LP shares are
/// an ERC-20 with EIP-2612 permit (solady `ERC20`, name "crossbook LP", version "1").
/// @dev Low-level like a Uniswap v2 pair: callers send tokens first, then call `mint`, `burn` or
/// `swap`, which measure balances against the stored reserves. Use the `Router` unless you
/// are a contract that does its own accounting. Every state-changing function is behind one
/// transient reentrancy lock, and `getReserves` reverts while the lock is held (read-only
/// reentrancy). The pool's spot price is never read as an oracle by crossbook; the time-weighted
/// accumulator `logPriceCumulative` is the only price a third party should consume.
interface IPool {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Only the factory may call this.
    /// @param caller The sender of the call.
    error NotFactory(address caller);
    /// @notice `mint` would give `to` no LP shares (deposit too small, or one side missing).
    error InsufficientLiquidityMinted();
    /// @notice `burn` would pay out zero of a token (no LP shares were sent to the pool).
    error InsufficientLiquidityBurned();
    /// @notice `swap` asked for no output.
    error InsufficientOutputAmount();
    /// @notice `swap` asked for `amountOut`, but the pool only holds `reserve` of that token.
    /// @param amountOut The output asked for.
    /// @param reserve The pool's reserve of that token.
    error InsufficientLiquidity(uint256 amountOut, uint256 reserve);
    /// @notice `swap` found no input: tokens must be sent to the pool before calling it.
    error InsufficientInputAmount();
    /// @notice The swap would decrease k (after the fee): not enough input for the output.
    /// @param balance0 The pool's token0 balance after the payout.
    /// @param balance1 The pool's token1 balance after the payout.
    error KInvariant(uint256 balance0, uint256 balance1);
    /// @notice `to` is one of the pool's own tokens.
    /// @param to The receiver given.
    error InvalidTo(address to);
    /// @notice A token balance exceeds `type(uint112).max`; `skim` the excess.
    /// @param balance0 The pool's token0 balance.
    /// @param balance1 The pool's token1 balance.
    error BalanceOverflow(uint256 balance0, uint256 balance1);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `sender` added `amount0`/`amount1`; `liquidity` shares were minted to `to`.
    /// @param sender The caller of `mint`.
    /// @param to The receiver of the shares.
    /// @param amount0 The token0 deposited.
    /// @param amount1 The token1 deposited.
    /// @param liquidity The shares minted to `to`.
    event Mint(
        address indexed sender,
        address indexed to,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity
    );
    /// @notice `sender` burned `liquidity` shares for `amount0`/`amount1`, paid to `to`.
    /// @param sender The caller of `burn`.
    /// @param to The receiver of the tokens.
    /// @param amount0 The token0 paid out.
    /// @param amount1 The token1 paid out.
    /// @param liquidity The shares burned.
    event Burn(
        address indexed sender,
        address indexed to,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity
    );
    /// @notice A swap: `amount0`/`amount1` are the pool's net balance changes (positive = the
    /// pool received the token, negative = it paid it to `to`).
    /// @param sender The caller of `swap`.
    /// @param to The receiver of the output.
    /// @param amount0 The pool's token0 balance change.
    /// @param amount1 The pool's token1 balance change.
    event Swap(address indexed sender, address indexed to, int256 amount0, int256 amount1);
    /// @notice The reserves after every change (mint, burn, swap, sync); an indexer rebuilds
    /// reserves from these alone.
    /// @param reserve0 The token0 reserve.
    /// @param reserve1 The token1 reserve.
    event Sync(uint112 reserve0, uint112 reserve1);
    /// @notice The factory owner switched the protocol fee on or off for this pool.
    /// @param on Whether the protocol fee is on now.
    event ProtocolFeeSet(bool on);

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Mints LP shares to `to` for the tokens sent to the pool since the last update.
    /// @dev First mint: `sqrt(amount0 * amount1) - MINIMUM_LIQUIDITY`, and `MINIMUM_LIQUIDITY`
    /// shares are minted to `address(0)` for ever (first-depositor inflation defence). Later:
    /// `min(amount0 * supply / reserve0, amount1 * supply / reserve1)` (floor): an unbalanced
    /// deposit donates the excess to the pool; the router sends optimal amounts.
    /// @param to The receiver of the shares.
    /// @return liquidity The shares minted to `to`.
    function mint(address to) external returns (uint256 liquidity);

    /// @notice Burns the LP shares held by the pool (sent to it first) and pays `to` its share
    /// of both balances: `liquidity * balance / supply`, rounded down.
    /// @param to The receiver of the tokens.
    /// @return amount0 The token0 paid to `to`.
    /// @return amount1 The token1 paid to `to`.
    function burn(address to) external returns (uint256 amount0, uint256 amount1);

    /// @notice Pays `amount0Out`/`amount1Out` to `to`; the input must already be in the pool.
    /// @dev Checks `(b0 * 10_000 - in0 * fee) * (b1 * 10_000 - in1 * fee) >= r0 * r1 * 10_000**2`
    /// (the fee is taken from the input and stays in the pool for the LPs). No flash-swap
    /// callback: output is paid only against input already received.
    /// @param amount0Out The token0 to pay out.
    /// @param amount1Out The token1 to pay out.
    /// @param to The receiver of the output (not a pool token).
    function swap(uint256 amount0Out, uint256 amount1Out, address to) external;

    /// @notice Sends any balance above the reserves (donations, dust) to `to`.
    /// @param to The receiver of the excess.
    function skim(address to) external;

    /// @notice Sets the reserves to the balances (accepts a donation).
    function sync() external;

    /// @notice Factory only: switch the protocol fee (1/6 of the growth of sqrt(k), minted as
    /// LP shares to the factory's `feeTo` on the next mint or burn) on or off.
    /// @dev Switching on starts accrual from the current reserves; switching off forfeits any
    /// accrued, unminted protocol fee to the LPs.
    /// @param on Whether the protocol fee accrues.
    function setProtocolFee(bool on) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The factory that deployed the pool.
    /// @return The AMM factory.
    function factory() external view returns (address);

    /// @notice The lower-addressed token.
    /// @return The token0 address.
    function token0() external view returns (address);

    /// @notice The higher-addressed token.
    /// @return The token1 address.
    function token1() external view returns (address);

    /// @notice The swap fee in basis points of the input (e.g. 30 = 0.30%).
    /// @return The fee tier.
    function fee() external view returns (uint16);

    /// @notice Reserves and the block timestamp (mod 2**32) of the last update.
    /// @dev Reverts `Reentrancy()` while a pool action is running (read-only reentrancy).
    /// @return reserve0 The token0 reserve.
    /// @return reserve1 The token1 reserve.
    /// @return blockTimestampLast The block timestamp (mod 2**32) of the last update.
    function getReserves()
        external
        view
        returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);

    /// @notice Sum over time of `ln(reserve1 / reserve0)` (WAD, 1e18) times the seconds it held,
    /// updated at the first action of each block. The time-weighted geometric mean price of
    /// token0 in token1 between two observations is `exp(delta / (elapsed * 1e18))`; its
    /// inverse is the price of token1 in token0. Overflow wraps (subtract modulo 2**256).
    /// @return The accumulator.
    function logPriceCumulative() external view returns (int256);

    /// @notice `reserve0 * reserve1` after the last mint or burn while the protocol fee is on.
    /// @return The product, or 0.
    function kLast() external view returns (uint256);

    /// @notice Whether the protocol fee is on.
    /// @return True while it accrues.
    function protocolFeeOn() external view returns (bool);

    /// @notice LP shares locked at `address(0)` by the first mint.
    /// @return The locked shares.
    function MINIMUM_LIQUIDITY() external view returns (uint256);
}
