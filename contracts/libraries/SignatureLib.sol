// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title SignatureLib
/// @notice Checks an order's signature under one of the three schemes of `docs/orders.md`,
/// reverting with the matching `ISettlement` error.
library SignatureLib {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Scheme 0: EIP-712 digest signed with ECDSA, 65 bytes `r ‖ s ‖ v`, low `s`.
    uint8 internal constant EIP712 = 0;
    /// @notice Scheme 1: EIP-1271 contract signature.
    uint8 internal constant EIP1271 = 1;
    /// @notice Scheme 2: pre-signed on chain with `setPreSignature`.
    uint8 internal constant PRESIGN = 2;

    /// @notice Gas forwarded to `isValidSignature`: bounds what a hostile wallet can burn.
    uint256 internal constant EIP1271_GAS = 250_000;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Reverts unless `signature` authorises `orderUid` for `owner` under `scheme`.
    function verify(
        uint8 scheme,
        bytes32 orderUid,
        address owner,
        bytes calldata signature,
        mapping(address => mapping(bytes32 => bool)) storage preSignature
    ) internal view {
        if (scheme == EIP712) {
            _verifyEcdsa(orderUid, owner, signature);
        } else if (scheme == EIP1271) {
            _verifyEip1271(orderUid, owner, signature);
        } else if (scheme == PRESIGN) {
            if (signature.length != 0) {
                revert ISettlement.InvalidSignatureLength(orderUid, signature.length);
            }
            if (!preSignature[owner][orderUid]) revert ISettlement.NotPreSigned(orderUid, owner);
        } else {
            revert ISettlement.InvalidSigningScheme(orderUid, scheme);
        }
    }

    /// @dev One form only: 65 bytes, `v` in {27, 28}, low `s` (OpenZeppelin's check).
    function _verifyEcdsa(bytes32 orderUid, address owner, bytes calldata signature) private pure {
        if (signature.length != 65) {
            revert ISettlement.InvalidSignatureLength(orderUid, signature.length);
        }
        bytes32 r;
        bytes32 s;
        uint8 v;
        /// @solidity memory-safe-assembly
        assembly {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        if (v != 27 && v != 28) revert ISettlement.InvalidSignatureV(orderUid, v);
        // Reason: the third return value is the error's argument (`s` or the length), which
        // our typed errors do not need; `recovered` and `err` are both checked below.
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(orderUid, v, r, s);
        if (err == ECDSA.RecoverError.InvalidSignatureS) revert ISettlement.SignatureHighS(orderUid);
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
        /// @solidity memory-safe-assembly
        assembly {
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
            let ok :=
                staticcall(EIP1271_GAS, owner, m, add(signature.length, 0x64), d, 0x20)
            valid := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(d), magic)))
        }
        if (!valid) revert ISettlement.InvalidContractSignature(orderUid, owner);
    }
}
