// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketId} from "../types/BookIds.sol";

/// @title IHybridRouter
/// @notice One swap split between a market's on-chain order book and the constant-product pool
/// of the same pair, for the best total price: the router walks the book's best levels while a
/// level beats the pool's marginal price, takes them with one `IOrderBook.take`, and swaps the
/// rest in the pool. Exact input (`swapExactIn`, minimum out) or exact output (`swapExactOut`,
/// maximum in), buying base (`buyBase`: quote in, asks taken) or selling it (bids taken), with a
/// deadline. Holds no funds between calls.
/// @dev The split, for exact input `A` (exact output is the mirror image, in output units):
/// a level at tick `t` has a per-lot input `unitIn` (buy: `t * tickSize` quote; sell: `lotSize`
/// base) and output `unitOut` (the other one), and costs `unitIn * (1 + takerFee)` per lot. The
/// pool's marginal output per input after `a` input is `γ·x·y / (x + γ·a)²` (`x`, `y` the reserves
/// in → out, `γ = (10_000 - fee) / 10_000`); it equals the level's `unitOut / (unitIn·(1 + fee))`
/// at `a* = (√(γ·x·y·unitIn·(1 + takerFee) / unitOut) − x) / γ` (0 if the pool is already worse).
/// If the book input so far plus `a*` reaches `A`, the pool alone beats the level with the rest
/// and the walk stops; otherwise the level gets as many lots as fit in `A − a*` (all of them, or
/// the walk stops inside it) and the pool gets the rest. Every step is integer math (floor
/// `sqrt`, the 512-bit product saturating to "never" on overflow) that `crossbook.router` repeats
/// to the wei. Taking whole lots rounds the split by less than a lot's value at the margin.
///
/// Trust: pools are found by CREATE2 from `factory()` (a pool's address proves it came from our
/// factory) and books through `IBookFactory.bookOf` of `bookFactory()`; the router makes no other
/// calls than to them and to the two tokens. Work is bounded: at most `MAX_LEVELS` book levels
/// are read and taken, plus `HOLE_STEPS` holes crossed inside the last, partly taken level. If
/// holes stop the take short of the plan, the router adapts: it refunds the unspent book input
/// (exact in: the rest of the input goes to the pool) or buys the missing output in the pool
/// (exact out); the slippage limit still applies to the result.
///
/// Tokens: inputs are pulled with a balance check and fee-on-transfer or rebasing tokens revert
/// `FeeOnTransferToken`, as does an output token that delivers less than sent to `to`.
interface IHybridRouter {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice A book market: the parameters `IBookFactory.marketId` hashes. The pool used is
    /// the `base`/`quote` pool of `poolFee` (see the swap params).
    struct Market {
        address base;
        address quote;
        uint256 tickSize;
        uint256 lotSize;
        uint256 minLots;
    }

    /// @notice `swapExactIn`: pay `amountIn` in `market` and its pool of fee tier `poolFee` for
    /// at least `amountOutMin`, paid to `to`, before `deadline`.
    struct ExactInParams {
        Market market;
        uint16 poolFee;
        /// @dev True: pay quote, buy base (take asks). False: pay base, buy quote (take bids).
        bool buyBase;
        uint256 amountIn;
        uint256 amountOutMin;
        /// @dev Book levels to read and take (0: pool only, the book is not touched), at most
        /// `MAX_LEVELS`. Levels past it are not considered (their share goes to the pool).
        uint32 maxLevels;
        address to;
        uint256 deadline;
    }

    /// @notice `swapExactOut`: buy `amountOut` in `market` and its pool of fee tier `poolFee`
    /// for at most `amountInMax`, paid to `to`, before `deadline`; `buyBase` and `maxLevels`
    /// as in `ExactInParams`.
    struct ExactOutParams {
        Market market;
        uint16 poolFee;
        bool buyBase;
        uint256 amountOut;
        uint256 amountInMax;
        uint32 maxLevels;
        address to;
        uint256 deadline;
    }

    /// @notice How a swap is (or was) split. Total input `bookIn + poolIn`, total output
    /// `bookOut + poolOut`.
    struct Split {
        /// @dev Lots taken from the book.
        uint64 bookLots;
        /// @dev The worst tick taken (0: none).
        uint16 limitTick;
        /// @dev Book levels the take touches (pass at least this as `maxLevels`).
        uint32 levels;
        /// @dev Paid to the book, taker fee included.
        uint256 bookIn;
        uint256 bookOut;
        /// @dev Paid to the pool. Exact input: 0 when the rest would buy nothing in the pool;
        /// that rest is then not pulled from the caller.
        uint256 poolIn;
        uint256 poolOut;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The call arrived after `deadline`.
    /// @param deadline The call's deadline.
    /// @param timestamp The block timestamp.
    error DeadlineExpired(uint256 deadline, uint256 timestamp);
    /// @notice The exact amount is zero.
    error ZeroAmount();
    /// @notice The factory has no `base`/`quote` pool at fee tier `fee`.
    /// @param base The market's base token.
    /// @param quote The market's quote token.
    /// @param fee The pool fee tier asked for.
    error PoolNotFound(address base, address quote, uint16 fee);
    /// @notice The book factory has no book for `market`.
    /// @param market The market id of the parameters given.
    error BookNotFound(MarketId market);
    /// @notice `maxLevels` is above `MAX_LEVELS`.
    /// @param maxLevels The levels asked for.
    /// @param limit `MAX_LEVELS`.
    error TooManyLevels(uint32 maxLevels, uint32 limit);
    /// @notice An exact-input swap would pay `amountOut`, below `amountOutMin`.
    /// @param amountOut The output.
    /// @param amountOutMin The caller's minimum.
    error InsufficientOutput(uint256 amountOut, uint256 amountOutMin);
    /// @notice An exact-output swap would cost `amountIn`, above `amountInMax`.
    /// @param amountIn The input needed.
    /// @param amountInMax The caller's maximum.
    error ExcessiveInput(uint256 amountIn, uint256 amountInMax);
    /// @notice `token` moved a different amount than transferred (fee-on-transfer, rebasing).
    /// @param token The token.
    error FeeOnTransferToken(address token);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice One hybrid swap by `sender` paying `to`; the book and the pool emit their own
    /// `Take`/`Swap` events as well.
    /// @param sender The caller, who paid the input.
    /// @param to The receiver of the output.
    /// @param book The market's book.
    /// @param pool The pool.
    /// @param buyBase Whether the swap bought base (paid quote).
    /// @param bookLots Lots taken from the book.
    /// @param bookIn Paid to the book, taker fee included.
    /// @param bookOut Received from the book.
    /// @param poolIn Paid to the pool.
    /// @param poolOut Received from the pool.
    event HybridSwap(
        address indexed sender,
        address indexed to,
        address indexed book,
        address pool,
        bool buyBase,
        uint64 bookLots,
        uint256 bookIn,
        uint256 bookOut,
        uint256 poolIn,
        uint256 poolOut
    );

    /*//////////////////////////////////////////////////////////////
                                 SWAPS
    //////////////////////////////////////////////////////////////*/

    /// @notice Pays exactly `amountIn` (less a dust rest the pool would not pay for) for at least
    /// `amountOutMin`, split between the book and the pool. Approve the router for the input.
    /// @param params The market, pool fee tier, direction, amounts, levels, receiver and
    /// deadline.
    /// @return split How the swap was split.
    function swapExactIn(ExactInParams calldata params) external returns (Split memory split);

    /// @notice Buys exactly `amountOut` for at most `amountInMax`, split between the book and
    /// the pool. Approve the router for the input.
    /// @param params The market, pool fee tier, direction, amounts, levels, receiver and
    /// deadline.
    /// @return split How the swap was split.
    function swapExactOut(ExactOutParams calldata params) external returns (Split memory split);

    /*//////////////////////////////////////////////////////////////
                                 QUOTES
    //////////////////////////////////////////////////////////////*/

    /// @notice The split `swapExactIn` would make now (no slippage or deadline check).
    /// @param market The book market (and the pair of the pool).
    /// @param poolFee The pool's fee tier.
    /// @param buyBase True: pay quote, buy base. False: pay base, buy quote.
    /// @param amountIn The exact input.
    /// @param maxLevels Book levels to consider (at most `MAX_LEVELS`).
    /// @return split The split.
    function quoteExactIn(
        Market calldata market,
        uint16 poolFee,
        bool buyBase,
        uint256 amountIn,
        uint32 maxLevels
    ) external view returns (Split memory split);

    /// @notice The split `swapExactOut` would make now (no slippage or deadline check).
    /// @param market The book market (and the pair of the pool).
    /// @param poolFee The pool's fee tier.
    /// @param buyBase True: pay quote, buy base. False: pay base, buy quote.
    /// @param amountOut The exact output.
    /// @param maxLevels Book levels to consider (at most `MAX_LEVELS`).
    /// @return split The split.
    function quoteExactOut(
        Market calldata market,
        uint16 poolFee,
        bool buyBase,
        uint256 amountOut,
        uint32 maxLevels
    ) external view returns (Split memory split);

    /// @notice The AMM factory whose pools the router uses.
    /// @return The AMM factory.
    function factory() external view returns (address);

    /// @notice The book factory whose books the router uses.
    /// @return The book factory.
    function bookFactory() external view returns (address);

    /// @notice Most book levels one call reads and takes.
    /// @return The limit on `maxLevels`.
    function MAX_LEVELS() external view returns (uint32);

    /// @notice Holes the take may cross inside its last level, on top of one step per level.
    /// @return The hole steps.
    function HOLE_STEPS() external view returns (uint32);
}
