// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

import {IBookFactory} from "../interfaces/IBookFactory.sol";
import {IFactory} from "../interfaces/IFactory.sol";
import {IHybridRouter} from "../interfaces/IHybridRouter.sol";
import {IOrderBook} from "../interfaces/IOrderBook.sol";
import {IPool} from "../interfaces/IPool.sol";
import {PoolMath} from "../libraries/PoolMath.sol";
import {MarketId} from "../types/BookIds.sol";

/// @title HybridRouter
/// @notice Splits a swap between a market's order book and its constant-product pool; see
/// `IHybridRouter` and docs/router.md.
/// @dev Flow: plan the split from views (reserves, `depth`, the taker fee); pull the book's
/// share into the router and `take` it in one call; pull the pool's share straight into the
/// pool and `swap`; forward the book's proceeds. The plan functions are pure integer math on
/// the views, mirrored by `crossbook.router.split` to the wei.
contract HybridRouter is IHybridRouter, ReentrancyGuardTransient {
    using SafeTransferLib for address;

    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @dev One swap's venues; the pool's reserves oriented input -> output.
    struct Venues {
        IOrderBook book; // zero when no book level is to be read
        address pool;
        address tokenIn;
        address tokenOut;
        uint256 reserveIn;
        uint256 reserveOut;
        uint256 poolFee;
        uint256 takerFeePpm;
        uint256 lotSize; // the market's (its book was found by it)
        IOrderBook.Side takerSide;
    }

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHybridRouter
    uint32 public constant MAX_LEVELS = 32;
    /// @inheritdoc IHybridRouter
    uint32 public constant HOLE_STEPS = 32;
    uint256 internal constant PPM = 1_000_000;
    uint256 internal constant FEE_DENOMINATOR = 10_000;

    /// @inheritdoc IHybridRouter
    address public immutable factory;
    /// @inheritdoc IHybridRouter
    address public immutable bookFactory;
    /// @dev The AMM factory's `POOL_INIT_CODE_HASH`.
    bytes32 internal immutable _POOL_INIT_CODE_HASH;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    constructor(address factory_, address bookFactory_) {
        factory = factory_;
        bookFactory = bookFactory_;
        _POOL_INIT_CODE_HASH = IFactory(factory_).POOL_INIT_CODE_HASH();
    }

    // -------------------------------- swaps -------------------------------

    /// @dev Always transient storage (Cancun), like the book, pool and settlement: solady's
    /// default keeps the lock in a storage slot off mainnet (a cold read, a write and a partly
    /// refunded reset per swap).
    function _useTransientReentrancyGuardOnlyOnMainnet() internal pure override returns (bool) {
        return false;
    }

    /// @inheritdoc IHybridRouter
    function swapExactIn(ExactInParams calldata p) external nonReentrant returns (Split memory s) {
        _checkDeadline(p.deadline);
        Venues memory v = _venues(p.market, p.poolFee, p.buyBase, p.maxLevels);
        s = _planExactIn(v, p.amountIn, p.maxLevels);
        _execute(v, s, p.amountIn, false, p.to);
        uint256 amountOut = s.bookOut + s.poolOut;
        if (amountOut < p.amountOutMin) revert InsufficientOutput(amountOut, p.amountOutMin);
    }

    /// @inheritdoc IHybridRouter
    function swapExactOut(ExactOutParams calldata p)
        external
        nonReentrant
        returns (Split memory s)
    {
        _checkDeadline(p.deadline);
        Venues memory v = _venues(p.market, p.poolFee, p.buyBase, p.maxLevels);
        s = _planExactOut(v, p.amountOut, p.maxLevels);
        _execute(v, s, p.amountOut, true, p.to);
        uint256 amountIn = s.bookIn + s.poolIn;
        if (amountIn > p.amountInMax) revert ExcessiveInput(amountIn, p.amountInMax);
    }

    // ------------------------------- quotes -------------------------------

    /// @inheritdoc IHybridRouter
    function quoteExactIn(
        Market calldata market,
        uint16 poolFee,
        bool buyBase,
        uint256 amountIn,
        uint32 maxLevels
    ) external view returns (Split memory) {
        return _planExactIn(_venues(market, poolFee, buyBase, maxLevels), amountIn, maxLevels);
    }

    /// @inheritdoc IHybridRouter
    function quoteExactOut(
        Market calldata market,
        uint16 poolFee,
        bool buyBase,
        uint256 amountOut,
        uint32 maxLevels
    ) external view returns (Split memory) {
        return _planExactOut(_venues(market, poolFee, buyBase, maxLevels), amountOut, maxLevels);
    }

    // ------------------------------ planning ------------------------------

    /// @dev Validated venues: the factory's pool (CREATE2) and its reserves; the book factory's
    /// book and its taker fee when `maxLevels != 0`.
    function _venues(Market calldata m, uint16 poolFee, bool buyBase, uint32 maxLevels)
        internal
        view
        returns (Venues memory v)
    {
        if (maxLevels > MAX_LEVELS) revert TooManyLevels(maxLevels, MAX_LEVELS);
        (v.tokenIn, v.tokenOut) = buyBase ? (m.quote, m.base) : (m.base, m.quote);
        v.takerSide = buyBase ? IOrderBook.Side.Bid : IOrderBook.Side.Ask;
        v.pool = _poolFor(m.base, m.quote, poolFee);
        if (v.pool.code.length == 0) revert PoolNotFound(m.base, m.quote, poolFee);
        // Reason: the reserves' timestamp is not needed.
        // slither-disable-next-line unused-return
        (uint112 reserve0, uint112 reserve1,) = IPool(v.pool).getReserves();
        (v.reserveIn, v.reserveOut) =
            v.tokenIn < v.tokenOut ? (reserve0, reserve1) : (reserve1, reserve0);
        v.poolFee = poolFee;
        if (maxLevels != 0) {
            MarketId id = MarketId.wrap(
                keccak256(abi.encode(m.base, m.quote, m.tickSize, m.lotSize, m.minLots))
            );
            address book = IBookFactory(bookFactory).bookOf(id);
            if (book == address(0)) revert BookNotFound(id);
            v.book = IOrderBook(book);
            v.takerFeePpm = v.book.takerFeePpm();
            v.lotSize = m.lotSize;
        }
    }

    /// @dev The split of exactly `amountIn`: book levels while they beat the pool at the margin.
    function _planExactIn(Venues memory v, uint256 amountIn, uint32 maxLevels)
        internal
        view
        returns (Split memory s)
    {
        if (amountIn == 0) revert ZeroAmount();
        uint256 raw = 0; // book input before the taker fee
        if (maxLevels != 0) {
            IOrderBook.LevelDepth[] memory levels = v.book.depth(_makerSide(v), maxLevels);
            for (uint256 i; i < levels.length; ++i) {
                (uint256 unitIn, uint256 unitOut) = _units(v, levels[i].price);
                uint256 threshold = _poolInputAtPrice(v, unitIn, unitOut);
                // `_withFee(raw) <= amountIn` holds: lots are only added within the budget below.
                if (threshold >= amountIn - _withFee(raw, v.takerFeePpm)) break;
                // The most raw input whose fee-inclusive cost fits `amountIn - threshold`:
                // `raw + ceil(raw * fee / PPM) <= B  <=>  raw <= floor(B * PPM / (PPM + fee))`.
                uint256 maxRaw = (amountIn - threshold) * PPM / (PPM + v.takerFeePpm);
                uint256 lots = FixedPointMathLib.min(levels[i].lots, (maxRaw - raw) / unitIn);
                if (lots == 0) break;
                raw += lots * unitIn;
                _addLevel(s, levels[i].tick, lots, unitOut);
                if (lots < levels[i].lots) break;
            }
            s.bookIn = _withFee(raw, v.takerFeePpm);
        }
        (s.poolIn, s.poolOut) = _poolExactIn(v, amountIn - s.bookIn);
    }

    /// @dev The split of exactly `amountOut`: book levels while they beat the pool at the margin.
    function _planExactOut(Venues memory v, uint256 amountOut, uint32 maxLevels)
        internal
        view
        returns (Split memory s)
    {
        if (amountOut == 0) revert ZeroAmount();
        uint256 raw = 0;
        if (maxLevels != 0) {
            IOrderBook.LevelDepth[] memory levels = v.book.depth(_makerSide(v), maxLevels);
            for (uint256 i; i < levels.length; ++i) {
                (uint256 unitIn, uint256 unitOut) = _units(v, levels[i].price);
                uint256 threshold = _poolOutputAtPrice(v, unitIn, unitOut);
                // `s.bookOut <= amountOut` holds: lots are only added within the budget below.
                if (threshold >= amountOut - s.bookOut) break;
                uint256 lots = FixedPointMathLib.min(
                    levels[i].lots, (amountOut - threshold - s.bookOut) / unitOut
                );
                if (lots == 0) break;
                raw += lots * unitIn;
                _addLevel(s, levels[i].tick, lots, unitOut);
                if (lots < levels[i].lots) break;
            }
            s.bookIn = _withFee(raw, v.takerFeePpm);
        }
        (s.poolIn, s.poolOut) = _poolExactOut(v, amountOut - s.bookOut);
    }

    function _addLevel(Split memory s, uint16 tick, uint256 lots, uint256 unitOut) internal pure {
        // `lots` is at most a level's `lots`, a uint64 (the sum is checked).
        // forge-lint: disable-next-line(unsafe-typecast)
        s.bookLots += uint64(lots);
        s.bookOut += lots * unitOut;
        s.limitTick = tick;
        ++s.levels;
    }

    /// @dev Pool input after which the pool's marginal output per input falls to the level's
    /// `unitOut / (unitIn * (1 + takerFee))`: `(sqrt(γxy · unitIn(PPM + f) / (unitOut · PPM)) - x) / γ`,
    /// 0 if the pool is already worse, `type(uint256).max` ("never") if the square overflows.
    function _poolInputAtPrice(Venues memory v, uint256 unitIn, uint256 unitOut)
        internal
        pure
        returns (uint256)
    {
        uint256 g = FEE_DENOMINATOR - v.poolFee;
        (uint256 square, bool fits) = _mulDiv512(
            v.reserveIn * v.reserveOut,
            g * unitIn * (PPM + v.takerFeePpm),
            FEE_DENOMINATOR * PPM * unitOut
        );
        if (!fits) return type(uint256).max;
        uint256 root = FixedPointMathLib.sqrt(square);
        if (root <= v.reserveIn) return 0;
        unchecked {
            // `root > reserveIn`; `root < 2**128`, so the product stays far below 2**256.
            return (root - v.reserveIn) * FEE_DENOMINATOR / g;
        }
    }

    /// @dev Pool output after which the pool's marginal input per output rises to the level's
    /// `unitIn * (1 + takerFee) / unitOut`: `y - sqrt(xy · unitOut · PPM / (γ · unitIn(PPM + f)))`,
    /// 0 if the pool is already worse (or the square overflows, which means the same).
    function _poolOutputAtPrice(Venues memory v, uint256 unitIn, uint256 unitOut)
        internal
        pure
        returns (uint256)
    {
        uint256 g = FEE_DENOMINATOR - v.poolFee;
        (uint256 square, bool fits) = _mulDiv512(
            v.reserveIn * v.reserveOut,
            FEE_DENOMINATOR * PPM * unitOut,
            g * unitIn * (PPM + v.takerFeePpm)
        );
        if (!fits) return 0;
        uint256 root = FixedPointMathLib.sqrt(square);
        if (root >= v.reserveOut) return 0;
        unchecked {
            // `root < reserveOut`.
            return v.reserveOut - root;
        }
    }

    /// @dev The pool's share of an exact input: nothing if the rest would buy nothing (or the
    /// pool is empty), so the caller keeps that dust.
    function _poolExactIn(Venues memory v, uint256 rest)
        internal
        pure
        returns (uint256 poolIn, uint256 poolOut)
    {
        if (rest == 0 || v.reserveIn == 0 || v.reserveOut == 0) return (0, 0);
        poolOut = PoolMath.getAmountOut(rest, v.reserveIn, v.reserveOut, v.poolFee);
        poolIn = poolOut == 0 ? 0 : rest;
    }

    function _poolExactOut(Venues memory v, uint256 rest)
        internal
        pure
        returns (uint256 poolIn, uint256 poolOut)
    {
        if (rest == 0) return (0, 0);
        return (PoolMath.getAmountIn(rest, v.reserveIn, v.reserveOut, v.poolFee), rest);
    }

    // ------------------------------ execution -----------------------------

    /// @dev Runs a planned split; `s` ends up holding what actually happened.
    function _execute(Venues memory v, Split memory s, uint256 amount, bool exactOut, address to)
        internal
    {
        uint256 before = SafeTransferLib.balanceOf(v.tokenOut, to);
        if (s.bookLots != 0) {
            _takeBook(v, s);
            // Holes can stop a take short of the plan (never beyond it): re-plan the pool's share.
            (s.poolIn, s.poolOut) = exactOut
                ? _poolExactOut(v, amount - s.bookOut)
                : _poolExactIn(v, amount - s.bookIn);
        }
        if (s.poolOut != 0) {
            _pullExact(v.tokenIn, v.pool, s.poolIn);
            if (v.tokenIn < v.tokenOut) IPool(v.pool).swap(0, s.poolOut, to);
            else IPool(v.pool).swap(s.poolOut, 0, to);
        }
        if (s.bookOut != 0) v.tokenOut.safeTransfer(to, s.bookOut);
        if (SafeTransferLib.balanceOf(v.tokenOut, to) != before + s.bookOut + s.poolOut) {
            revert FeeOnTransferToken(v.tokenOut);
        }
        emit HybridSwap(
            msg.sender,
            to,
            address(v.book),
            v.pool,
            v.takerSide == IOrderBook.Side.Bid,
            s.bookLots,
            s.bookIn,
            s.bookOut,
            s.poolIn,
            s.poolOut
        );
    }

    /// @dev Takes the planned lots in one call; the router pays the book and holds the proceeds.
    function _takeBook(Venues memory v, Split memory s) internal {
        address book = address(v.book);
        _pullExact(v.tokenIn, address(this), s.bookIn);
        if (IERC20(v.tokenIn).allowance(address(this), book) < s.bookIn) {
            // The router holds nothing between calls, and the book only pulls from its caller.
            v.tokenIn.safeApproveWithRetry(book, type(uint256).max);
        }
        (uint64 lots, uint256 paid, uint256 received) = v.book
            .take(v.takerSide, s.limitTick, s.bookLots, 0, s.levels + HOLE_STEPS, block.timestamp);
        if (paid < s.bookIn) v.tokenIn.safeTransfer(msg.sender, s.bookIn - paid);
        if (SafeTransferLib.balanceOf(v.tokenOut, address(this)) < received) {
            revert FeeOnTransferToken(v.tokenOut);
        }
        (s.bookLots, s.bookIn, s.bookOut) = (lots, paid, received);
    }

    /// @dev Moves exactly `amount` of `token` from the caller to `to`, or reverts.
    function _pullExact(address token, address to, uint256 amount) internal {
        uint256 before = SafeTransferLib.balanceOf(token, to);
        token.safeTransferFrom(msg.sender, to, amount);
        if (SafeTransferLib.balanceOf(token, to) != before + amount) {
            revert FeeOnTransferToken(token);
        }
    }

    // ------------------------------- helpers ------------------------------

    function _checkDeadline(uint256 deadline) internal view {
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
    }

    function _makerSide(Venues memory v) internal pure returns (IOrderBook.Side) {
        return v.takerSide == IOrderBook.Side.Bid ? IOrderBook.Side.Ask : IOrderBook.Side.Bid;
    }

    /// @dev Per lot at a level of price `price`: what the taker pays (before the fee) and gets.
    function _units(Venues memory v, uint256 price)
        internal
        pure
        returns (uint256 unitIn, uint256 unitOut)
    {
        return v.takerSide == IOrderBook.Side.Bid ? (price, v.lotSize) : (v.lotSize, price);
    }

    /// @dev What the book charges for `raw` input: `raw + ceil(raw * fee / PPM)`.
    function _withFee(uint256 raw, uint256 feePpm) internal pure returns (uint256) {
        return raw + FixedPointMathLib.divUp(raw * feePpm, PPM);
    }

    /// @dev `floor(a * b / d)` over 512 bits; `fits` false when the result needs more than 256.
    function _mulDiv512(uint256 a, uint256 b, uint256 d)
        internal
        pure
        returns (uint256 result, bool fits)
    {
        uint256 high;
        assembly ("memory-safe") {
            // The high word of the 512-bit product (the Chinese-remainder trick of `fullMulDiv`).
            let mm := mulmod(a, b, not(0))
            let low := mul(a, b)
            high := sub(sub(mm, low), lt(mm, low))
        }
        if (high >= d) return (0, false);
        return (FixedPointMathLib.fullMulDiv(a, b, d), true);
    }

    /// @dev CREATE2 address of the factory's pool (it may not exist).
    function _poolFor(address tokenA, address tokenB, uint16 fee) internal view returns (address) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0xff),
                factory,
                keccak256(abi.encode(token0, token1, fee)),
                _POOL_INIT_CODE_HASH
            )
        );
        return address(uint160(uint256(digest)));
    }
}
