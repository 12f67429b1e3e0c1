// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {SSTORE2} from "solady/utils/SSTORE2.sol";

import {IBookFactory} from "../interfaces/IBookFactory.sol";
import {MarketId} from "../types/BookIds.sol";
import {OrderBook} from "./OrderBook.sol";

/// @title BookFactory
/// @notice Creates one `OrderBook` per market, at a CREATE2 address salted by the market id.
/// @dev The book's creation code lives in a data contract written by the constructor (solady
/// `SSTORE2`), not in this contract's runtime code: embedded, the book's init code would put
/// the factory over the 24,576-byte limit (EIP-170). The CREATE2 init code, and so every
/// book's address, is the same as with `new OrderBook{salt}`.
contract BookFactory is IBookFactory, Ownable2Step {
    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBookFactory
    mapping(MarketId market => address) public bookOf;
    /// @inheritdoc IBookFactory
    uint24 public takerFeePpm;
    /// @inheritdoc IBookFactory
    int24 public makerFeePpm;
    /// @inheritdoc IBookFactory
    address public feeRecipient;
    address[] internal _books;
    /// @inheritdoc IBookFactory
    mapping(address token => bool) public internalBalanceRefused;

    /// @dev The data contract holding `type(OrderBook).creationCode`.
    address internal immutable _BOOK_CODE;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBookFactory
    uint24 public constant MAX_TAKER_FEE_PPM = 3_000;
    /// @inheritdoc IBookFactory
    int24 public constant MAX_MAKER_FEE_PPM = 3_000;
    /// @inheritdoc IBookFactory
    int24 public constant MAX_MAKER_REBATE_PPM = 1_000;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    constructor(
        address initialOwner,
        address initialFeeRecipient,
        uint24 takerFeePpm_,
        int24 makerFeePpm_
    ) Ownable(initialOwner) {
        _BOOK_CODE = SSTORE2.write(type(OrderBook).creationCode);
        _setFeeRecipient(initialFeeRecipient);
        _setFees(takerFeePpm_, makerFeePpm_);
    }

    /// @inheritdoc IBookFactory
    function createBook(
        address base,
        address quote,
        uint256 tickSize,
        uint256 lotSize,
        uint256 minLots
    ) external returns (address book) {
        if (base == address(0) || quote == address(0)) revert ZeroAddress();
        if (base == quote) revert SameToken(base);
        if (base.code.length == 0) revert NotAContract(base);
        if (quote.code.length == 0) revert NotAContract(quote);
        if (tickSize == 0 || lotSize == 0 || minLots == 0) revert ZeroParameter();
        MarketId market = marketId(base, quote, tickSize, lotSize, minLots);
        address existing = bookOf[market];
        if (existing != address(0)) revert BookExists(market, existing);
        uint24 takerFee = takerFeePpm;
        int24 makerFee = makerFeePpm;
        bytes memory initCode = abi.encodePacked(
            SSTORE2.read(_BOOK_CODE),
            abi.encode(base, quote, tickSize, lotSize, minLots, takerFee, makerFee)
        );
        bytes32 salt = MarketId.unwrap(market);
        assembly ("memory-safe") {
            book := create2(0, add(initCode, 0x20), mload(initCode), salt)
        }
        if (book == address(0)) revert BookDeploymentFailed(market);
        bookOf[market] = book;
        _books.push(book);
        emit BookCreated(market, book, base, quote, tickSize, lotSize, minLots, takerFee, makerFee);
    }

    /// @inheritdoc IBookFactory
    function setFees(uint24 takerFeePpm_, int24 makerFeePpm_) external onlyOwner {
        _setFees(takerFeePpm_, makerFeePpm_);
    }

    /// @inheritdoc IBookFactory
    function setFeeRecipient(address feeRecipient_) external onlyOwner {
        _setFeeRecipient(feeRecipient_);
    }

    /// @inheritdoc IBookFactory
    function setInternalBalanceRefused(address token, bool refused) external onlyOwner {
        internalBalanceRefused[token] = refused;
        emit InternalBalanceRefusedSet(token, refused);
    }

    /// @inheritdoc IBookFactory
    function marketId(
        address base,
        address quote,
        uint256 tickSize,
        uint256 lotSize,
        uint256 minLots
    ) public pure returns (MarketId) {
        return MarketId.wrap(keccak256(abi.encode(base, quote, tickSize, lotSize, minLots)));
    }

    /// @inheritdoc IBookFactory
    function bookCount() external view returns (uint256) {
        return _books.length;
    }

    /// @inheritdoc IBookFactory
    function bookAt(uint256 index) external view returns (address) {
        return _books[index];
    }

    function _setFees(uint24 takerFee, int24 makerFee) internal {
        if (takerFee > MAX_TAKER_FEE_PPM) revert TakerFeeTooHigh(takerFee);
        if (makerFee > MAX_MAKER_FEE_PPM || makerFee < -MAX_MAKER_REBATE_PPM) {
            revert MakerFeeOutOfRange(makerFee);
        }
        if (makerFee < 0 && uint24(-makerFee) > takerFee) revert MakerFeeOutOfRange(makerFee);
        takerFeePpm = takerFee;
        makerFeePpm = makerFee;
        emit FeesSet(takerFee, makerFee);
    }

    function _setFeeRecipient(address recipient) internal {
        if (recipient == address(0)) revert ZeroAddress();
        feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }
}
