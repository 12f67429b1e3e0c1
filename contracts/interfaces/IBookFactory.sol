// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketId} from "../types/BookIds.sol";

/// @title IBookFactory
/// @notice Creates one `IOrderBook` per market (base, quote, tick size, lot size, minimum
/// order size). Anyone may create a market; the owner sets the fees new books get (bounded by
/// the constants below, fixed for a book's life) and the recipient of every book's fees.
interface IBookFactory {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice A zero address where a token or an account is required.
    error ZeroAddress();
    /// @notice `token` has no code.
    error NotAContract(address token);
    /// @notice Base and quote are the same token.
    error SameToken(address token);
    /// @notice Tick size, lot size and minimum lots must be nonzero.
    error ZeroParameter();
    /// @notice A book for this market exists already.
    error BookExists(MarketId market, address book);
    /// @notice Taker fee above `MAX_TAKER_FEE_PPM`.
    error TakerFeeTooHigh(uint24 feePpm);
    /// @notice Maker fee above `MAX_MAKER_FEE_PPM`, rebate above `MAX_MAKER_REBATE_PPM` or the taker fee.
    error MakerFeeOutOfRange(int24 feePpm);
    /// @notice Deploying the book failed (out of gas).
    error BookDeploymentFailed(MarketId market);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A book for `market` was created at `book`.
    event BookCreated(
        MarketId indexed market,
        address indexed book,
        address indexed base,
        address quote,
        uint256 tickSize,
        uint256 lotSize,
        uint256 minLots,
        uint24 takerFeePpm,
        int24 makerFeePpm
    );
    /// @notice The fees of books created from now on.
    event FeesSet(uint24 takerFeePpm, int24 makerFeePpm);
    /// @notice Every book's fees go to `feeRecipient` from now on.
    event FeeRecipientSet(address indexed feeRecipient);
    /// @notice Every book now refuses (`refused`) or accepts again deposits of `token` into
    /// maker balances.
    event InternalBalanceRefusedSet(address indexed token, bool refused);

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates the book of a market with the current fees.
    function createBook(
        address base,
        address quote,
        uint256 tickSize,
        uint256 lotSize,
        uint256 minLots
    ) external returns (address book);

    /// @notice Owner only: fees of books created from now on.
    function setFees(uint24 takerFeePpm, int24 makerFeePpm) external;

    /// @notice Owner only: recipient of every book's fees (nonzero).
    function setFeeRecipient(address feeRecipient) external;

    /// @notice Owner only: every book of this factory refuses (or accepts again) deposits of
    /// `token` into maker balances (`IOrderBook.deposit` reverts
    /// `TokenRefusedForInternalBalance`). The deployment's token policy: refuse rebasing tokens,
    /// whose balances move without a transfer, and tokens that charge their transfer fee to the
    /// sender. Withdrawals always work.
    function setInternalBalanceRefused(address token, bool refused) external;

    /// @notice Whether books refuse deposits of `token` (`setInternalBalanceRefused`).
    function internalBalanceRefused(address token) external view returns (bool);

    /// @notice The market id of the parameters.
    function marketId(
        address base,
        address quote,
        uint256 tickSize,
        uint256 lotSize,
        uint256 minLots
    ) external pure returns (MarketId);

    /// @notice The book of `market` (zero if none).
    function bookOf(MarketId market) external view returns (address);
    /// @notice Number of books created.
    function bookCount() external view returns (uint256);
    /// @notice The `index`-th book created.
    function bookAt(uint256 index) external view returns (address);
    /// @notice Taker fee of new books.
    function takerFeePpm() external view returns (uint24);
    /// @notice Maker fee (negative: rebate) of new books.
    function makerFeePpm() external view returns (int24);
    /// @notice Receives every book's collected fees.
    function feeRecipient() external view returns (address);

    /// @notice Highest taker fee: 0.3%.
    function MAX_TAKER_FEE_PPM() external view returns (uint24);
    /// @notice Highest maker fee: 0.3%.
    function MAX_MAKER_FEE_PPM() external view returns (int24);
    /// @notice Highest maker rebate: 0.1% (and never above the taker fee, which funds it).
    function MAX_MAKER_REBATE_PPM() external view returns (int24);
}
