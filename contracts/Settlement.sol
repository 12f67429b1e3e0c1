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
import {
    BatchAccounting,
    BATCH_ACCOUNTS,
    BATCH_DOMAIN,
    BATCH_TOKEN_COUNT,
    BATCH_TOKENS,
    BATCH_TRADE_COUNT,
    BATCH_TRADES,
    ACCOUNT_BALANCE_BEFORE,
    ACCOUNT_DIRECT_MEASURED,
    ACCOUNT_LEG_IN,
    ACCOUNT_LEG_OUT,
    ACCOUNT_PULLED,
    ACCOUNT_PUSHED,
    ACCOUNT_SHIFT,
    ACCOUNT_WALLET_PULLED,
    LEDGER_ENTRY_SIZE,
    LEDGER_PAYER
} from "./libraries/BatchAccounting.sol";
import {LiquidityLegs} from "./libraries/LiquidityLegs.sol";
import {NonceLib} from "./libraries/NonceLib.sol";
import {SettleFastPath} from "./libraries/SettleFastPath.sol";
import {
    TradeLib,
    TRADE_BUY_AMOUNT,
    TRADE_BUY_INDEX_SHIFT,
    TRADE_EXECUTED,
    TRADE_FEE_AMOUNT,
    TRADE_FLAGS_SHIFT,
    TRADE_NONCE,
    TRADE_PACKED,
    TRADE_SCHEME_SHIFT,
    TRADE_SELL_AMOUNT,
    TRADE_SELL_INDEX_SHIFT,
    TRADE_SIZE,
    TRADE_V_SHIFT
} from "./libraries/TradeLib.sol";

/// @title Settlement
/// @notice Settles batches of signed orders at uniform clearing prices; holds internal balances.
/// @dev Makes no arbitrary calls: the only external calls are ERC-20 transfers/balance reads
/// of the batch's tokens and the bounded EIP-1271 `isValidSignature` staticcall.
contract Settlement is ISettlement, EIP712, Ownable2Step, ReentrancyGuardTransient {
    using SafeTransferLib for address;
    using NonceLib for NonceLib.Nonces;

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
    /// @dev Per owner: the nonce floor and the fill-or-kill nonce bitmap, with a head slot that
    /// holds a copy of the floor and the bits of 128 nonces, so that a fill of a sequentially
    /// allocated nonce reads and writes that one slot (`NonceLib`; `nonceFloor`, `nonceBitmap`
    /// read it).
    mapping(address owner => NonceLib.Nonces) internal _nonces;
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
    /// @inheritdoc ISettlement
    uint256 public legPriceToleranceBps;
    /// @inheritdoc ISettlement
    mapping(address token => bool) public internalBalanceRefused;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISettlement
    uint256 public constant MAX_LEG_PRICE_TOLERANCE_BPS = 100;

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
        TradeData[] calldata trades,
        bytes[] calldata signatures
    ) external nonReentrant {
        uint256 batch = _pullAll(tokens, clearingPrices, trades, signatures);
        _payAll(tokens, trades, batch);
    }

    /// @inheritdoc ISettlement
    function settleWithLiquidity(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        TradeData[] calldata trades,
        bytes[] calldata signatures,
        PoolLeg[] calldata poolLegs,
        BookLeg[] calldata bookLegs
    ) external nonReentrant {
        uint256 batch = _pullAll(tokens, clearingPrices, trades, signatures);
        // Reason: the legs call only pools and books our own factories created, and every
        // entry point that touches balances holds the transient `nonReentrant` lock, so nothing
        // can re-enter between the legs and the payouts (tested with reentrant tokens).
        // slither-disable-next-line reentrancy-no-eth
        _executeLegs(tokens, batch, poolLegs, bookLegs);
        _payAll(tokens, _tradesOf(batch), batch);
    }

    // ------------------------- internal balances --------------------------

    /// @inheritdoc ISettlement
    function deposit(address token, uint256 amount) external nonReentrant {
        if (internalBalanceRefused[token]) revert TokenRefusedForInternalBalance(token);
        uint256 before = SafeTransferLib.balanceOf(token, address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        _checkArrived(token, address(this), before, amount);
        _balances[msg.sender][token] += amount;
        emit Deposited(msg.sender, token, amount);
    }

    /// @inheritdoc ISettlement
    function withdraw(address token, uint256 amount, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _debit(msg.sender, token, amount);
        uint256 before = SafeTransferLib.balanceOf(token, address(this));
        token.safeTransfer(to, amount);
        emit Withdrawn(msg.sender, token, to, amount);
        uint256 lost = before - SafeTransferLib.balanceOf(token, address(this));
        if (lost > amount) {
            // A fee charged to the sender: the withdrawer pays it, never another balance.
            unchecked {
                // `lost > amount` (checked just above).
                lost -= amount;
            }
            // Reason: every entry point that reads or writes balances holds the transient
            // `nonReentrant` lock, so nothing can run between the transfer and this debit.
            // slither-disable-next-line reentrancy-no-eth,reentrancy-events
            _debit(msg.sender, token, lost);
            emit WithdrawalFeeCharged(msg.sender, token, lost);
        }
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
            _nonces[orderOwner].invalidate(nonce >> 8, 1 << (nonce & 255));
        }
        emit OrderCancelled(uid, orderOwner);
    }

    /// @inheritdoc ISettlement
    function invalidateNonces(uint256 word, uint256 mask) external {
        _nonces[msg.sender].invalidate(word, mask);
        emit NonceInvalidated(msg.sender, word, mask);
    }

    /// @inheritdoc ISettlement
    function setNonceFloor(uint256 floor) external {
        NonceLib.Nonces storage nonces = _nonces[msg.sender];
        uint256 current = nonces.floor;
        if (floor <= current) revert NonceFloorNotRaised(current, floor);
        nonces.raiseFloor(floor);
        emit NonceFloorRaised(msg.sender, floor);
    }

    /// @inheritdoc ISettlement
    function setPreSignature(bytes32 orderUid_, bool signed) external {
        preSignature[msg.sender][orderUid_] = signed;
        emit PreSignatureSet(msg.sender, orderUid_, signed);
    }

    // -------------------------------- views -------------------------------

    /// @inheritdoc ISettlement
    function nonceFloor(address owner_) external view returns (uint256) {
        return _nonces[owner_].floor;
    }

    /// @inheritdoc ISettlement
    function nonceBitmap(address owner_, uint256 word) external view returns (uint256) {
        return _nonces[owner_].bitmapWord(word);
    }

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

    /// @inheritdoc ISettlement
    function setLegPriceToleranceBps(uint256 bps) external onlyOwner {
        if (bps > MAX_LEG_PRICE_TOLERANCE_BPS) {
            revert LegPriceToleranceTooHigh(bps, MAX_LEG_PRICE_TOLERANCE_BPS);
        }
        legPriceToleranceBps = bps;
        emit LegPriceToleranceSet(bps);
    }

    /// @inheritdoc ISettlement
    function setInternalBalanceRefused(address token, bool refused) external onlyOwner {
        internalBalanceRefused[token] = refused;
        emit InternalBalanceRefusedSet(token, refused);
    }

    // ------------------------------ internal ------------------------------

    /// @dev Pass 1: checks every order, records its fill and takes its sold amount and fee;
    /// returns the batch state (`BatchAccounting`).
    function _pullAll(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        TradeData[] calldata trades,
        bytes[] calldata signatures
    ) internal returns (uint256 batch) {
        if (!isRelayer[msg.sender]) revert NotRelayer(msg.sender);
        if (paused) revert SettlementPaused();
        batch = _openBatch(tokens, clearingPrices, trades);
        uint256 count = trades.length;
        uint256 t = TradeLib.first(trades);
        for (uint256 i; i < count; ++i) {
            if (!_pullFast(t, i, batch)) _pull(t, i, batch, signatures);
            unchecked {
                // Stays inside the calldata the ABI decoder bound-checked for `trades`.
                t += TRADE_SIZE;
            }
        }
        _checkWalletPulls(tokens, batch);
    }

    /// @dev Checks the books balance per token, then pass 2 pays out: nothing leaves the
    /// contract before everything came in.
    function _payAll(address[] calldata tokens, TradeData[] calldata trades, uint256 batch)
        internal
    {
        _closeBatch(tokens, batch);
        uint256 count = trades.length;
        uint256 t = TradeLib.first(trades);
        uint256 entry = BatchAccounting.entry(batch, 0);
        for (uint256 i; i < count; ++i) {
            uint256 payer;
            unchecked {
                // A ledger entry is two memory words: far below 2**256.
                payer = BatchAccounting.load(entry + LEDGER_PAYER);
            }
            if (payer == 0) {
                _push(t, entry, batch);
            } else if (!SettleFastPath.payDirect(t, entry, payer, batch)) {
                unchecked {
                    // `payer != 0`: pass 1 stored 1 + the index of a trade of the batch.
                    _payDirect(t, payer - 1, i, batch);
                }
            }
            unchecked {
                // The next ledger entry: one per trade, `i < count`.
                entry += LEDGER_ENTRY_SIZE;
                // As in `_pullAll`.
                t += TRADE_SIZE;
            }
        }
        emit Settled(msg.sender, count);
    }

    /// @dev Legs into our own pools, then books (see `LiquidityLegs`).
    function _executeLegs(
        address[] calldata tokens,
        uint256 batch,
        PoolLeg[] calldata poolLegs,
        BookLeg[] calldata bookLegs
    ) internal {
        uint256 legs = poolLegs.length + bookLegs.length;
        if (legs > LiquidityLegs.MAX_LEGS) revert TooManyLegs(legs);
        address amm = ammFactory;
        address books = bookFactory;
        if (amm == address(0)) revert LiquiditySourcesNotSet();
        LiquidityLegs.executePoolLegs(poolLegs, tokens, batch, _venue(amm));
        LiquidityLegs.executeBookLegs(bookLegs, tokens, batch, _venue(books));
    }

    /// @dev The batch's `trades`, read back from its header: `settleWithLiquidity` then need
    /// not keep them on the stack through the legs.
    function _tradesOf(uint256 batch) internal pure returns (TradeData[] calldata trades) {
        uint256 offset = BatchAccounting.load(batch + BATCH_TRADES);
        uint256 count = BatchAccounting.load(batch + BATCH_TRADE_COUNT);
        assembly ("memory-safe") {
            trades.offset := offset
            trades.length := count
        }
    }

    /// @dev A leg venue (`LiquidityLegs`): the factory, and the price tolerance above it.
    function _venue(address factory) internal view returns (uint256) {
        return uint256(uint160(factory)) | (legPriceToleranceBps << 160);
    }

    /// @dev Validates the batch header and allocates its zeroed state.
    function _openBatch(
        address[] calldata tokens,
        uint256[] calldata prices,
        TradeData[] calldata trades
    ) internal view returns (uint256 batch) {
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
        uint256 tokensOffset;
        uint256 pricesOffset;
        assembly ("memory-safe") {
            tokensOffset := tokens.offset
            pricesOffset := prices.offset
        }
        batch = BatchAccounting.open(
            tokensOffset, pricesOffset, TradeLib.first(trades), n, trades.length
        );
        BatchAccounting.store(batch + BATCH_DOMAIN, uint256(_domainSeparator()));
    }

    /// @dev Pass 1 for the common trade on the fast path (`SettleFastPath`); false, having
    /// written nothing, if the trade is not for it, and `_pull` then settles the trade or
    /// reverts with the precise error.
    function _pullFast(uint256 t, uint256 i, uint256 batch) internal returns (bool) {
        (bytes32 uid, uint256 bought, uint256 nonceSlot, uint256 nonceWord) =
            SettleFastPath.check(t, batch, _nonces);
        if (uid == 0) return false;
        SettleFastPath.spend(nonceSlot, nonceWord);
        // Fill-or-kill: `executed == sellAmount`, so the fee is the whole `feeAmount`.
        uint256 executed = TradeLib.word(t, TRADE_SELL_AMOUNT);
        uint256 fee = TradeLib.word(t, TRADE_FEE_AMOUNT);
        if (!SettleFastPath.take(t, i, batch, _balances)) {
            _take(TradeLib.word(t, TRADE_PACKED), i, executed, fee, batch);
        }
        BatchAccounting.store(BatchAccounting.entry(batch, i), bought);
        _book(t, uid, executed, fee, bought, batch);
        return true;
    }

    /// @dev Pass 1 for trade `i` at `t`: checks the order and its signature, records the fill,
    /// then takes sold + fee and books the bought amount.
    function _pull(uint256 t, uint256 i, uint256 batch, bytes[] calldata signatures) internal {
        uint256 packed = TradeLib.packed(t);
        (address sellToken, address buyToken) = _tokensOf(packed, batch);
        bytes32 uid = _hashTypedData(TradeLib.structHash(t, packed, sellToken, buyToken));
        uint256 executed = _checkOrder(t, packed, uid, batch);
        SignatureLib.verify(
            TradeLib.byteAt(packed, TRADE_SCHEME_SHIFT),
            uid,
            TradeLib.owner(packed),
            t,
            TradeLib.byteAt(packed, TRADE_V_SHIFT),
            signatures,
            preSignature
        );
        _recordFill(t, packed, uid, executed);
        _exchange(t, i, packed, uid, executed, batch);
    }

    /// @dev The trade's token addresses; reverts if an index is beyond the batch's tokens.
    function _tokensOf(uint256 packed, uint256 batch)
        internal
        pure
        returns (address sellToken, address buyToken)
    {
        uint256 sellIndex = TradeLib.byteAt(packed, TRADE_SELL_INDEX_SHIFT);
        uint256 buyIndex = TradeLib.byteAt(packed, TRADE_BUY_INDEX_SHIFT);
        uint256 n = BatchAccounting.load(batch + BATCH_TOKEN_COUNT);
        if (sellIndex >= n) revert TokenIndexOutOfRange(sellIndex);
        if (buyIndex >= n) revert TokenIndexOutOfRange(buyIndex);
        // Indices are in range and `_openBatch` checked every token word: raw reads are safe.
        sellToken = BatchAccounting.token(batch, sellIndex);
        buyToken = BatchAccounting.token(batch, buyIndex);
    }

    /// @dev Every order check before the signature; returns the executed sell amount.
    function _checkOrder(uint256 t, uint256 packed, bytes32 uid, uint256 batch)
        internal
        view
        returns (uint256 executed)
    {
        if (TradeLib.word(t, TRADE_SELL_AMOUNT) == 0 || TradeLib.word(t, TRADE_BUY_AMOUNT) == 0) {
            revert ZeroAmount(uid);
        }
        uint256 sellIndex = TradeLib.byteAt(packed, TRADE_SELL_INDEX_SHIFT);
        // The batch's tokens are distinct, so the same token means the same index.
        if (sellIndex == TradeLib.byteAt(packed, TRADE_BUY_INDEX_SHIFT)) {
            revert SameToken(uid, BatchAccounting.token(batch, sellIndex));
        }
        uint256 flags = TradeLib.byteAt(packed, TRADE_FLAGS_SHIFT);
        // `flags` is one byte of the packed word, so the cast is exact.
        // forge-lint: disable-next-line(unsafe-typecast)
        if (flags > OrderLib.ALL_FLAGS) revert InvalidFlags(uid, uint8(flags));
        uint256 validTo = TradeLib.validTo(packed);
        // `validTo` is four bytes of the packed word, so the cast is exact.
        // forge-lint: disable-next-line(block-timestamp,unsafe-typecast)
        if (validTo < block.timestamp) revert OrderExpired(uid, uint32(validTo));
        uint256 nonce = TradeLib.word(t, TRADE_NONCE);
        uint256 floor = _nonces[TradeLib.owner(packed)].floorOf();
        if (nonce < floor) revert NonceBelowFloor(uid, nonce, floor);
        executed = _executedOf(t, flags);
        if (executed == 0) revert ZeroExecutedAmount(uid);
    }

    /// @dev The executed sell amount of the trade at `t`: a fill-or-kill trade may encode the
    /// whole order as 0 (a zero word is 4 gas a byte of calldata instead of 16), so 0 means
    /// `sellAmount` for it; for a partially fillable one, 0 stays 0 (and is rejected).
    function _executedOf(uint256 t, uint256 flags) internal pure returns (uint256 executed) {
        executed = TradeLib.word(t, TRADE_EXECUTED);
        if (executed == 0 && flags & OrderLib.PARTIALLY_FILLABLE == 0) {
            executed = TradeLib.word(t, TRADE_SELL_AMOUNT);
        }
    }

    /// @dev The fill record, after the signature and before any token moves: fill-or-kill
    /// orders spend their nonce bit, partially fillable ones add to `filledAmount`.
    function _recordFill(uint256 t, uint256 packed, bytes32 uid, uint256 executed) internal {
        uint256 sellAmount = TradeLib.word(t, TRADE_SELL_AMOUNT);
        if (TradeLib.byteAt(packed, TRADE_FLAGS_SHIFT) & OrderLib.PARTIALLY_FILLABLE == 0) {
            if (executed != sellAmount) revert FillOrKillAmount(uid, executed, sellAmount);
            address orderOwner = TradeLib.owner(packed);
            uint256 nonce = TradeLib.word(t, TRADE_NONCE);
            if (!_nonces[orderOwner].spend(nonce)) {
                revert NonceAlreadySpent(uid, orderOwner, nonce);
            }
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

    /// @dev Bought amount and limit check, takes sold + fee, books the payout, emits `Trade`.
    function _exchange(
        uint256 t,
        uint256 i,
        uint256 packed,
        bytes32 uid,
        uint256 executed,
        uint256 batch
    ) internal {
        _finish(t, i, packed, uid, executed, _boughtAmount(t, packed, uid, executed, batch), batch);
    }

    /// @dev Takes sold + fee, books the payout and emits `Trade` (both paths of pass 1).
    function _finish(
        uint256 t,
        uint256 i,
        uint256 packed,
        bytes32 uid,
        uint256 executed,
        uint256 bought,
        uint256 batch
    ) internal {
        uint256 fee = _feeOf(t, executed);
        _take(packed, i, executed, fee, batch);
        BatchAccounting.store(BatchAccounting.entry(batch, i), bought);
        _book(t, uid, executed, fee, bought, batch);
    }

    /// @dev Books the trade at `t` (sold + fee in, bought out: checked sums) and emits its
    /// `Trade` event; the caller stored the bought amount in the trade's ledger entry.
    function _book(
        uint256 t,
        bytes32 uid,
        uint256 executed,
        uint256 fee,
        uint256 bought,
        uint256 batch
    ) internal {
        bytes32 topic = Trade.selector;
        assembly ("memory-safe") {
            let packed := calldataload(add(t, TRADE_PACKED))
            let sellIdx := and(shr(TRADE_SELL_INDEX_SHIFT, packed), 0xff)
            let buyIdx := and(shr(TRADE_BUY_INDEX_SHIFT, packed), 0xff)
            let accounts := add(batch, BATCH_ACCOUNTS)
            let amount := add(executed, fee)
            let p := add(add(accounts, shl(ACCOUNT_SHIFT, sellIdx)), ACCOUNT_PULLED)
            let sum := add(mload(p), amount)
            let overflow := or(lt(amount, fee), lt(sum, amount))
            mstore(p, sum)
            p := add(add(accounts, shl(ACCOUNT_SHIFT, buyIdx)), ACCOUNT_PUSHED)
            sum := add(mload(p), bought)
            overflow := or(overflow, lt(sum, bought))
            mstore(p, sum)
            if overflow {
                mstore(0x00, 0x4e487b71) // Panic(0x11), as checked arithmetic
                mstore(0x20, 0x11)
                revert(0x1c, 0x24)
            }
            // Trade(orderUid, owner, sellToken, buyToken, soldAmount, boughtAmount, feeAmount)
            let m := mload(0x40)
            let tokens := mload(add(batch, BATCH_TOKENS))
            mstore(m, calldataload(add(tokens, shl(5, sellIdx))))
            mstore(add(m, 0x20), calldataload(add(tokens, shl(5, buyIdx))))
            mstore(add(m, 0x40), executed)
            mstore(add(m, 0x60), bought)
            mstore(add(m, 0x80), fee)
            log3(m, 0xa0, topic, uid, and(packed, 0xffffffffffffffffffffffffffffffffffffffff))
        }
    }

    /// @dev The bought amount at the clearing prices, checked against the limit price.
    function _boughtAmount(uint256 t, uint256 packed, bytes32 uid, uint256 executed, uint256 batch)
        internal
        pure
        returns (uint256 bought)
    {
        // Floor: the batch keeps the rounding, so tokens are conserved.
        bought = FixedPointMathLib.fullMulDiv(
            executed,
            BatchAccounting.price(batch, TradeLib.byteAt(packed, TRADE_SELL_INDEX_SHIFT)),
            BatchAccounting.price(batch, TradeLib.byteAt(packed, TRADE_BUY_INDEX_SHIFT))
        );
        uint256 sellAmount = TradeLib.word(t, TRADE_SELL_AMOUNT);
        uint256 buyAmount = TradeLib.word(t, TRADE_BUY_AMOUNT);
        if (!OrderLib.meetsLimit(bought, sellAmount, executed, buyAmount)) {
            revert LimitPriceNotMet(uid, executed, bought);
        }
    }

    /// @dev The fee of a fill: `floor(feeAmount * executed / sellAmount)`, in the owner's favour.
    function _feeOf(uint256 t, uint256 executed) internal pure returns (uint256) {
        uint256 sellAmount = TradeLib.word(t, TRADE_SELL_AMOUNT);
        uint256 feeAmount = TradeLib.word(t, TRADE_FEE_AMOUNT);
        // `executed <= sellAmount` (checked by the fill record), so no overflow.
        return executed == sellAmount
            ? feeAmount
            : FixedPointMathLib.fullMulDiv(feeAmount, executed, sellAmount);
    }

    /// @dev Takes sold + fee from the owner's wallet or internal balance. A trade with a
    /// payee sends its sold amount straight to the payee's receiver in pass 2 (`_payDirect`):
    /// here it only claims the payee (its sold amount is booked as taken in by `_book`; pass 2
    /// checks it equals the payee's bought amount, booked as paid out, so the two cancel in the
    /// per-token conservation check), and pulls its fee.
    function _take(uint256 packed, uint256 i, uint256 executed, uint256 fee, uint256 batch)
        internal
    {
        uint256 sellIndex = TradeLib.byteAt(packed, TRADE_SELL_INDEX_SHIFT);
        uint256 payee = TradeLib.payee(packed);
        if (payee != 0) {
            _claimPayee(packed, i, payee, batch);
            if (fee != 0) {
                _pullFromWallet(
                    BatchAccounting.token(batch, sellIndex),
                    TradeLib.owner(packed),
                    BatchAccounting.account(batch, sellIndex),
                    fee
                );
            }
        } else if (TradeLib.byteAt(packed, TRADE_FLAGS_SHIFT) & OrderLib.SELL_FROM_INTERNAL != 0) {
            _debit(TradeLib.owner(packed), BatchAccounting.token(batch, sellIndex), executed + fee);
        } else {
            _pullFromWallet(
                BatchAccounting.token(batch, sellIndex),
                TradeLib.owner(packed),
                BatchAccounting.account(batch, sellIndex),
                executed + fee
            );
        }
    }

    /// @dev Trade `i` will pay trade `payee - 1` directly: the payee must be in the batch and
    /// paid by no other trade, and the payer must sell from its wallet.
    function _claimPayee(uint256 packed, uint256 i, uint256 payee, uint256 batch) internal pure {
        unchecked {
            // `payee != 0`.
            --payee;
        }
        if (
            payee >= BatchAccounting.load(batch + BATCH_TRADE_COUNT)
                || TradeLib.byteAt(packed, TRADE_FLAGS_SHIFT) & OrderLib.SELL_FROM_INTERNAL != 0
        ) revert InvalidDirectPayment(i, payee);
        uint256 claim = BatchAccounting.entry(batch, payee) + LEDGER_PAYER;
        if (BatchAccounting.load(claim) != 0) revert InvalidDirectPayment(i, payee);
        unchecked {
            // `i < count`, far below 2**256.
            BatchAccounting.store(claim, i + 1);
        }
    }

    /// @dev Pulls `amount` of `token` from `from`'s wallet, measured per token by
    /// `_checkWalletPulls` (our balance is read before the first pull of each token).
    function _pullFromWallet(address token, address from, uint256 account, uint256 amount)
        internal
    {
        if (BatchAccounting.load(account + ACCOUNT_WALLET_PULLED) == 0) {
            BatchAccounting.store(
                account + ACCOUNT_BALANCE_BEFORE, SafeTransferLib.balanceOf(token, address(this))
            );
        }
        // Reason: `from` is not arbitrary: it signed the order being settled (verified before
        // any pull), and the signature bounds `amount` by the signed sellAmount + feeAmount.
        // slither-disable-next-line arbitrary-send-erc20
        token.safeTransferFrom(from, address(this), amount);
        BatchAccounting.add(account + ACCOUNT_WALLET_PULLED, amount);
    }

    /// @dev Reverts unless each token's wallet pulls all arrived (no fee-on-transfer, no rebase).
    function _checkWalletPulls(address[] calldata tokens, uint256 batch) internal view {
        for (uint256 j; j < tokens.length; ++j) {
            uint256 account = BatchAccounting.account(batch, j);
            uint256 expected = BatchAccounting.load(account + ACCOUNT_WALLET_PULLED);
            if (expected != 0) {
                _checkArrived(
                    tokens[j],
                    address(this),
                    BatchAccounting.load(account + ACCOUNT_BALANCE_BEFORE),
                    expected
                );
            }
        }
    }

    /// @dev Pass 2 for the trade at `t` (ledger entry `entry`) that the contract pays: its bought
    /// amount to the receiver (the owner if zero), to the wallet or the internal balance.
    /// Pass 1 validated the trade's words and its token index.
    function _push(uint256 t, uint256 entry, uint256 batch) internal {
        uint256 packed = TradeLib.word(t, TRADE_PACKED);
        address receiver = TradeLib.receiver(t, packed);
        uint256 bought = BatchAccounting.load(entry);
        address buyToken =
            BatchAccounting.token(batch, TradeLib.byteAt(packed, TRADE_BUY_INDEX_SHIFT));
        if (TradeLib.byteAt(packed, TRADE_FLAGS_SHIFT) & OrderLib.BUY_TO_INTERNAL != 0) {
            _credit(receiver, buyToken, bought);
        } else {
            buyToken.safeTransfer(receiver, bought);
        }
    }

    /// @dev Trade `payer` pays trade `payee` (at `t`) directly: its bought amount of its buy
    /// token from the payer's wallet to its receiver. The first direct transfer of a token that
    /// had no wallet pull in the batch is measured at the receiver, so a fee-on-transfer token
    /// is rejected even when no pull into the contract measured it.
    function _payDirect(uint256 t, uint256 payer, uint256 payee, uint256 batch) internal {
        uint256 payeePacked = TradeLib.word(t, TRADE_PACKED);
        address receiver = TradeLib.receiver(t, payeePacked);
        uint256 bought = BatchAccounting.load(BatchAccounting.entry(batch, payee));
        address from = _checkDirect(payer, payee, payeePacked, receiver, bought, batch);
        uint256 buyIndex = TradeLib.byteAt(payeePacked, TRADE_BUY_INDEX_SHIFT);
        address buyToken = BatchAccounting.token(batch, buyIndex);
        uint256 account = BatchAccounting.account(batch, buyIndex);
        bool measure = BatchAccounting.load(account + ACCOUNT_WALLET_PULLED)
                | BatchAccounting.load(account + ACCOUNT_DIRECT_MEASURED) == 0;
        if (measure) BatchAccounting.store(account + ACCOUNT_DIRECT_MEASURED, 1);
        uint256 before = measure ? SafeTransferLib.balanceOf(buyToken, receiver) : 0;
        // Reason: `from` signed the paying order (verified in pass 1), which sells exactly
        // `bought` of this token (`_checkDirect`).
        // slither-disable-next-line arbitrary-send-erc20
        buyToken.safeTransferFrom(from, receiver, bought);
        if (measure) _checkArrived(buyToken, receiver, before, bought);
    }

    /// @dev Returns the payer's owner after checking the pair: the payee buys to its wallet,
    /// the payer sells exactly `bought` of the payee's buy token, and does not pay itself.
    function _checkDirect(
        uint256 payer,
        uint256 payee,
        uint256 payeePacked,
        address receiver,
        uint256 bought,
        uint256 batch
    ) internal pure returns (address from) {
        uint256 p = BatchAccounting.load(batch + BATCH_TRADES) + payer * TRADE_SIZE;
        uint256 payerPacked = TradeLib.word(p, TRADE_PACKED);
        from = TradeLib.owner(payerPacked);
        if (
            TradeLib.byteAt(payeePacked, TRADE_FLAGS_SHIFT) & OrderLib.BUY_TO_INTERNAL != 0
                || TradeLib.byteAt(payerPacked, TRADE_SELL_INDEX_SHIFT)
                    != TradeLib.byteAt(payeePacked, TRADE_BUY_INDEX_SHIFT)
                || _executedOf(p, TradeLib.byteAt(payerPacked, TRADE_FLAGS_SHIFT)) != bought
                || from == receiver
        ) revert InvalidDirectPayment(payer, payee);
    }

    /// @dev Per token: what leaves (payouts, leg inputs) is at most what came in (order inputs,
    /// leg outputs); the surplus goes to the fee recipient. Runs before any payout, so a batch
    /// never touches tokens it did not take in.
    function _closeBatch(address[] calldata tokens, uint256 batch) internal {
        address recipient = feeRecipient;
        for (uint256 j; j < tokens.length; ++j) {
            uint256 account = BatchAccounting.account(batch, j);
            uint256 available = BatchAccounting.load(account + ACCOUNT_PULLED)
                + BatchAccounting.load(account + ACCOUNT_LEG_OUT);
            uint256 spent = BatchAccounting.load(account + ACCOUNT_PUSHED)
                + BatchAccounting.load(account + ACCOUNT_LEG_IN);
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

    /// @dev `_balances[owner][token] += amount`, checked, in assembly (once per internal payout).
    function _credit(address owner, address token, uint256 amount) internal {
        uint256 balancesSlot;
        assembly ("memory-safe") {
            balancesSlot := _balances.slot
            mstore(0x00, owner)
            mstore(0x20, balancesSlot)
            mstore(0x20, keccak256(0x00, 0x40))
            mstore(0x00, token)
            let slot := keccak256(0x00, 0x40)
            let sum := add(sload(slot), amount)
            if lt(sum, amount) {
                mstore(0x00, 0x4e487b71) // Panic(0x11), as checked arithmetic
                mstore(0x20, 0x11)
                revert(0x1c, 0x24)
            }
            sstore(slot, sum)
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

    /// @dev Reverts `FeeOnTransferToken` unless `holder`'s balance of `token` grew by exactly
    /// `amount` since it was `before`.
    function _checkArrived(address token, address holder, uint256 before, uint256 amount)
        internal
        view
    {
        uint256 arrived;
        unchecked {
            // Wrapping on purpose: a balance that shrank wraps to a huge number, never `amount`.
            arrived = SafeTransferLib.balanceOf(token, holder) - before;
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
        NonceLib.Nonces storage nonces = _nonces[order.owner];
        if (nonce < nonces.floorOf()) return (OrderStatus.Cancelled, 0);
        uint256 remaining = sellAmount;
        if (order.flags & OrderLib.PARTIALLY_FILLABLE != 0) {
            uint256 filled = filledAmount[uid];
            if (filled == type(uint256).max) return (OrderStatus.Cancelled, 0);
            if (filled >= sellAmount) return (OrderStatus.Filled, 0);
            remaining = sellAmount - filled;
        } else if (nonces.isSpent(nonce)) {
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
