// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @dev `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`.
bytes4 constant ERC1271_MAGIC = 0x1626ba7e;

/// @title ERC1271Wallet
/// @notice A smart wallet whose signature is its owner's ECDSA signature over the hash.
/// @dev Test only.
contract ERC1271Wallet {
    address public immutable signer;

    constructor(address signer_) {
        signer = signer_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        (address recovered,,) = ECDSA.tryRecover(hash, signature);
        return recovered == signer && recovered != address(0) ? ERC1271_MAGIC : bytes4(0xffffffff);
    }

    /// @notice Lets the wallet approve tokens (owner only).
    function approve(address token, address spender, uint256 amount) external {
        require(msg.sender == signer, "not signer");
        (bool ok,) =
            token.call(abi.encodeWithSignature("approve(address,uint256)", spender, amount));
        require(ok, "approve failed");
    }
}

/// @title ERC1271WrongMagic
/// @notice Answers every signature with a wrong magic value.
contract ERC1271WrongMagic {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        return 0x1626ba7f;
    }
}

/// @title ERC1271Reverting
/// @notice Reverts on every signature check.
contract ERC1271Reverting {
    error Nope();

    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        revert Nope();
    }
}

/// @title ERC1271GasBomb
/// @notice Burns all gas it is given, then would answer with the magic value.
contract ERC1271GasBomb {
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        uint256 x;
        while (gasleft() > 0) {
            x = uint256(keccak256(abi.encode(x)));
        }
        return ERC1271_MAGIC;
    }
}

/// @title ERC1271ReturnBomb
/// @notice Answers with the magic value followed by a huge return data blob.
contract ERC1271ReturnBomb {
    /// @notice Bytes returned; large enough that copying it all would cost a lot.
    uint256 public constant SIZE = 200_000;

    fallback() external {
        // Not memory-safe, on purpose: it returns `SIZE` bytes of memory from offset 0, far
        // beyond anything allocated (the call ends there, so nothing relies on that memory).
        assembly {
            mstore(0, shl(224, 0x1626ba7e))
            return(0, SIZE)
        }
    }
}
