// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";
import {TradeLib, TRADE_R, TRADE_S} from "./TradeLib.sol";

/// @title SignatureLib
/// @notice Checks an order's signature under one of the three schemes of `docs/orders.md`,
/// reverting with the matching `ISettlement` error.
library SignatureLib {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Scheme 0: EIP-712 digest signed with ECDSA: `r`, `s`, `v`, low `s`.
    uint256 internal constant EIP712 = 0;
    /// @notice Scheme 1: EIP-1271 contract signature.
    uint256 internal constant EIP1271 = 1;
    /// @notice Scheme 2: pre-signed on chain with `setPreSignature`.
    uint256 internal constant PRESIGN = 2;

    /// @notice Gas forwarded to `isValidSignature`: bounds what a hostile wallet can burn.
    uint256 internal constant EIP1271_GAS = 250_000;

    /// @notice The largest `s` accepted: secp256k1n / 2 (EIP-2, the low-s form only).
    uint256 internal constant HALF_N =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Reverts unless the signature words of the trade at `t` authorise `orderUid`
    /// for `owner` under `scheme` (see `ISettlement.TradeData` for the encoding).
    function verify(
        uint256 scheme,
        bytes32 orderUid,
        address owner,
        uint256 t,
        uint256 v,
        bytes[] calldata signatures,
        mapping(address => mapping(bytes32 => bool)) storage preSignature
    ) internal view {
        if (scheme == EIP712) {
            _verifyEcdsa(orderUid, owner, v, TradeLib.word(t, TRADE_R), TradeLib.word(t, TRADE_S));
        } else if (scheme == EIP1271) {
            uint256 index = TradeLib.word(t, TRADE_R);
            if (index >= signatures.length) {
                revert ISettlement.SignatureIndexOutOfRange(orderUid, index);
            }
            _verifyEip1271(orderUid, owner, signatures[index]);
        } else if (scheme == PRESIGN) {
            if (v | TradeLib.word(t, TRADE_R) | TradeLib.word(t, TRADE_S) != 0) {
                revert ISettlement.SignatureNotEmpty(orderUid);
            }
            if (!preSignature[owner][orderUid]) revert ISettlement.NotPreSigned(orderUid, owner);
        } else {
            // `scheme` is one byte of the packed word, so the cast is exact.
            revert ISettlement.InvalidSigningScheme(orderUid, uint8(scheme));
        }
    }

    /// @dev One form only: `r`, `s` and `v` are separate calldata words (there is no 64-byte
    /// EIP-2098 form to confuse with), `v` in {27, 28}, low `s` (as OpenZeppelin's ECDSA), and
    /// the recovered address must be the owner and not zero. Calls the ecrecover precompile
    /// directly: this runs once per fill.
    function _verifyEcdsa(bytes32 orderUid, address owner, uint256 v, uint256 r, uint256 s)
        private
        view
    {
        // `v` is one byte of the packed word, so the cast is exact.
        if (v != 27 && v != 28) revert ISettlement.InvalidSignatureV(orderUid, uint8(v));
        if (s > HALF_N) revert ISettlement.SignatureHighS(orderUid);
        address recovered;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(0x00, orderUid)
            mstore(0x20, v)
            mstore(0x40, r)
            mstore(0x60, s)
            // Success returns one word; an unrecoverable signature returns nothing.
            pop(staticcall(gas(), 0x01, 0x00, 0x80, 0x00, 0x20))
            recovered := mul(mload(0x00), eq(returndatasize(), 0x20))
            mstore(0x60, 0) // restore the zero slot
            mstore(0x40, m) // restore the free memory pointer
        }
        // `recovered` is zero for an unrecoverable signature, so a zero owner never matches.
        if (recovered != owner || recovered == address(0)) {
            revert ISettlement.InvalidSigner(orderUid, recovered);
        }
    }

    /// @dev Codeless owners are rejected (a staticcall to them "succeeds"). The call gets at
    /// most `EIP1271_GAS` and at most 32 bytes of its return data are copied, so neither a gas
    /// bomb nor a return-data bomb costs the batch more than the stipend.
    function _verifyEip1271(bytes32 orderUid, address owner, bytes calldata signature)
        private
        view
    {
        if (owner.code.length == 0) revert ISettlement.SignerHasNoCode(orderUid, owner);
        bool valid;
        assembly ("memory-safe") {
            let m := mload(0x40)
            // `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`, left-aligned.
            let magic := shl(224, 0x1626ba7e)
            mstore(m, magic)
            mstore(add(m, 0x04), orderUid)
            let d := add(m, 0x24)
            // Head of `bytes signature`: its offset; doubles as a non-magic default return word.
            mstore(d, 0x40)
            mstore(add(m, 0x44), signature.length)
            calldatacopy(add(m, 0x64), signature.offset, signature.length)
            let ok := staticcall(EIP1271_GAS, owner, m, add(signature.length, 0x64), d, 0x20)
            valid := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(d), magic)))
        }
        if (!valid) revert ISettlement.InvalidContractSignature(orderUid, owner);
    }
}
