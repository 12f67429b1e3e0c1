// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

import {IBookFactory} from "../interfaces/IBookFactory.sol";
import {IFactory} from "../interfaces/IFactory.sol";
import {IOrderBook} from "../interfaces/IOrderBook.sol";
import {IPool} from "../interfaces/IPool.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";
import {MarketId} from "../types/BookIds.sol";
import {BatchAccounting, ACCOUNT_LEG_IN, ACCOUNT_LEG_OUT} from "./BatchAccounting.sol";
import {PoolMath} from "./PoolMath.sol";

/// @title LiquidityLegs
/// @notice Routes the part of a batch that did not cross into the protocol's own pools and
/// books. Only typed legs, never an arbitrary call: a pool is looked up in the AMM factory by
/// token pair and fee tier, a book in the book factory by market parameters, so a leg can only
/// reach contracts our factories created. Every amount that comes back is measured as a
/// balance change, so a token that delivers less than it says is rejected. Every leg is priced
/// against the batch's own clearing prices (`_record`), so the relayer, which chooses a pool
/// leg's `minAmountOut` and a book leg's `limitTick`, cannot sell the batch's surplus below them.
library LiquidityLegs {
    using SafeTransferLib for address;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Most legs (pool + book) in one batch: bounds the work of a batch.
    uint256 internal constant MAX_LEGS = 16;
    /// @dev Basis points in one.
    uint256 internal constant BPS = 10_000;
    /// @dev Parts per million in one (the book's taker fee).
    uint256 internal constant PPM = 1_000_000;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Executes every pool leg, recording leg inputs and outputs in the batch accounting;
    /// each must trade at the clearing prices less at most the venue's tolerance.
    /// @param venue The AMM factory's address, and the tolerance in basis points above it
    /// (`uint160(factory) | toleranceBps << 160`: one stack slot for both).
    function executePoolLegs(
        ISettlement.PoolLeg[] calldata legs,
        address[] calldata tokens,
        uint256 batch,
        uint256 venue
    ) internal {
        for (uint256 i; i < legs.length; ++i) {
            ISettlement.PoolLeg calldata leg = legs[i];
            uint256 inIndex = _checkIndex(leg.tokenInIndex, tokens.length);
            uint256 outIndex = _checkIndex(leg.tokenOutIndex, tokens.length);
            uint256 amountOut =
                _poolSwap(leg, i, tokens[inIndex], tokens[outIndex], address(uint160(venue)));
            if (!_record(batch, inIndex | (outIndex << 8), leg.amountIn, amountOut, venue)) {
                revert ISettlement.PoolLegBelowClearingPrice(i, leg.amountIn, amountOut);
            }
        }
    }

    /// @notice Executes every book leg, recording leg inputs and outputs in the batch accounting;
    /// each must trade at the clearing prices less at most the venue's tolerance.
    /// @param venue The book factory's address, and the tolerance above it (as for pool legs).
    function executeBookLegs(
        ISettlement.BookLeg[] calldata legs,
        address[] calldata tokens,
        uint256 batch,
        uint256 venue
    ) internal {
        for (uint256 i; i < legs.length; ++i) {
            ISettlement.BookLeg calldata leg = legs[i];
            // side 0 (Bid) buys base paying quote; side 1 (Ask) sells base for quote
            if (leg.side > 1) revert ISettlement.InvalidBookSide(leg.side);
            uint256 baseIndex = _indexOf(tokens, leg.base);
            uint256 quoteIndex = _indexOf(tokens, leg.quote);
            // The paid token's index, and the received token's above it (both below 256).
            uint256 pair =
                leg.side == 0 ? quoteIndex | (baseIndex << 8) : baseIndex | (quoteIndex << 8);
            (uint256 paid, uint256 received) = _bookTake(
                leg, _book(leg, address(uint160(venue))), tokens[pair & 0xff], tokens[pair >> 8]
            );
            if (!_record(batch, pair, paid, received, venue)) {
                revert ISettlement.BookLegBelowClearingPrice(i, paid, received);
            }
        }
    }

    /// @dev Sells `leg.amountIn` into the factory's pool; returns the measured output.
    function _poolSwap(
        ISettlement.PoolLeg calldata leg,
        uint256 i,
        address tokenIn,
        address tokenOut,
        address factory
    ) private returns (uint256 amountOut) {
        address pool = IFactory(factory).getPool(tokenIn, tokenOut, leg.fee);
        if (pool == address(0)) revert ISettlement.UnknownPool(tokenIn, tokenOut, leg.fee);
        // Reason: the third value is the pool's last timestamp, which a quote does not need.
        // slither-disable-next-line unused-return
        (uint256 reserve0, uint256 reserve1,) = IPool(pool).getReserves();
        bool zeroForOne = tokenIn < tokenOut;
        amountOut = zeroForOne
            ? PoolMath.getAmountOut(leg.amountIn, reserve0, reserve1, leg.fee)
            : PoolMath.getAmountOut(leg.amountIn, reserve1, reserve0, leg.fee);
        if (amountOut < leg.minAmountOut) {
            revert ISettlement.LegAmountOutTooLow(i, amountOut, leg.minAmountOut);
        }
        uint256 before = SafeTransferLib.balanceOf(tokenOut, address(this));
        tokenIn.safeTransfer(pool, leg.amountIn);
        if (zeroForOne) IPool(pool).swap(0, amountOut, address(this));
        else IPool(pool).swap(amountOut, 0, address(this));
        _checkReceived(tokenOut, before, amountOut);
        emit ISettlement.PoolLegExecuted(pool, tokenIn, tokenOut, leg.amountIn, amountOut);
    }

    /// @dev A market order on `book`; returns what was paid and received, both measured.
    function _bookTake(
        ISettlement.BookLeg calldata leg,
        address book,
        address paidToken,
        address gotToken
    ) private returns (uint256 paid, uint256 received) {
        // The book pulls what it charges; the allowance, the most this take can charge, lives
        // only for this call (tokens such as UNI and COMP refuse approvals above 2^96).
        paidToken.safeApproveWithRetry(book, _maxCharge(leg, book));
        uint256 paidBefore = SafeTransferLib.balanceOf(paidToken, address(this));
        uint256 gotBefore = SafeTransferLib.balanceOf(gotToken, address(this));
        uint64 lots;
        (lots, paid, received) = IOrderBook(book)
            .take(
                IOrderBook.Side(leg.side),
                leg.limitTick,
                leg.maxLots,
                leg.minTakeLots,
                leg.maxSteps,
                block.timestamp
            );
        paidToken.safeApprove(book, 0);
        uint256 spent;
        unchecked {
            // Wrapping on purpose: a balance that grew wraps to a huge number, never `paid`.
            spent = paidBefore - SafeTransferLib.balanceOf(paidToken, address(this));
        }
        if (spent != paid) revert ISettlement.FeeOnTransferToken(paidToken);
        _checkReceived(gotToken, gotBefore, received);
        emit ISettlement.BookLegExecuted(book, leg.side, lots, paid, received);
    }

    /// @dev The most `take` may charge for the leg: `maxLots` lots at `limitTick` (a bid pays
    /// quote, `limitTick * tickSize` a lot; an ask pays base, `lotSize` a lot), plus the book's
    /// taker fee on that, rounded up as the book rounds it.
    function _maxCharge(ISettlement.BookLeg calldata leg, address book)
        private
        view
        returns (uint256 charge)
    {
        uint256 unit = leg.side == 0 ? uint256(leg.limitTick) * leg.tickSize : leg.lotSize;
        charge = uint256(leg.maxLots) * unit;
        charge += FixedPointMathLib.divUp(charge * IOrderBook(book).takerFeePpm(), PPM);
    }

    /// @dev Records a leg's input `amountIn` of token `pair & 0xff` and output `amountOut` of
    /// token `pair >> 8`; returns whether the output, valued at the clearing prices in units of
    /// the input token and rounded down, is at least `amountIn` less the venue's tolerance
    /// (`venue >> 160` basis points) of it, rounded down: a leg may not round its way below.
    function _record(
        uint256 batch,
        uint256 pair,
        uint256 amountIn,
        uint256 amountOut,
        uint256 venue
    ) private pure returns (bool atPrice) {
        uint256 inIndex = pair & 0xff;
        uint256 outIndex = pair >> 8;
        BatchAccounting.add(BatchAccounting.account(batch, inIndex) + ACCOUNT_LEG_IN, amountIn);
        BatchAccounting.add(BatchAccounting.account(batch, outIndex) + ACCOUNT_LEG_OUT, amountOut);
        uint256 worth = FixedPointMathLib.fullMulDiv(
            amountOut, BatchAccounting.price(batch, outIndex), BatchAccounting.price(batch, inIndex)
        );
        // The tolerance is at most `MAX_LEG_PRICE_TOLERANCE_BPS`, so the product overflows only
        // for amounts beyond any token's supply (and then reverts).
        atPrice = worth >= amountIn - amountIn * (venue >> 160) / BPS;
    }

    /// @dev The factory's book of the leg's market; reverts `UnknownBook` if there is none.
    function _book(ISettlement.BookLeg calldata leg, address factory)
        private
        view
        returns (address book)
    {
        MarketId market = IBookFactory(factory)
            .marketId(leg.base, leg.quote, leg.tickSize, leg.lotSize, leg.minLots);
        book = IBookFactory(factory).bookOf(market);
        if (book == address(0)) revert ISettlement.UnknownBook(MarketId.unwrap(market));
    }

    function _checkIndex(uint256 index, uint256 length) private pure returns (uint256) {
        if (index >= length) revert ISettlement.TokenIndexOutOfRange(index);
        return index;
    }

    /// @dev Linear: batches name few tokens (at most 256).
    function _indexOf(address[] calldata tokens, address token) private pure returns (uint256) {
        for (uint256 j; j < tokens.length; ++j) {
            if (tokens[j] == token) return j;
        }
        revert ISettlement.LegTokenNotInBatch(token);
    }

    /// @dev Reverts `FeeOnTransferToken` unless our balance of `token` grew by exactly `amount`.
    function _checkReceived(address token, uint256 before, uint256 amount) private view {
        uint256 arrived;
        unchecked {
            // Wrapping on purpose: a balance that shrank wraps to a huge number, never `amount`.
            arrived = SafeTransferLib.balanceOf(token, address(this)) - before;
        }
        if (arrived != amount) revert ISettlement.FeeOnTransferToken(token);
    }
}
