// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {EIP712} from "solady/utils/EIP712.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

import {ISettlement} from "./interfaces/ISettlement.sol";
import {OrderLib} from "./libraries/OrderLib.sol";
import {SignatureLib} from "./libraries/SignatureLib.sol";

/// @title Settlement
/// @notice Settles batches of signed orders at uniform clearing prices; holds internal balances.
/// @dev Makes no arbitrary calls: the only external calls are ERC-20 transfers/balance reads
/// of the batch's tokens and the bounded EIP-1271 `isValidSignature` staticcall.
contract Settlement is ISettlement, EIP712, Ownable2Step, ReentrancyGuardTransient {
    using SafeTransferLib for address;

    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @dev Per-batch accounting in memory, indexed like `tokens` (and `bought` like `trades`).
    struct Batch {
        uint256[] pulled; // sold + fee taken in (wallet and internal)
        uint256[] pushed; // bought paid out (wallet and internal)
        uint256[] walletPulled; // the wallet part of `pulled`
        uint256[] balanceBefore; // own token balance before the first wallet pull
        uint256[] bought; // per trade
    }

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISettlement
    address public feeRecipient;
    /// @inheritdoc ISettlement
    bool public paused;
    /// @inheritdoc ISettlement
    address public guardian;
    /// @inheritdoc ISettlement
    mapping(address relayer => bool) public isRelayer;
    /// @inheritdoc ISettlement
    mapping(address owner => uint256) public nonceFloor;
    /// @inheritdoc ISettlement
    mapping(address owner => mapping(uint256 word => uint256)) public nonceBitmap;
    /// @inheritdoc ISettlement
    mapping(bytes32 orderUid => uint256) public filledAmount;
    /// @inheritdoc ISettlement
    mapping(address owner => mapping(bytes32 orderUid => bool)) public preSignature;
    /// @dev Internal balances: owner => token => amount.
    mapping(address owner => mapping(address token => uint256)) internal _balances;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    constructor(address initialOwner, address initialFeeRecipient) Ownable(initialOwner) {
        if (initialFeeRecipient == address(0)) revert ZeroAddress();
        feeRecipient = initialFeeRecipient;
        emit FeeRecipientSet(initialFeeRecipient);
    }

    // ----------------------------- settlement -----------------------------

    /// @inheritdoc ISettlement
    function settle(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        TradeData[] calldata trades
    ) external nonReentrant {
        if (!isRelayer[msg.sender]) revert NotRelayer(msg.sender);
        if (paused) revert SettlementPaused();
        Batch memory batch = _openBatch(tokens, clearingPrices, trades.length);
        uint256 count = trades.length;
        // Pass 1: check every order, record its fill and pull its sold amount and fee.
        for (uint256 i; i < count; ++i) {
            batch.bought[i] = _pull(trades[i], tokens, clearingPrices, batch);
        }
        _checkWalletPulls(tokens, batch);
        _closeBatch(tokens, batch);
        // Pass 2: pay out; nothing leaves before everything came in and the books balance.
        for (uint256 i; i < count; ++i) {
            _push(trades[i], tokens, batch.bought[i]);
        }
        emit Settled(msg.sender, count);
    }

    // ------------------------- internal balances --------------------------

    /// @inheritdoc ISettlement
    function deposit(address token, uint256 amount) external nonReentrant {
        uint256 before = SafeTransferLib.balanceOf(token, address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        _checkArrived(token, before, amount);
        _balances[msg.sender][token] += amount;
        emit Deposited(msg.sender, token, amount);
    }

    /// @inheritdoc ISettlement
    function withdraw(address token, uint256 amount, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _debit(msg.sender, token, amount);
        token.safeTransfer(to, amount);
        emit Withdrawn(msg.sender, token, to, amount);
    }

    /// @inheritdoc ISettlement
    function balanceOf(address owner, address token) external view returns (uint256) {
        return _balances[owner][token];
    }

    // ---------------------- cancellation and signing ----------------------

    /// @inheritdoc ISettlement
    function cancelOrder(Order calldata order) external {
        address orderOwner = order.owner;
        if (msg.sender != orderOwner) revert NotOrderOwner(msg.sender, orderOwner);
        bytes32 uid = _hashTypedData(OrderLib.hash(order));
        if (order.flags & OrderLib.PARTIALLY_FILLABLE != 0) {
            filledAmount[uid] = type(uint256).max;
        } else {
            uint256 nonce = order.nonce;
            // forge-lint: disable-next-line(incorrect-shift)
            nonceBitmap[orderOwner][nonce >> 8] |= 1 << (nonce & 255);
        }
        emit OrderCancelled(uid, orderOwner);
    }

    /// @inheritdoc ISettlement
    function invalidateNonces(uint256 word, uint256 mask) external {
        nonceBitmap[msg.sender][word] |= mask;
        emit NonceInvalidated(msg.sender, word, mask);
    }

    /// @inheritdoc ISettlement
    function setNonceFloor(uint256 floor) external {
        uint256 current = nonceFloor[msg.sender];
        if (floor <= current) revert NonceFloorNotRaised(current, floor);
        nonceFloor[msg.sender] = floor;
        emit NonceFloorRaised(msg.sender, floor);
    }

    /// @inheritdoc ISettlement
    function setPreSignature(bytes32 orderUid_, bool signed) external {
        preSignature[msg.sender][orderUid_] = signed;
        emit PreSignatureSet(msg.sender, orderUid_, signed);
    }

    // -------------------------------- views -------------------------------

    /// @inheritdoc ISettlement
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @inheritdoc ISettlement
    function orderUid(Order calldata order) external view returns (bytes32) {
        return _hashTypedData(OrderLib.hash(order));
    }

    /// @inheritdoc ISettlement
    function orderStatus(Order calldata order)
        external
        view
        returns (OrderStatus status, uint256 remainingSellAmount)
    {
        return _orderStatus(order);
    }

    /// @inheritdoc ISettlement
    function orderStatuses(Order[] calldata orders)
        external
        view
        returns (OrderStatus[] memory statuses, uint256[] memory remainingSellAmounts)
    {
        statuses = new OrderStatus[](orders.length);
        remainingSellAmounts = new uint256[](orders.length);
        for (uint256 i; i < orders.length; ++i) {
            (statuses[i], remainingSellAmounts[i]) = _orderStatus(orders[i]);
        }
    }

    // -------------------------------- admin -------------------------------

    /// @inheritdoc ISettlement
    function setRelayer(address relayer, bool allowed) external onlyOwner {
        isRelayer[relayer] = allowed;
        emit RelayerSet(relayer, allowed);
    }

    /// @inheritdoc ISettlement
    function setGuardian(address newGuardian) external onlyOwner {
        guardian = newGuardian;
        emit GuardianSet(newGuardian);
    }

    /// @inheritdoc ISettlement
    function setFeeRecipient(address newFeeRecipient) external onlyOwner {
        if (newFeeRecipient == address(0)) revert ZeroAddress();
        feeRecipient = newFeeRecipient;
        emit FeeRecipientSet(newFeeRecipient);
    }

    /// @inheritdoc ISettlement
    function pause() external {
        if (msg.sender != guardian && msg.sender != owner()) revert NotGuardian(msg.sender);
        paused = true;
        emit PauseSet(msg.sender, true);
    }

    /// @inheritdoc ISettlement
    function unpause() external onlyOwner {
        paused = false;
        emit PauseSet(msg.sender, false);
    }

    // ------------------------------ internal ------------------------------

    /// @dev Validates the batch header and allocates its accounting.
    function _openBatch(address[] calldata tokens, uint256[] calldata prices, uint256 tradeCount)
        internal
        pure
        returns (Batch memory batch)
    {
        uint256 n = tokens.length;
        if (prices.length != n) revert LengthMismatch(n, prices.length);
        for (uint256 j; j < n; ++j) {
            address token = tokens[j];
            if (prices[j] == 0) revert ZeroClearingPrice(token);
            // Quadratic, but batches name few tokens and `uint8` indices cap it at 256.
            for (uint256 k; k < j; ++k) {
                if (tokens[k] == token) revert DuplicateToken(token);
            }
        }
        batch.pulled = new uint256[](n);
        batch.pushed = new uint256[](n);
        batch.walletPulled = new uint256[](n);
        batch.balanceBefore = new uint256[](n);
        batch.bought = new uint256[](tradeCount);
    }

    /// @dev Pass 1 for one trade: checks the order, records the fill, takes sold + fee.
    function _pull(
        TradeData calldata trade,
        address[] calldata tokens,
        uint256[] calldata prices,
        Batch memory batch
    ) internal returns (uint256 bought) {
        uint256 sellIndex = trade.sellTokenIndex;
        uint256 buyIndex = trade.buyTokenIndex;
        if (sellIndex >= tokens.length) revert TokenIndexOutOfRange(sellIndex);
        if (buyIndex >= tokens.length) revert TokenIndexOutOfRange(buyIndex);
        address sellToken = tokens[sellIndex];
        bytes32 uid = _hashTypedData(OrderLib.hash(trade, sellToken, tokens[buyIndex]));
        uint256 executed = _checkAndRecordFill(trade, uid, sellToken, tokens[buyIndex]);

        bought = _boughtAmount(trade, uid, executed, prices[sellIndex], prices[buyIndex]);
        uint256 fee = _take(trade, sellToken, sellIndex, executed, batch);
        batch.pushed[buyIndex] += bought;
        emit Trade(uid, trade.owner, sellToken, tokens[buyIndex], executed, bought, fee);
    }

    /// @dev The bought amount at the clearing prices, checked against the limit price.
    function _boughtAmount(
        TradeData calldata trade,
        bytes32 uid,
        uint256 executed,
        uint256 sellPrice,
        uint256 buyPrice
    ) internal pure returns (uint256 bought) {
        // Floor: the batch keeps the rounding, so tokens are conserved.
        bought = FixedPointMathLib.fullMulDiv(executed, sellPrice, buyPrice);
        if (!OrderLib.meetsLimit(bought, trade.sellAmount, executed, trade.buyAmount)) {
            revert LimitPriceNotMet(uid, executed, bought);
        }
    }

    /// @dev Takes sold + fee from the owner's wallet or internal balance; returns the fee.
    function _take(
        TradeData calldata trade,
        address sellToken,
        uint256 sellIndex,
        uint256 executed,
        Batch memory batch
    ) internal returns (uint256 fee) {
        uint256 sellAmount = trade.sellAmount;
        // Floor: the fee rounds in the owner's favour. `executed <= sellAmount`, so no overflow.
        fee = executed == sellAmount
            ? trade.feeAmount
            : FixedPointMathLib.fullMulDiv(trade.feeAmount, executed, sellAmount);
        address orderOwner = trade.owner;
        uint256 amount = executed + fee;
        if (trade.flags & OrderLib.SELL_FROM_INTERNAL != 0) {
            _debit(orderOwner, sellToken, amount);
        } else {
            if (batch.walletPulled[sellIndex] == 0) {
                batch.balanceBefore[sellIndex] = SafeTransferLib.balanceOf(sellToken, address(this));
            }
            // Reason: `orderOwner` is not arbitrary: it signed this order (verified before `_take`)
            // and the signature bounds `amount` by the signed sellAmount + feeAmount.
            // slither-disable-next-line arbitrary-send-erc20
            sellToken.safeTransferFrom(orderOwner, address(this), amount);
            batch.walletPulled[sellIndex] += amount;
        }
        batch.pulled[sellIndex] += amount;
    }

    /// @dev Every order check, the signature, then the fill record (before any token moves).
    function _checkAndRecordFill(
        TradeData calldata trade,
        bytes32 uid,
        address sellToken,
        address buyToken
    ) internal returns (uint256 executed) {
        uint256 sellAmount = trade.sellAmount;
        if (sellAmount == 0 || trade.buyAmount == 0) revert ZeroAmount(uid);
        if (sellToken == buyToken) revert SameToken(uid, sellToken);
        uint8 flags = trade.flags;
        if (flags > OrderLib.ALL_FLAGS) revert InvalidFlags(uid, flags);
        // forge-lint: disable-next-line(block-timestamp)
        if (trade.validTo < block.timestamp) revert OrderExpired(uid, trade.validTo);
        address orderOwner = trade.owner;
        uint256 nonce = trade.nonce;
        uint256 floor = nonceFloor[orderOwner];
        if (nonce < floor) revert NonceBelowFloor(uid, nonce, floor);
        executed = trade.executedSellAmount;
        if (executed == 0) revert ZeroExecutedAmount(uid);

        SignatureLib.verify(trade.signingScheme, uid, orderOwner, trade.signature, preSignature);

        if (flags & OrderLib.PARTIALLY_FILLABLE == 0) {
            if (executed != sellAmount) revert FillOrKillAmount(uid, executed, sellAmount);
            // forge-lint: disable-next-line(incorrect-shift)
            uint256 bit = 1 << (nonce & 255);
            mapping(uint256 => uint256) storage bitmap = nonceBitmap[orderOwner];
            uint256 word = bitmap[nonce >> 8];
            if (word & bit != 0) revert NonceAlreadySpent(uid, orderOwner, nonce);
            bitmap[nonce >> 8] = word | bit;
        } else {
            uint256 filled = filledAmount[uid];
            if (filled == type(uint256).max) revert CancelledOrder(uid);
            // `filled <= sellAmount`: settle keeps it so, and only cancel writes `max`.
            if (executed > sellAmount - filled) revert OrderOverfilled(uid, filled, executed);
            unchecked {
                // Bounded by `sellAmount` (checked just above).
                filledAmount[uid] = filled + executed;
            }
        }
    }

    /// @dev Reverts unless each token's wallet pulls all arrived (no fee-on-transfer, no rebase).
    function _checkWalletPulls(address[] calldata tokens, Batch memory batch) internal view {
        for (uint256 j; j < tokens.length; ++j) {
            uint256 expected = batch.walletPulled[j];
            if (expected != 0) _checkArrived(tokens[j], batch.balanceBefore[j], expected);
        }
    }

    /// @dev Pass 2 for one trade: pays `bought` to the receiver (the owner if zero).
    function _push(TradeData calldata trade, address[] calldata tokens, uint256 bought) internal {
        uint256 buyIndex = trade.buyTokenIndex;
        address buyToken = tokens[buyIndex];
        address receiver = trade.receiver;
        if (receiver == address(0)) receiver = trade.owner;
        if (trade.flags & OrderLib.BUY_TO_INTERNAL != 0) {
            _balances[receiver][buyToken] += bought;
        } else {
            buyToken.safeTransfer(receiver, bought);
        }
    }

    /// @dev Per token: pays out at most what came in; the surplus goes to the fee recipient.
    /// Runs before any payout, so a batch never touches tokens it did not take in.
    function _closeBatch(address[] calldata tokens, Batch memory batch) internal {
        address recipient = feeRecipient;
        for (uint256 j; j < tokens.length; ++j) {
            uint256 pulled = batch.pulled[j];
            uint256 pushed = batch.pushed[j];
            if (pushed > pulled) revert TokenNotConserved(tokens[j], pulled, pushed);
            if (pulled != pushed) {
                uint256 surplus;
                unchecked {
                    // `pulled > pushed` here.
                    surplus = pulled - pushed;
                }
                _balances[recipient][tokens[j]] += surplus;
                emit FeesCollected(recipient, tokens[j], surplus);
            }
        }
    }

    /// @dev Debits an internal balance, reverting typed when short.
    function _debit(address owner, address token, uint256 amount) internal {
        uint256 balance = _balances[owner][token];
        if (balance < amount) revert InsufficientInternalBalance(owner, token, balance, amount);
        unchecked {
            // `amount <= balance` (checked just above).
            _balances[owner][token] = balance - amount;
        }
    }

    /// @dev Reverts `FeeOnTransferToken` unless our balance of `token` grew by exactly `amount`.
    function _checkArrived(address token, uint256 before, uint256 amount) internal view {
        uint256 arrived;
        unchecked {
            // Wrapping on purpose: a balance that shrank wraps to a huge number, never `amount`.
            arrived = SafeTransferLib.balanceOf(token, address(this)) - before;
        }
        if (arrived != amount) revert FeeOnTransferToken(token);
    }

    /// @dev See `OrderStatus` for the order of checks.
    function _orderStatus(Order calldata order) internal view returns (OrderStatus, uint256) {
        bytes32 uid = _hashTypedData(OrderLib.hash(order));
        uint256 sellAmount = order.sellAmount;
        if (
            sellAmount == 0 || order.buyAmount == 0 || order.sellToken == order.buyToken
                || order.flags > OrderLib.ALL_FLAGS
        ) return (OrderStatus.Invalid, 0);
        uint256 nonce = order.nonce;
        if (nonce < nonceFloor[order.owner]) return (OrderStatus.Cancelled, 0);
        uint256 remaining = sellAmount;
        if (order.flags & OrderLib.PARTIALLY_FILLABLE != 0) {
            uint256 filled = filledAmount[uid];
            if (filled == type(uint256).max) return (OrderStatus.Cancelled, 0);
            if (filled >= sellAmount) return (OrderStatus.Filled, 0);
            remaining = sellAmount - filled;
        } else if ((nonceBitmap[order.owner][nonce >> 8] >> (nonce & 255)) & 1 != 0) {
            return (OrderStatus.NonceSpent, 0);
        }
        // forge-lint: disable-next-line(block-timestamp)
        if (order.validTo < block.timestamp) return (OrderStatus.Expired, 0);
        return (OrderStatus.Open, remaining);
    }

    /// @dev EIP-712 domain: name "crossbook", version "1".
    function _domainNameAndVersion()
        internal
        pure
        override
        returns (string memory name, string memory version)
    {
        name = "crossbook";
        version = "1";
    }

    /// @dev Transient storage lock on every chain (the target EVM has EIP-1153).
    function _useTransientReentrancyGuardOnlyOnMainnet() internal pure override returns (bool) {
        return false;
    }
}
