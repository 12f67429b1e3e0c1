// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";
import {
    BATCH_ACCOUNTS,
    BATCH_DOMAIN,
    BATCH_LEDGER,
    BATCH_PRICES,
    BATCH_TOKEN_COUNT,
    BATCH_TOKENS,
    BATCH_TRADE_COUNT,
    BATCH_TRADES,
    ACCOUNT_DIRECT_MEASURED,
    ACCOUNT_SHIFT,
    ACCOUNT_WALLET_PULLED,
    LEDGER_BOUGHT,
    LEDGER_ENTRY_SHIFT,
    LEDGER_PAYER
} from "./BatchAccounting.sol";
import {
    NonceLib,
    NONCES_BITMAP_SLOT,
    NONCES_FLOOR_SLOT,
    NONCE_FLOOR_IN_SLOT,
    NONCE_FLOOR_SHIFT,
    NONCE_HALF_SHIFT,
    NONCE_MAX_HALF,
    NONCE_MOVE_WINDOW
} from "./NonceLib.sol";
import {OrderLib} from "./OrderLib.sol";
import {SignatureLib} from "./SignatureLib.sol";
import {
    TRADE_BUY_AMOUNT,
    TRADE_BUY_INDEX_SHIFT,
    TRADE_EXECUTED,
    TRADE_FEE_AMOUNT,
    TRADE_FLAGS_SHIFT,
    TRADE_NONCE,
    TRADE_PACKED,
    TRADE_PAYEE_SHIFT,
    TRADE_R,
    TRADE_RECEIVER,
    TRADE_S,
    TRADE_SCHEME_SHIFT,
    TRADE_SELL_AMOUNT,
    TRADE_SELL_INDEX_SHIFT,
    TRADE_SIZE,
    TRADE_UNUSED_SHIFT,
    TRADE_V_SHIFT,
    TRADE_VALID_TO_SHIFT
} from "./TradeLib.sol";

/// @title SettleFastPath
/// @notice `Settlement`'s fast path: the common trade (ECDSA, fill-or-kill, every check
/// passing, a price product within 256 bits) checked, recorded and taken in assembly, and the
/// common direct payment made in assembly. Each function performs the same checks as its
/// Solidity counterpart in `Settlement` and, when one fails or the trade is not for the fast
/// path, returns having written nothing, so that the Solidity path settles the trade or reverts
/// with the precise error. Two paths, because the Solidity one is the readable reference that
/// reports every error and this one is what a common fill costs.
/// @dev Reads the batch (`BatchAccounting.sol`), the trade encoding (`TradeLib.sol`) and the
/// nonce head (`NonceLib.sol`) through the constants those files define.
///
/// Memory: every block writes only the scratch words (0x00..0x3f), memory above the free
/// memory pointer that it does not keep, and the batch's own words (allocated by
/// `BatchAccounting.alloc`). The blocks that call the ecrecover precompile or `transferFrom`
/// also use the free memory pointer's word and the zero slot (0x40..0x7f) as call buffers and
/// restore both before they end, as Solady does. That goes beyond the letter of Solidity's
/// rules for `memory-safe` blocks, and is safe: the compiler moves stack variables only into
/// the memory it reserves below the initial free memory pointer, which no block touches, and
/// no Solidity code runs while the two words hold other values. `SettleFastPathMemory.t.sol`
/// checks these promises.
library SettleFastPath {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @dev `packed` bits that send a trade to the Solidity path: the unused top byte, a
    /// signing scheme other than ECDSA (0), and every flag bit but `SELL_FROM_INTERNAL` and
    /// `BUY_TO_INTERNAL` (partially fillable orders, unknown flags).
    uint256 private constant _SLOW_BITS = (uint256(0xff) << TRADE_UNUSED_SHIFT)
        | (uint256(0xff) << TRADE_SCHEME_SHIFT)
        | ((0xff & ~(OrderLib.SELL_FROM_INTERNAL | OrderLib.BUY_TO_INTERNAL)) << TRADE_FLAGS_SHIFT);
    /// @dev The `SELL_FROM_INTERNAL` flag in `packed`.
    uint256 private constant _SELL_FROM_INTERNAL_BIT =
        OrderLib.SELL_FROM_INTERNAL << TRADE_FLAGS_SHIFT;
    /// @dev The `BUY_TO_INTERNAL` flag in `packed`.
    uint256 private constant _BUY_TO_INTERNAL_BIT = OrderLib.BUY_TO_INTERNAL << TRADE_FLAGS_SHIFT;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The checks of `Settlement._pull` for the trade at `t`.
    /// @param t Calldata pointer to the trade.
    /// @param batch The batch (`BatchAccounting`).
    /// @param nonces The settlement's per-owner nonces.
    /// @return uid The order uid; zero if the trade is not for the fast path or fails a check.
    /// @return bought The bought amount at the clearing prices (it meets the limit price).
    /// @return nonceSlot The storage slot that records the fill: the owner's head or a bitmap
    /// word.
    /// @return nonceWord The value to write to `nonceSlot` (the nonce's bit spent).
    function check(uint256 t, uint256 batch, mapping(address => NonceLib.Nonces) storage nonces)
        internal
        view
        returns (bytes32 uid, uint256 bought, uint256 nonceSlot, uint256 nonceWord)
    {
        bool ok;
        (bought, ok) = _amounts(t, batch);
        if (ok && _orderValid(t, batch)) {
            (uid, nonceSlot, nonceWord) = _authorize(t, batch, nonces);
        }
    }

    /// @notice Records the fill `check` approved: the nonce bit is spent.
    /// @param nonceSlot The slot `check` returned.
    /// @param nonceWord The value `check` returned.
    function spend(uint256 nonceSlot, uint256 nonceWord) internal {
        assembly ("memory-safe") {
            sstore(nonceSlot, nonceWord)
        }
    }

    /// @notice `Settlement._take` for a fill-or-kill trade when it needs no token call: a
    /// fee-free direct payer claiming its payee, or a sale from the internal balance that
    /// covers it.
    /// @param t Calldata pointer to the trade.
    /// @param i The trade's index in the batch.
    /// @param batch The batch (`BatchAccounting`).
    /// @param balances The settlement's internal balances (owner => token => amount).
    /// @return done False, having written nothing, if the trade needs a token call or a check
    /// fails (`_take` then pulls from the wallet or reverts precisely).
    function take(
        uint256 t,
        uint256 i,
        uint256 batch,
        mapping(address => mapping(address => uint256)) storage balances
    ) internal returns (bool done) {
        uint256 sellFromInternal = _SELL_FROM_INTERNAL_BIT;
        assembly ("memory-safe") {
            let packed := calldataload(add(t, TRADE_PACKED))
            let fee := calldataload(add(t, TRADE_FEE_AMOUNT))
            let payee := and(shr(TRADE_PAYEE_SHIFT, packed), 0xffff)
            let fromInternal := and(packed, sellFromInternal)
            switch payee
            case 0 {
                if fromInternal {
                    // executed == sellAmount
                    let amount := add(calldataload(add(t, TRADE_SELL_AMOUNT)), fee)
                    // `balances[owner][sellToken]`
                    mstore(0x00, and(packed, 0xffffffffffffffffffffffffffffffffffffffff))
                    mstore(0x20, balances.slot)
                    mstore(0x20, keccak256(0x00, 0x40))
                    let sellIdx := and(shr(TRADE_SELL_INDEX_SHIFT, packed), 0xff)
                    mstore(
                        0x00,
                        calldataload(add(mload(add(batch, BATCH_TOKENS)), shl(5, sellIdx)))
                    )
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
                let claim :=
                    add(
                        add(mload(add(batch, BATCH_LEDGER)), shl(LEDGER_ENTRY_SHIFT, payee)),
                        LEDGER_PAYER
                    )
                // in range, unclaimed, a wallet sale, no fee to pull
                if iszero(
                    or(
                        or(iszero(lt(payee, mload(add(batch, BATCH_TRADE_COUNT)))), fee),
                        fromInternal
                    )
                ) {
                    if iszero(mload(claim)) {
                        mstore(claim, add(i, 1))
                        done := 1
                    }
                }
            }
        }
    }

    /// @notice `Settlement._payDirect` for the trade at `t`: the checks of `_checkDirect`, then
    /// Solady's `safeTransferFrom` (and `balanceOf` around the first direct transfer of a token
    /// that no wallet pull measured, as `_payDirect` does).
    /// @param t Calldata pointer to the payee trade.
    /// @param entry The payee's ledger entry.
    /// @param payer 1 + the index of the trade that pays it.
    /// @param batch The batch (`BatchAccounting`).
    /// @return done False, having done nothing, if a check fails (`_payDirect` then reverts
    /// with the precise error).
    function payDirect(uint256 t, uint256 entry, uint256 payer, uint256 batch)
        internal
        returns (bool done)
    {
        bytes4 feeOnTransfer = ISettlement.FeeOnTransferToken.selector;
        uint256 buyToInternal = _BUY_TO_INTERNAL_BIT;
        assembly ("memory-safe") {
            let packed := calldataload(add(t, TRADE_PACKED))
            let bought := mload(add(entry, LEDGER_BOUGHT))
            // `payer != 0`: the paying trade is `trades[payer - 1]`
            let p := add(mload(add(batch, BATCH_TRADES)), mul(sub(payer, 1), TRADE_SIZE))
            let from :=
                and(calldataload(add(p, TRADE_PACKED)), 0xffffffffffffffffffffffffffffffffffffffff)
            // receiver: pass 1 rejected dirty bits
            let to := calldataload(add(t, TRADE_RECEIVER))
            if iszero(to) {
                to := and(packed, 0xffffffffffffffffffffffffffffffffffffffff)
            }
            let buyIdx := and(shr(TRADE_BUY_INDEX_SHIFT, packed), 0xff)
            // the payee buys to its wallet
            done := iszero(and(packed, buyToInternal))
            // the payer sells exactly `bought` of the payee's buy token, to someone else
            done := and(
                done,
                eq(
                    and(shr(TRADE_SELL_INDEX_SHIFT, calldataload(add(p, TRADE_PACKED))), 0xff),
                    buyIdx
                )
            )
            {
                // the payer's executed amount; 0 is the whole order (a fill-or-kill payer:
                // pass 1 rejected a zero executed amount of a partially fillable one)
                let executed := calldataload(add(p, TRADE_EXECUTED))
                executed := or(
                    executed,
                    mul(iszero(executed), calldataload(add(p, TRADE_SELL_AMOUNT)))
                )
                done := and(done, eq(executed, bought))
            }
            done := and(done, iszero(eq(from, to)))
            if done {
                let token := calldataload(add(mload(add(batch, BATCH_TOKENS)), shl(5, buyIdx)))
                let account := add(add(batch, BATCH_ACCOUNTS), shl(ACCOUNT_SHIFT, buyIdx))
                // measure unless a wallet pull or a direct transfer of this token was measured
                // in this batch
                let measure :=
                    iszero(
                        or(
                            mload(add(account, ACCOUNT_WALLET_PULLED)),
                            mload(add(account, ACCOUNT_DIRECT_MEASURED))
                        )
                    )
                let before := 0
                if measure {
                    mstore(add(account, ACCOUNT_DIRECT_MEASURED), 1)
                    mstore(0x14, to)
                    mstore(0x00, 0x70a08231000000000000000000000000) // `balanceOf(address)`
                    before := mul(
                        mload(0x20),
                        and(
                            gt(returndatasize(), 0x1f),
                            staticcall(gas(), token, 0x10, 0x24, 0x20, 0x20)
                        )
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
                mstore(0x60, 0) // restore the zero slot
                mstore(0x40, m) // restore the free memory pointer
                if measure {
                    mstore(0x14, to)
                    mstore(0x00, 0x70a08231000000000000000000000000)
                    let after :=
                        mul(
                            mload(0x20),
                            and(
                                gt(returndatasize(), 0x1f),
                                staticcall(gas(), token, 0x10, 0x24, 0x20, 0x20)
                            )
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

    /// @dev The bought amount at the clearing prices when `sellAmount * price` fits 256 bits,
    /// and the exact limit check (fill-or-kill: `executed == sellAmount`).
    function _amounts(uint256 t, uint256 batch) private pure returns (uint256 bought, bool ok) {
        assembly ("memory-safe") {
            let packed := calldataload(add(t, TRADE_PACKED))
            let sellAmount := calldataload(add(t, TRADE_SELL_AMOUNT))
            // indices are checked by `_orderValid`, which runs whenever `ok`
            let prices := mload(add(batch, BATCH_PRICES))
            let pSell :=
                calldataload(add(prices, shl(5, and(shr(TRADE_SELL_INDEX_SHIFT, packed), 0xff))))
            let product := mul(sellAmount, pSell)
            ok := eq(div(product, sellAmount), pSell) // false for sellAmount == 0 too
            bought := div(
                product,
                calldataload(add(prices, shl(5, and(shr(TRADE_BUY_INDEX_SHIFT, packed), 0xff))))
            )
            // The limit `bought * sellAmount >= executed * buyAmount` with
            // `executed == sellAmount != 0` (checked here and in `_orderValid`) is exactly
            // `bought >= buyAmount`.
            let buyAmount := calldataload(add(t, TRADE_BUY_AMOUNT))
            ok := and(ok, iszero(or(lt(bought, buyAmount), iszero(buyAmount))))
        }
    }

    /// @dev The encoding and order checks of `Settlement._tokensOf` / `_checkOrder` (ECDSA
    /// and fill-or-kill only), with the ECDSA `v` and low-`s` checks. (The nonce floor is
    /// checked by `_authorize`, which reads the owner's `Nonces`.)
    function _orderValid(uint256 t, uint256 batch) private view returns (bool ok) {
        uint256 halfN = SignatureLib.HALF_N;
        uint256 slowBits = _SLOW_BITS;
        assembly ("memory-safe") {
            let packed := calldataload(add(t, TRADE_PACKED))
            let bad := and(packed, slowBits)
            {
                let sellIdx := and(shr(TRADE_SELL_INDEX_SHIFT, packed), 0xff)
                let buyIdx := and(shr(TRADE_BUY_INDEX_SHIFT, packed), 0xff)
                let n := mload(add(batch, BATCH_TOKEN_COUNT))
                bad := or(bad, or(iszero(lt(sellIdx, n)), iszero(lt(buyIdx, n))))
                bad := or(bad, eq(sellIdx, buyIdx))
            }
            // a dirty receiver
            bad := or(bad, shr(160, calldataload(add(t, TRADE_RECEIVER))))
            bad := or(bad, lt(and(shr(TRADE_VALID_TO_SHIFT, packed), 0xffffffff), timestamp()))
            // executed is 0 (the whole order) or sellAmount (nonzero: `_amounts` checked it)
            {
                let executed := calldataload(add(t, TRADE_EXECUTED))
                // nonzero iff executed != 0 and executed != sellAmount
                bad := or(
                    bad,
                    xor(
                        executed,
                        mul(iszero(iszero(executed)), calldataload(add(t, TRADE_SELL_AMOUNT)))
                    )
                )
            }
            {
                // `v - 27` wraps for `v < 27`: only 27 and 28 pass
                bad := or(bad, gt(sub(and(shr(TRADE_V_SHIFT, packed), 0xff), 27), 1))
                bad := or(bad, gt(calldataload(add(t, TRADE_S)), halfN))
            }
            ok := iszero(bad)
        }
    }

    /// @dev The uid, the ECDSA signer, the nonce floor and the unspent nonce bit
    /// (`NonceLib.floorOf` and `NonceLib.spend` without a head move); `uid == 0` unless the
    /// signer is the owner, the nonce is at or above the owner's floor (the head's copy, or the
    /// full slot behind the sentinel) and its bit is unspent: in the head if the head covers it
    /// (one slot for everything), else in the mapping word. A nonce the head must move to goes
    /// to the Solidity path. Returns the slot to write (the head or the mapping word) and its
    /// new value.
    function _authorize(
        uint256 t,
        uint256 batch,
        mapping(address => NonceLib.Nonces) storage nonces
    ) private view returns (bytes32 uid, uint256 nonceSlot, uint256 nonceWord) {
        bytes32 typeHash = OrderLib.TYPE_HASH;
        assembly ("memory-safe") {
            let packed := calldataload(add(t, TRADE_PACKED))
            let signer := and(packed, 0xffffffffffffffffffffffffffffffffffffffff)
            let m := mload(0x40)
            {
                // The EIP-712 struct hash, built as `TradeLib.structHash` builds it: the order's
                // fields in type-string order, the token addresses in place of the indices.
                let tokens := mload(add(batch, BATCH_TOKENS))
                mstore(m, typeHash)
                mstore(add(m, 0x20), signer)
                mstore(add(m, 0x40), calldataload(add(t, TRADE_RECEIVER)))
                mstore(
                    add(m, 0x60),
                    calldataload(
                        add(tokens, shl(5, and(shr(TRADE_SELL_INDEX_SHIFT, packed), 0xff)))
                    )
                )
                mstore(
                    add(m, 0x80),
                    calldataload(add(tokens, shl(5, and(shr(TRADE_BUY_INDEX_SHIFT, packed), 0xff))))
                )
                // sellAmount, buyAmount, feeAmount are consecutive words
                calldatacopy(add(m, 0xa0), add(t, TRADE_SELL_AMOUNT), 0x60)
                mstore(add(m, 0x100), and(shr(TRADE_VALID_TO_SHIFT, packed), 0xffffffff))
                mstore(add(m, 0x120), calldataload(add(t, TRADE_NONCE)))
                mstore(add(m, 0x140), and(shr(TRADE_FLAGS_SHIFT, packed), 0xff))
                // EIP-712 digest: "\x19\x01" ‖ domain separator ‖ struct hash
                mstore(add(m, 0x162), keccak256(m, 0x160))
                mstore(add(m, 0x142), mload(add(batch, BATCH_DOMAIN)))
                mstore(add(m, 0x122), 0x1901)
                uid := keccak256(add(m, 0x140), 0x42)
            }
            // ECDSA: the recovered signer must be the owner (never zero)
            mstore(0x00, uid)
            mstore(0x20, and(shr(TRADE_V_SHIFT, packed), 0xff))
            mstore(0x40, calldataload(add(t, TRADE_R)))
            mstore(0x60, calldataload(add(t, TRADE_S)))
            pop(staticcall(gas(), 0x01, 0x00, 0x80, 0x00, 0x20))
            let recovered := mul(mload(0x00), eq(returndatasize(), 0x20))
            mstore(0x60, 0) // restore the zero slot
            mstore(0x40, m) // restore the free memory pointer
            let bad := or(iszero(recovered), iszero(eq(recovered, signer)))
            let nonce := calldataload(add(t, TRADE_NONCE))
            // `nonces[owner].head`, the struct's first slot (see `NonceLib` for its bits)
            mstore(0x00, signer)
            mstore(0x20, nonces.slot)
            nonceSlot := keccak256(0x00, 0x40)
            let head := sload(nonceSlot)
            // the floor is the head's copy, or behind the sentinel the `floor` slot; the nonce
            // is not below it
            let floor := shr(NONCE_FLOOR_SHIFT, head)
            if eq(floor, NONCE_FLOOR_IN_SLOT) {
                floor := sload(add(nonceSlot, NONCES_FLOOR_SLOT))
            }
            bad := or(bad, lt(nonce, floor))
            let half := shr(7, nonce)
            let h := and(shr(NONCE_HALF_SHIFT, head), NONCE_MAX_HALF)
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
                // a nonce in the window above the head moves the head: the Solidity path does
                let beyond := or(gt(sub(half, h), NONCE_MOVE_WINDOW), gt(half, NONCE_MAX_HALF))
                bad := or(bad, and(gt(half, h), iszero(beyond)))
                if iszero(bad) {
                    // `nonces[owner].bitmap[nonce >> 8]`
                    mstore(0x00, shr(8, nonce))
                    mstore(0x20, add(nonceSlot, NONCES_BITMAP_SLOT))
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
}
