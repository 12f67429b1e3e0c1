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
import {NonceLib} from "./libraries/NonceLib.sol";
import {TradeLib} from "./libraries/TradeLib.sol";

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
        _payAll(tokens, trades, batch);
    }

    // ------------------------- internal balances --------------------------

    /// @inheritdoc ISettlement
    function deposit(address token, uint256 amount) external nonReentrant {
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
                t += TradeLib.SIZE;
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
                payer = BatchAccounting.load(entry + 0x20);
            }
            if (payer == 0) {
                _push(t, entry, batch);
            } else if (!_payDirectFast(t, entry, payer, batch)) {
                unchecked {
                    // `payer != 0`: pass 1 stored 1 + the index of a trade of the batch.
                    _payDirect(t, payer - 1, i, batch);
                }
            }
            unchecked {
                // The next ledger entry: two words per trade, `i < count`.
                entry += 0x40;
                // As in `_pullAll`.
                t += TradeLib.SIZE;
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
        LiquidityLegs.executePoolLegs(poolLegs, tokens, batch, amm);
        LiquidityLegs.executeBookLegs(bookLegs, tokens, batch, books);
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
        /// @solidity memory-safe-assembly
        assembly {
            tokensOffset := tokens.offset
            pricesOffset := prices.offset
        }
        batch = BatchAccounting.open(
            tokensOffset, pricesOffset, TradeLib.first(trades), n, trades.length
        );
        BatchAccounting.store(batch + BatchAccounting.DOMAIN, uint256(_domainSeparator()));
    }

    /// @dev Pass 1 for the common trade (ECDSA, fill-or-kill, every check passing, a price
    /// product within 256 bits) in one block of assembly: about 3,000 gas less per fill than
    /// the general path. It writes nothing unless every check of `_pull` passed (`_checkFast`
    /// performs the same checks); otherwise it returns false and `_pull` settles the trade or
    /// reverts with the precise error.
    function _pullFast(uint256 t, uint256 i, uint256 batch) internal returns (bool) {
        (bytes32 uid, uint256 bought, uint256 nonceSlot, uint256 nonceWord) = _checkFast(t, batch);
        if (uid == 0) return false;
        /// @solidity memory-safe-assembly
        assembly {
            sstore(nonceSlot, nonceWord) // the fill record: the nonce bit is spent
        }
        // Fill-or-kill: `executed == sellAmount`, so the fee is the whole `feeAmount`.
        uint256 executed = TradeLib.word(t, TradeLib.SELL_AMOUNT);
        uint256 fee = TradeLib.word(t, TradeLib.FEE_AMOUNT);
        if (!_takeFast(t, i, batch)) _take(TradeLib.word(t, TradeLib.PACKED), i, executed, fee, batch);
        BatchAccounting.store(BatchAccounting.entry(batch, i), bought);
        _book(t, uid, executed, fee, bought, batch);
        return true;
    }

    /// @dev `_take` for a fill-or-kill trade in assembly when it needs no token call: a
    /// fee-free direct payer claiming its payee, or a sale from the internal balance that
    /// covers it. Returns false, having written nothing, otherwise (`_take` then pulls from
    /// the wallet or reverts precisely).
    function _takeFast(uint256 t, uint256 i, uint256 batch) internal returns (bool done) {
        uint256 balancesSlot;
        /// @solidity memory-safe-assembly
        assembly {
            balancesSlot := _balances.slot
        }
        /// @solidity memory-safe-assembly
        assembly {
            let packed := calldataload(t)
            let fee := calldataload(add(t, 0x80))
            let payee := and(shr(232, packed), 0xffff)
            let fromInternal := and(packed, shl(209, 1)) // SELL_FROM_INTERNAL
            switch payee
            case 0 {
                if fromInternal {
                    let amount := add(calldataload(add(t, 0x40)), fee) // executed == sellAmount
                    mstore(0x00, and(packed, 0xffffffffffffffffffffffffffffffffffffffff))
                    mstore(0x20, balancesSlot)
                    mstore(0x20, keccak256(0x00, 0x40))
                    mstore(0x00, calldataload(add(mload(batch), shl(5, and(shr(192, packed), 0xff)))))
                    let slot := keccak256(0x00, 0x40)
                    let bal := sload(slot)
                    // covered and no overflow in `executed + fee`
                    if iszero(or(lt(bal, amount), lt(amount, fee))) {
                        sstore(slot, sub(bal, amount))
                        done := 1
                    }
                }
            }
            default {
                payee := sub(payee, 1)
                let claim := add(add(mload(add(batch, 0x60)), shl(6, payee)), 0x20) // LEDGER
                // in range (TRADE_COUNT), unclaimed, a wallet sale, no fee to pull
                if iszero(or(or(iszero(lt(payee, mload(add(batch, 0xa0)))), fee), fromInternal)) {
                    if iszero(mload(claim)) {
                        mstore(claim, add(i, 1))
                        done := 1
                    }
                }
            }
        }
    }

    /// @dev The checks of `_pull` for the fast path; `uid == 0` if the trade is not for the fast
    /// path or fails any check. Returns the nonce slot (the owner's head or a bitmap word) and
    /// its new value to write.
    function _checkFast(uint256 t, uint256 batch)
        internal
        view
        returns (bytes32 uid, uint256 bought, uint256 nonceSlot, uint256 nonceWord)
    {
        bool ok;
        (bought, ok) = _fastAmounts(t, batch);
        if (ok && _fastOrderValid(t, batch)) (uid, nonceSlot, nonceWord) = _fastAuthorize(t, batch);
    }

    /// @dev Fast path: the bought amount at the clearing prices when `sellAmount * price` fits
    /// 256 bits, and the exact limit check (fill-or-kill: `executed == sellAmount`).
    function _fastAmounts(uint256 t, uint256 batch) internal pure returns (uint256 bought, bool ok) {
        /// @solidity memory-safe-assembly
        assembly {
            let packed := calldataload(t)
            let sellAmount := calldataload(add(t, 0x40))
            let prices := mload(add(batch, 0x20)) // PRICES (indices are checked by the caller)
            let pSell := calldataload(add(prices, shl(5, and(shr(192, packed), 0xff))))
            let product := mul(sellAmount, pSell)
            ok := eq(div(product, sellAmount), pSell) // false for sellAmount == 0 too
            bought := div(product, calldataload(add(prices, shl(5, and(shr(200, packed), 0xff)))))
            // The limit `bought * sellAmount >= executed * buyAmount` with
            // `executed == sellAmount != 0` (checked here and in `_fastOrderValid`) is exactly
            // `bought >= buyAmount`.
            let buyAmount := calldataload(add(t, 0x60))
            ok := and(ok, iszero(or(lt(bought, buyAmount), iszero(buyAmount))))
        }
    }

    /// @dev Fast path: the encoding and order checks of `_tokensOf` / `_checkOrder` (ECDSA and
    /// fill-or-kill only), with the ECDSA `v` and low-`s` checks.
    /// (The nonce floor is checked by `_fastAuthorize`, which reads the owner's `Nonces`.)
    function _fastOrderValid(uint256 t, uint256 batch) internal view returns (bool ok) {
        uint256 halfN = SignatureLib.HALF_N;
        /// @solidity memory-safe-assembly
        assembly {
            let packed := calldataload(t)
            // top byte and signing scheme zero (ECDSA); fill-or-kill with known flags only: the
            // top byte, the scheme byte and flag bits 0 and 3..7 must be clear
            let bad := and(packed, 0xff000000fff90000000000000000000000000000000000000000000000000000)
            {
                let sellIdx := and(shr(192, packed), 0xff)
                let buyIdx := and(shr(200, packed), 0xff)
                let n := mload(add(batch, 0x80)) // TOKEN_COUNT
                bad := or(bad, or(iszero(lt(sellIdx, n)), iszero(lt(buyIdx, n))))
                bad := or(bad, eq(sellIdx, buyIdx))
            }
            bad := or(bad, shr(160, calldataload(add(t, 0x20)))) // receiver
            bad := or(bad, lt(and(shr(160, packed), 0xffffffff), timestamp()))
            // executed is 0 (the whole order) or sellAmount (nonzero: `_fastAmounts` checked it)
            {
                let executed := calldataload(add(t, 0xc0))
                // nonzero iff executed != 0 and executed != sellAmount
                bad := or(bad, xor(executed, mul(iszero(iszero(executed)), calldataload(add(t, 0x40)))))
            }
            {
                // `v - 27` wraps for `v < 27`: only 27 and 28 pass
                bad := or(bad, gt(sub(and(shr(224, packed), 0xff), 27), 1))
                bad := or(bad, gt(calldataload(add(t, 0x100)), halfN))
            }
            ok := iszero(bad)
        }
    }

    /// @dev Fast path: the uid, the ECDSA signer, the nonce floor and the unspent nonce bit
    /// (`NonceLib.floorOf` and `NonceLib.spend` without a head move); `uid == 0` unless the
    /// signer is the owner, the nonce is at or above the owner's floor (the head's copy, or the
    /// full slot behind the sentinel) and its bit is unspent: in the head if the head covers it
    /// (one slot for everything), else in the mapping word. A nonce the head must move to goes
    /// to `_pull`. Returns the slot to write (the head or the mapping word) and its new value.
    function _fastAuthorize(uint256 t, uint256 batch)
        internal
        view
        returns (bytes32 uid, uint256 nonceSlot, uint256 nonceWord)
    {
        uint256 moveWindow = NonceLib.MOVE_WINDOW;
        uint256 noncesSeed;
        /// @solidity memory-safe-assembly
        assembly {
            noncesSeed := _nonces.slot
        }
        bytes32 typeHash = OrderLib.TYPE_HASH;
        /// @solidity memory-safe-assembly
        assembly {
            let packed := calldataload(t)
            let signer := and(packed, 0xffffffffffffffffffffffffffffffffffffffff)
            let m := mload(0x40)
            {
                let tokens := mload(batch) // TOKENS
                mstore(m, typeHash)
                mstore(add(m, 0x20), signer)
                mstore(add(m, 0x40), calldataload(add(t, 0x20))) // receiver
                mstore(add(m, 0x60), calldataload(add(tokens, shl(5, and(shr(192, packed), 0xff)))))
                mstore(add(m, 0x80), calldataload(add(tokens, shl(5, and(shr(200, packed), 0xff)))))
                calldatacopy(add(m, 0xa0), add(t, 0x40), 0x60) // sellAmount, buyAmount, feeAmount
                mstore(add(m, 0x100), and(shr(160, packed), 0xffffffff))
                mstore(add(m, 0x120), calldataload(add(t, 0xa0))) // nonce
                mstore(add(m, 0x140), and(shr(208, packed), 0xff))
                // EIP-712 digest: "\x19\x01" ‖ domain separator ‖ struct hash
                mstore(add(m, 0x162), keccak256(m, 0x160))
                mstore(add(m, 0x142), mload(add(batch, 0xc0))) // DOMAIN
                mstore(add(m, 0x122), 0x1901)
                uid := keccak256(add(m, 0x140), 0x42)
            }
            // ECDSA: the recovered signer must be the owner (never zero)
            mstore(0x00, uid)
            mstore(0x20, and(shr(224, packed), 0xff))
            mstore(0x40, calldataload(add(t, 0xe0)))
            mstore(0x60, calldataload(add(t, 0x100)))
            pop(staticcall(gas(), 0x01, 0x00, 0x80, 0x00, 0x20))
            let recovered := mul(mload(0x00), eq(returndatasize(), 0x20))
            mstore(0x60, 0)
            mstore(0x40, m)
            let bad := or(iszero(recovered), iszero(eq(recovered, signer)))
            let nonce := calldataload(add(t, 0xa0))
            // `_nonces[owner].head`, the struct's first slot: bits 0..127 the nonce bits of
            // half-word h, 128..191 h, 192..255 the floor or the sentinel 2**64 - 1
            mstore(0x00, signer)
            mstore(0x20, noncesSeed)
            nonceSlot := keccak256(0x00, 0x40)
            let head := sload(nonceSlot)
            // the floor is the head's copy, or behind the sentinel the struct's second slot;
            // the nonce is not below it
            let floor := shr(192, head)
            if eq(floor, 0xffffffffffffffff) { floor := sload(add(nonceSlot, 1)) }
            bad := or(bad, lt(nonce, floor))
            let half := shr(7, nonce)
            let h := and(shr(128, head), 0xffffffffffffffff)
            switch eq(half, h)
            case 1 {
                // the head covers the nonce (h < 2**64: a nonce of 2**71 or more never matches)
                // slither-disable-start incorrect-shift Reason: shl(shift, value): 1 << (nonce & 0x7f)
                let bit := shl(and(nonce, 0x7f), 1)
                // slither-disable-end incorrect-shift
                bad := or(bad, and(head, bit))
                nonceWord := or(head, bit)
            }
            default {
                // a nonce in the window above the head moves the head: `_pull` does that
                let beyond := or(gt(sub(half, h), moveWindow), gt(half, 0xffffffffffffffff))
                bad := or(bad, and(gt(half, h), iszero(beyond)))
                if iszero(bad) {
                    // `_nonces[owner].bitmap[nonce >> 8]`: the struct's third slot is the mapping's
                    mstore(0x00, shr(8, nonce))
                    mstore(0x20, add(nonceSlot, 2))
                    nonceSlot := keccak256(0x00, 0x40)
                    let word := sload(nonceSlot)
                    // slither-disable-start incorrect-shift Reason: shl(shift, value): 1 << (nonce & 0xff)
                    let bit := shl(and(nonce, 0xff), 1)
                    // slither-disable-end incorrect-shift
                    bad := and(word, bit)
                    nonceWord := or(word, bit)
                }
            }
            if bad { uid := 0 }
        }
    }

    /// @dev Pass 1 for trade `i` at `t`: checks the order and its signature, records the fill,
    /// then takes sold + fee and books the bought amount.
    function _pull(uint256 t, uint256 i, uint256 batch, bytes[] calldata signatures) internal {
        uint256 packed = TradeLib.packed(t);
        (address sellToken, address buyToken) = _tokensOf(packed, batch);
        bytes32 uid = _hashTypedData(TradeLib.structHash(t, packed, sellToken, buyToken));
        uint256 executed = _checkOrder(t, packed, uid, batch);
        SignatureLib.verify(
            TradeLib.byteAt(packed, TradeLib.SCHEME_SHIFT), uid, TradeLib.owner(packed), t,
            TradeLib.byteAt(packed, TradeLib.V_SHIFT), signatures, preSignature
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
        uint256 sellIndex = TradeLib.byteAt(packed, TradeLib.SELL_INDEX_SHIFT);
        uint256 buyIndex = TradeLib.byteAt(packed, TradeLib.BUY_INDEX_SHIFT);
        uint256 n = BatchAccounting.load(batch + BatchAccounting.TOKEN_COUNT);
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
        if (TradeLib.word(t, TradeLib.SELL_AMOUNT) == 0 || TradeLib.word(t, TradeLib.BUY_AMOUNT) == 0) {
            revert ZeroAmount(uid);
        }
        uint256 sellIndex = TradeLib.byteAt(packed, TradeLib.SELL_INDEX_SHIFT);
        // The batch's tokens are distinct, so the same token means the same index.
        if (sellIndex == TradeLib.byteAt(packed, TradeLib.BUY_INDEX_SHIFT)) {
            revert SameToken(uid, BatchAccounting.token(batch, sellIndex));
        }
        uint256 flags = TradeLib.byteAt(packed, TradeLib.FLAGS_SHIFT);
        // `flags` is one byte of the packed word, so the cast is exact.
        // forge-lint: disable-next-line(unsafe-typecast)
        if (flags > OrderLib.ALL_FLAGS) revert InvalidFlags(uid, uint8(flags));
        uint256 validTo = TradeLib.validTo(packed);
        // `validTo` is four bytes of the packed word, so the cast is exact.
        // forge-lint: disable-next-line(block-timestamp,unsafe-typecast)
        if (validTo < block.timestamp) revert OrderExpired(uid, uint32(validTo));
        uint256 nonce = TradeLib.word(t, TradeLib.NONCE);
        uint256 floor = _nonces[TradeLib.owner(packed)].floorOf();
        if (nonce < floor) revert NonceBelowFloor(uid, nonce, floor);
        executed = _executedOf(t, flags);
        if (executed == 0) revert ZeroExecutedAmount(uid);
    }

    /// @dev The executed sell amount of the trade at `t`: a fill-or-kill trade may encode the
    /// whole order as 0 (a zero word is 4 gas a byte of calldata instead of 16), so 0 means
    /// `sellAmount` for it; for a partially fillable one, 0 stays 0 (and is rejected).
    function _executedOf(uint256 t, uint256 flags) internal pure returns (uint256 executed) {
        executed = TradeLib.word(t, TradeLib.EXECUTED);
        if (executed == 0 && flags & OrderLib.PARTIALLY_FILLABLE == 0) {
            executed = TradeLib.word(t, TradeLib.SELL_AMOUNT);
        }
    }

    /// @dev The fill record, after the signature and before any token moves: fill-or-kill
    /// orders spend their nonce bit, partially fillable ones add to `filledAmount`.
    function _recordFill(uint256 t, uint256 packed, bytes32 uid, uint256 executed) internal {
        uint256 sellAmount = TradeLib.word(t, TradeLib.SELL_AMOUNT);
        if (TradeLib.byteAt(packed, TradeLib.FLAGS_SHIFT) & OrderLib.PARTIALLY_FILLABLE == 0) {
            if (executed != sellAmount) revert FillOrKillAmount(uid, executed, sellAmount);
            address orderOwner = TradeLib.owner(packed);
            uint256 nonce = TradeLib.word(t, TradeLib.NONCE);
            if (!_nonces[orderOwner].spend(nonce)) revert NonceAlreadySpent(uid, orderOwner, nonce);
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
        /// @solidity memory-safe-assembly
        assembly {
            let packed := calldataload(t)
            let sellIdx := and(shr(192, packed), 0xff)
            let buyIdx := and(shr(200, packed), 0xff)
            let accounts := add(batch, 0xe0) // ACCOUNTS
            let amount := add(executed, fee)
            let p := add(accounts, shl(8, sellIdx)) // PULLED
            let sum := add(mload(p), amount)
            let overflow := or(lt(amount, fee), lt(sum, amount))
            mstore(p, sum)
            p := add(add(accounts, shl(8, buyIdx)), 0x20) // PUSHED
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
            let tokens := mload(batch) // TOKENS
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
            BatchAccounting.price(batch, TradeLib.byteAt(packed, TradeLib.SELL_INDEX_SHIFT)),
            BatchAccounting.price(batch, TradeLib.byteAt(packed, TradeLib.BUY_INDEX_SHIFT))
        );
        uint256 sellAmount = TradeLib.word(t, TradeLib.SELL_AMOUNT);
        uint256 buyAmount = TradeLib.word(t, TradeLib.BUY_AMOUNT);
        if (!OrderLib.meetsLimit(bought, sellAmount, executed, buyAmount)) {
            revert LimitPriceNotMet(uid, executed, bought);
        }
    }

    /// @dev The fee of a fill: `floor(feeAmount * executed / sellAmount)`, in the owner's favour.
    function _feeOf(uint256 t, uint256 executed) internal pure returns (uint256) {
        uint256 sellAmount = TradeLib.word(t, TradeLib.SELL_AMOUNT);
        uint256 feeAmount = TradeLib.word(t, TradeLib.FEE_AMOUNT);
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
    function _take(uint256 packed, uint256 i, uint256 executed, uint256 fee, uint256 batch) internal {
        uint256 sellIndex = TradeLib.byteAt(packed, TradeLib.SELL_INDEX_SHIFT);
        uint256 payee = TradeLib.payee(packed);
        if (payee != 0) {
            _claimPayee(packed, i, payee, batch);
            if (fee != 0) {
                _pullFromWallet(
                    BatchAccounting.token(batch, sellIndex), TradeLib.owner(packed),
                    BatchAccounting.account(batch, sellIndex), fee
                );
            }
        } else if (TradeLib.byteAt(packed, TradeLib.FLAGS_SHIFT) & OrderLib.SELL_FROM_INTERNAL != 0) {
            _debit(TradeLib.owner(packed), BatchAccounting.token(batch, sellIndex), executed + fee);
        } else {
            _pullFromWallet(
                BatchAccounting.token(batch, sellIndex), TradeLib.owner(packed),
                BatchAccounting.account(batch, sellIndex), executed + fee
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
            payee >= BatchAccounting.load(batch + BatchAccounting.TRADE_COUNT)
                || TradeLib.byteAt(packed, TradeLib.FLAGS_SHIFT) & OrderLib.SELL_FROM_INTERNAL != 0
        ) revert InvalidDirectPayment(i, payee);
        uint256 claim = BatchAccounting.entry(batch, payee) + 0x20;
        if (BatchAccounting.load(claim) != 0) revert InvalidDirectPayment(i, payee);
        unchecked {
            // `i < count`, far below 2**256.
            BatchAccounting.store(claim, i + 1);
        }
    }

    /// @dev Pulls `amount` of `token` from `from`'s wallet, measured per token by
    /// `_checkWalletPulls` (our balance is read before the first pull of each token).
    function _pullFromWallet(address token, address from, uint256 account, uint256 amount) internal {
        if (BatchAccounting.load(account + BatchAccounting.WALLET_PULLED) == 0) {
            BatchAccounting.store(
                account + BatchAccounting.BALANCE_BEFORE, SafeTransferLib.balanceOf(token, address(this))
            );
        }
        // Reason: `from` is not arbitrary: it signed the order being settled (verified before
        // any pull), and the signature bounds `amount` by the signed sellAmount + feeAmount.
        // slither-disable-next-line arbitrary-send-erc20
        token.safeTransferFrom(from, address(this), amount);
        BatchAccounting.add(account + BatchAccounting.WALLET_PULLED, amount);
    }

    /// @dev Reverts unless each token's wallet pulls all arrived (no fee-on-transfer, no rebase).
    function _checkWalletPulls(address[] calldata tokens, uint256 batch) internal view {
        for (uint256 j; j < tokens.length; ++j) {
            uint256 account = BatchAccounting.account(batch, j);
            uint256 expected = BatchAccounting.load(account + BatchAccounting.WALLET_PULLED);
            if (expected != 0) {
                _checkArrived(
                    tokens[j], address(this), BatchAccounting.load(account + BatchAccounting.BALANCE_BEFORE), expected
                );
            }
        }
    }

    /// @dev Pass 2 for the trade at `t` (ledger entry `entry`) that the contract pays: its bought
    /// amount to the receiver (the owner if zero), to the wallet or the internal balance.
    /// Pass 1 validated the trade's words and its token index.
    function _push(uint256 t, uint256 entry, uint256 batch) internal {
        uint256 packed = TradeLib.word(t, TradeLib.PACKED);
        address receiver = TradeLib.receiver(t, packed);
        uint256 bought = BatchAccounting.load(entry);
        address buyToken = BatchAccounting.token(batch, TradeLib.byteAt(packed, TradeLib.BUY_INDEX_SHIFT));
        if (TradeLib.byteAt(packed, TradeLib.FLAGS_SHIFT) & OrderLib.BUY_TO_INTERNAL != 0) {
            _credit(receiver, buyToken, bought);
        } else {
            buyToken.safeTransfer(receiver, bought);
        }
    }

    /// @dev Direct payment in assembly: the checks of `_checkDirect`, then Solady's
    /// `safeTransferFrom` (and `balanceOf` around the first direct transfer of a token that no
    /// wallet pull measured, as `_payDirect`) for the trade at `t` (ledger entry `entry`), paid
    /// by trade `payer - 1`. Returns false, having done nothing, if a check fails: `_payDirect`
    /// then reverts with the precise error.
    function _payDirectFast(uint256 t, uint256 entry, uint256 payer, uint256 batch)
        internal
        returns (bool done)
    {
        bytes4 feeOnTransfer = FeeOnTransferToken.selector;
        /// @solidity memory-safe-assembly
        assembly {
            {
                let packed := calldataload(t)
                let bought := mload(entry)
                // `payer` is 1 + the paying trade's index (nonzero): TRADES + (payer - 1) * SIZE
                let p := add(mload(add(batch, 0x40)), mul(sub(payer, 1), 0x120))
                let from := and(calldataload(p), 0xffffffffffffffffffffffffffffffffffffffff)
                let to := calldataload(add(t, 0x20)) // receiver: pass 1 rejected dirty bits
                if iszero(to) { to := and(packed, 0xffffffffffffffffffffffffffffffffffffffff) }
                let buyIdx := and(shr(200, packed), 0xff)
                // the payee buys to its wallet (flag bit 2 clear)
                done := iszero(and(packed, shl(210, 1)))
                // the payer sells exactly `bought` of the payee's buy token, to someone else
                done := and(done, eq(and(shr(192, calldataload(p)), 0xff), buyIdx))
                {
                    // the payer's executed amount; 0 is the whole order (a fill-or-kill payer:
                    // pass 1 rejected a zero executed amount of a partially fillable one)
                    let executed := calldataload(add(p, 0xc0))
                    executed := or(executed, mul(iszero(executed), calldataload(add(p, 0x40))))
                    done := and(done, eq(executed, bought))
                }
                done := and(done, iszero(eq(from, to)))
                if done {
                    let token := calldataload(add(mload(batch), shl(5, buyIdx))) // TOKENS
                    let account := add(add(batch, 0xe0), shl(8, buyIdx)) // ACCOUNTS
                    // measure unless a wallet pull (WALLET_PULLED) or a direct transfer
                    // (DIRECT_MEASURED) of this token was measured in this batch
                    let measure := iszero(or(mload(add(account, 0x40)), mload(add(account, 0xc0))))
                    let before := 0
                    if measure {
                        mstore(add(account, 0xc0), 1)
                        mstore(0x14, to)
                        mstore(0x00, 0x70a08231000000000000000000000000) // `balanceOf(address)`
                        before := mul(
                            mload(0x20),
                            and(gt(returndatasize(), 0x1f), staticcall(gas(), token, 0x10, 0x24, 0x20, 0x20))
                        )
                    }
                    let m := mload(0x40)
                    mstore(0x60, bought)
                    mstore(0x40, to)
                    mstore(0x2c, shl(96, from))
                    mstore(0x0c, 0x23b872dd000000000000000000000000) // `transferFrom(address,address,uint256)`
                    let success := call(gas(), token, 0, 0x1c, 0x64, 0x00, 0x20)
                    if iszero(and(eq(mload(0x00), 1), success)) {
                        if iszero(lt(or(iszero(extcodesize(token)), returndatasize()), success)) {
                            mstore(0x00, 0x7939f424) // `TransferFromFailed()`, as Solady
                            revert(0x1c, 0x04)
                        }
                    }
                    mstore(0x60, 0)
                    mstore(0x40, m)
                    if measure {
                        mstore(0x14, to)
                        mstore(0x00, 0x70a08231000000000000000000000000)
                        let after := mul(
                            mload(0x20),
                            and(gt(returndatasize(), 0x1f), staticcall(gas(), token, 0x10, 0x24, 0x20, 0x20))
                        )
                        // Wrapping on purpose: a balance that shrank never matches `bought`.
                        if iszero(eq(sub(after, before), bought)) {
                            mstore(0x00, feeOnTransfer)
                            mstore(0x04, token)
                            revert(0x00, 0x24)
                        }
                    }
                }
            }
        }
    }

    /// @dev Trade `payer` pays trade `payee` (at `t`) directly: its bought amount of its buy
    /// token from the payer's wallet to its receiver. The first direct transfer of a token that
    /// had no wallet pull in the batch is measured at the receiver, so a fee-on-transfer token
    /// is rejected even when no pull into the contract measured it.
    function _payDirect(uint256 t, uint256 payer, uint256 payee, uint256 batch) internal {
        uint256 payeePacked = TradeLib.word(t, TradeLib.PACKED);
        address receiver = TradeLib.receiver(t, payeePacked);
        uint256 bought = BatchAccounting.load(BatchAccounting.entry(batch, payee));
        address from = _checkDirect(payer, payee, payeePacked, receiver, bought, batch);
        uint256 buyIndex = TradeLib.byteAt(payeePacked, TradeLib.BUY_INDEX_SHIFT);
        address buyToken = BatchAccounting.token(batch, buyIndex);
        uint256 account = BatchAccounting.account(batch, buyIndex);
        bool measure = BatchAccounting.load(account + BatchAccounting.WALLET_PULLED)
            | BatchAccounting.load(account + BatchAccounting.DIRECT_MEASURED) == 0;
        if (measure) BatchAccounting.store(account + BatchAccounting.DIRECT_MEASURED, 1);
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
        uint256 p = BatchAccounting.load(batch + BatchAccounting.TRADES) + payer * TradeLib.SIZE;
        uint256 payerPacked = TradeLib.word(p, TradeLib.PACKED);
        from = TradeLib.owner(payerPacked);
        if (
            TradeLib.byteAt(payeePacked, TradeLib.FLAGS_SHIFT) & OrderLib.BUY_TO_INTERNAL != 0
                || TradeLib.byteAt(payerPacked, TradeLib.SELL_INDEX_SHIFT)
                    != TradeLib.byteAt(payeePacked, TradeLib.BUY_INDEX_SHIFT)
                || _executedOf(p, TradeLib.byteAt(payerPacked, TradeLib.FLAGS_SHIFT)) != bought
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

    /// @dev `_balances[owner][token] += amount`, checked, in assembly (once per internal payout).
    function _credit(address owner, address token, uint256 amount) internal {
        uint256 balancesSlot;
        /// @solidity memory-safe-assembly
        assembly {
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
