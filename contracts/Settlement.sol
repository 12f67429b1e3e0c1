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
import {BatchAccounting} from "./libraries/BatchAccounting.sol";
import {LiquidityLegs} from "./libraries/LiquidityLegs.sol";
import {TradeLib} from "./libraries/TradeLib.sol";

/// @title Settlement
/// @notice Settles batches of signed orders at uniform clearing prices; holds internal balances.
/// @dev Makes no arbitrary calls: the only external calls are ERC-20 transfers/balance reads
/// of the batch's tokens and the bounded EIP-1271 `isValidSignature` staticcall.
contract Settlement is ISettlement, EIP712, Ownable2Step, ReentrancyGuardTransient {
    using SafeTransferLib for address;

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
    /// @inheritdoc ISettlement
    address public ammFactory;
    /// @inheritdoc ISettlement
    address public bookFactory;
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
        (uint256 accounts, uint256 bought) = _pullAll(tokens, clearingPrices, trades);
        _payAll(tokens, trades, accounts, bought);
    }

    /// @inheritdoc ISettlement
    function settleWithLiquidity(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        TradeData[] calldata trades,
        PoolLeg[] calldata poolLegs,
        BookLeg[] calldata bookLegs
    ) external nonReentrant {
        (uint256 accounts, uint256 bought) = _pullAll(tokens, clearingPrices, trades);
        // Reason: the legs call only pools and books our own factories created, and every
        // entry point that touches balances holds the transient `nonReentrant` lock, so nothing
        // can re-enter between the legs and the payouts (tested with reentrant tokens).
        // slither-disable-next-line reentrancy-no-eth
        _executeLegs(tokens, accounts, poolLegs, bookLegs);
        _payAll(tokens, trades, accounts, bought);
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

    /// @inheritdoc ISettlement
    function setLiquiditySources(address ammFactory_, address bookFactory_) external onlyOwner {
        if (ammFactory != address(0)) revert LiquiditySourcesAlreadySet();
        if (ammFactory_ == address(0) || bookFactory_ == address(0)) revert ZeroAddress();
        ammFactory = ammFactory_;
        bookFactory = bookFactory_;
        emit LiquiditySourcesSet(ammFactory_, bookFactory_);
    }

    // ------------------------------ internal ------------------------------

    /// @dev Pass 1: checks every order, records its fill and pulls its sold amount and fee;
    /// returns the batch accounting and the bought amount of every trade (memory words).
    function _pullAll(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        TradeData[] calldata trades
    ) internal returns (uint256 accounts, uint256 bought) {
        if (!isRelayer[msg.sender]) revert NotRelayer(msg.sender);
        if (paused) revert SettlementPaused();
        accounts = _openBatch(tokens, clearingPrices);
        uint256 count = trades.length;
        bought = BatchAccounting.alloc(count << 5);
        for (uint256 i; i < count; ++i) {
            BatchAccounting.store(
                bought + (i << 5), _pull(TradeLib.at(trades, i), tokens, clearingPrices, accounts)
            );
        }
        _checkWalletPulls(tokens, accounts);
    }

    /// @dev Checks the books balance per token, then pass 2 pays out: nothing leaves before
    /// everything came in.
    function _payAll(
        address[] calldata tokens,
        TradeData[] calldata trades,
        uint256 accounts,
        uint256 bought
    ) internal {
        _closeBatch(tokens, accounts);
        uint256 count = trades.length;
        for (uint256 i; i < count; ++i) {
            _push(TradeLib.at(trades, i), tokens, BatchAccounting.load(bought + (i << 5)));
        }
        emit Settled(msg.sender, count);
    }

    /// @dev Legs into our own pools, then books (see `LiquidityLegs`).
    function _executeLegs(
        address[] calldata tokens,
        uint256 accounts,
        PoolLeg[] calldata poolLegs,
        BookLeg[] calldata bookLegs
    ) internal {
        uint256 legs = poolLegs.length + bookLegs.length;
        if (legs > LiquidityLegs.MAX_LEGS) revert TooManyLegs(legs);
        address amm = ammFactory;
        address books = bookFactory;
        if (amm == address(0)) revert LiquiditySourcesNotSet();
        LiquidityLegs.executePoolLegs(poolLegs, tokens, accounts, amm);
        LiquidityLegs.executeBookLegs(bookLegs, tokens, accounts, books);
    }

    /// @dev Validates the batch header and allocates its zeroed accounting.
    function _openBatch(address[] calldata tokens, uint256[] calldata prices)
        internal
        pure
        returns (uint256 accounts)
    {
        uint256 n = tokens.length;
        if (prices.length != n) revert LengthMismatch(n, prices.length);
        for (uint256 j; j < n; ++j) {
            address token = tokens[j]; // checked access: rejects dirty address words
            if (prices[j] == 0) revert ZeroClearingPrice(token);
            // Quadratic, but batches name few tokens and `uint8` indices cap it at 256.
            for (uint256 k; k < j; ++k) {
                if (tokens[k] == token) revert DuplicateToken(token);
            }
        }
        accounts = BatchAccounting.open(n);
    }

    /// @dev Pass 1 for the trade at `t`: checks the order, records the fill, takes sold + fee.
    function _pull(
        uint256 t,
        address[] calldata tokens,
        uint256[] calldata prices,
        uint256 accounts
    ) internal returns (uint256 bought) {
        TradeLib.validate(t);
        uint256 sellIndex = TradeLib.word(t, TradeLib.SELL_INDEX);
        uint256 buyIndex = TradeLib.word(t, TradeLib.BUY_INDEX);
        if (sellIndex >= tokens.length) revert TokenIndexOutOfRange(sellIndex);
        if (buyIndex >= tokens.length) revert TokenIndexOutOfRange(buyIndex);
        // Indices are in range and `_openBatch` checked every token word: raw reads are safe.
        address sellToken = _tokenAt(tokens, sellIndex);
        address buyToken = _tokenAt(tokens, buyIndex);
        bytes32 uid = _hashTypedData(TradeLib.structHash(t, sellToken, buyToken));
        uint256 executed = _checkAndRecordFill(t, uid, sellToken, buyToken);

        bought = _boughtAmount(t, uid, executed, _priceAt(prices, sellIndex), _priceAt(prices, buyIndex));
        uint256 fee = _take(t, sellToken, BatchAccounting.account(accounts, sellIndex), executed);
        BatchAccounting.add(BatchAccounting.account(accounts, buyIndex) + BatchAccounting.PUSHED, bought);
        emit Trade(
            uid, address(uint160(TradeLib.word(t, TradeLib.OWNER))), sellToken, buyToken,
            executed, bought, fee
        );
    }

    /// @dev The bought amount at the clearing prices, checked against the limit price.
    function _boughtAmount(
        uint256 t,
        bytes32 uid,
        uint256 executed,
        uint256 sellPrice,
        uint256 buyPrice
    ) internal pure returns (uint256 bought) {
        // Floor: the batch keeps the rounding, so tokens are conserved.
        bought = FixedPointMathLib.fullMulDiv(executed, sellPrice, buyPrice);
        uint256 sellAmount = TradeLib.word(t, TradeLib.SELL_AMOUNT);
        uint256 buyAmount = TradeLib.word(t, TradeLib.BUY_AMOUNT);
        if (!OrderLib.meetsLimit(bought, sellAmount, executed, buyAmount)) {
            revert LimitPriceNotMet(uid, executed, bought);
        }
    }

    /// @dev Takes sold + fee from the owner's wallet or internal balance; returns the fee.
    /// `account` is the sell token's accounting.
    function _take(uint256 t, address sellToken, uint256 account, uint256 executed)
        internal
        returns (uint256 fee)
    {
        uint256 sellAmount = TradeLib.word(t, TradeLib.SELL_AMOUNT);
        uint256 feeAmount = TradeLib.word(t, TradeLib.FEE_AMOUNT);
        // Floor: the fee rounds in the owner's favour. `executed <= sellAmount`, so no overflow.
        fee = executed == sellAmount
            ? feeAmount
            : FixedPointMathLib.fullMulDiv(feeAmount, executed, sellAmount);
        address orderOwner = address(uint160(TradeLib.word(t, TradeLib.OWNER)));
        uint256 amount = executed + fee;
        if (TradeLib.word(t, TradeLib.FLAGS) & OrderLib.SELL_FROM_INTERNAL != 0) {
            _debit(orderOwner, sellToken, amount);
        } else {
            if (BatchAccounting.load(account + BatchAccounting.WALLET_PULLED) == 0) {
                BatchAccounting.store(
                    account + BatchAccounting.BALANCE_BEFORE,
                    SafeTransferLib.balanceOf(sellToken, address(this))
                );
            }
            // Reason: `orderOwner` is not arbitrary: it signed this order (verified before `_take`)
            // and the signature bounds `amount` by the signed sellAmount + feeAmount.
            // slither-disable-next-line arbitrary-send-erc20
            sellToken.safeTransferFrom(orderOwner, address(this), amount);
            BatchAccounting.add(account + BatchAccounting.WALLET_PULLED, amount);
        }
        BatchAccounting.add(account + BatchAccounting.PULLED, amount);
    }

    /// @dev Every order check, the signature, then the fill record (before any token moves).
    function _checkAndRecordFill(uint256 t, bytes32 uid, address sellToken, address buyToken)
        internal
        returns (uint256 executed)
    {
        uint256 sellAmount = TradeLib.word(t, TradeLib.SELL_AMOUNT);
        if (sellAmount == 0 || TradeLib.word(t, TradeLib.BUY_AMOUNT) == 0) revert ZeroAmount(uid);
        if (sellToken == buyToken) revert SameToken(uid, sellToken);
        uint256 flags = TradeLib.word(t, TradeLib.FLAGS);
        // `validate` kept `flags` within uint8, so the cast is exact.
        if (flags > OrderLib.ALL_FLAGS) revert InvalidFlags(uid, uint8(flags));
        uint256 validTo = TradeLib.word(t, TradeLib.VALID_TO);
        // forge-lint: disable-next-line(block-timestamp)
        if (validTo < block.timestamp) revert OrderExpired(uid, uint32(validTo));
        address orderOwner = address(uint160(TradeLib.word(t, TradeLib.OWNER)));
        uint256 nonce = TradeLib.word(t, TradeLib.NONCE);
        uint256 floor = nonceFloor[orderOwner];
        if (nonce < floor) revert NonceBelowFloor(uid, nonce, floor);
        executed = TradeLib.word(t, TradeLib.EXECUTED);
        if (executed == 0) revert ZeroExecutedAmount(uid);

        SignatureLib.verify(
            uint8(TradeLib.word(t, TradeLib.SIGNING_SCHEME)), uid, orderOwner,
            TradeLib.signature(t), preSignature
        );

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
    function _checkWalletPulls(address[] calldata tokens, uint256 accounts) internal view {
        for (uint256 j; j < tokens.length; ++j) {
            uint256 account = BatchAccounting.account(accounts, j);
            uint256 expected = BatchAccounting.load(account + BatchAccounting.WALLET_PULLED);
            if (expected != 0) {
                _checkArrived(
                    tokens[j], BatchAccounting.load(account + BatchAccounting.BALANCE_BEFORE), expected
                );
            }
        }
    }

    /// @dev Pass 2 for the trade at `t`: pays `bought` to the receiver (the owner if zero).
    /// Pass 1 validated the trade's words and its token index.
    function _push(uint256 t, address[] calldata tokens, uint256 bought) internal {
        address buyToken = _tokenAt(tokens, TradeLib.word(t, TradeLib.BUY_INDEX));
        address receiver = address(uint160(TradeLib.word(t, TradeLib.RECEIVER)));
        if (receiver == address(0)) receiver = address(uint160(TradeLib.word(t, TradeLib.OWNER)));
        if (TradeLib.word(t, TradeLib.FLAGS) & OrderLib.BUY_TO_INTERNAL != 0) {
            _balances[receiver][buyToken] += bought;
        } else {
            buyToken.safeTransfer(receiver, bought);
        }
    }

    /// @dev Per token: what leaves (payouts, leg inputs) is at most what came in (order inputs,
    /// leg outputs); the surplus goes to the fee recipient. Runs before any payout, so a batch
    /// never touches tokens it did not take in.
    function _closeBatch(address[] calldata tokens, uint256 accounts) internal {
        address recipient = feeRecipient;
        for (uint256 j; j < tokens.length; ++j) {
            uint256 account = BatchAccounting.account(accounts, j);
            uint256 available = BatchAccounting.load(account + BatchAccounting.PULLED)
                + BatchAccounting.load(account + BatchAccounting.LEG_OUT);
            uint256 spent = BatchAccounting.load(account + BatchAccounting.PUSHED)
                + BatchAccounting.load(account + BatchAccounting.LEG_IN);
            if (spent > available) revert TokenNotConserved(tokens[j], available, spent);
            if (available != spent) {
                uint256 surplus;
                unchecked {
                    // `available > spent` here.
                    surplus = available - spent;
                }
                _balances[recipient][tokens[j]] += surplus;
                emit FeesCollected(recipient, tokens[j], surplus);
            }
        }
    }

    /// @dev `tokens[i]` without the bound check; callers keep `i < tokens.length`, and
    /// `_openBatch` read every token word through the checked accessor first.
    function _tokenAt(address[] calldata tokens, uint256 i) private pure returns (address token) {
        /// @solidity memory-safe-assembly
        assembly {
            token := calldataload(add(tokens.offset, shl(5, i)))
        }
    }

    /// @dev `prices[i]` without the bound check; callers keep `i < prices.length`.
    function _priceAt(uint256[] calldata prices, uint256 i) private pure returns (uint256 price) {
        /// @solidity memory-safe-assembly
        assembly {
            price := calldataload(add(prices.offset, shl(5, i)))
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
