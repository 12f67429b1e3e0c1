// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MockERC20} from "./MockERC20.sol";

/// @title StrictApprovalToken
/// @notice Reverts on approvals above 2^96 - 1, `type(uint256).max` included (allowances held
/// in 96 bits, as UNI and COMP hold them, without their special case for the maximum).
/// @dev Test only; anyone can mint.
contract StrictApprovalToken is MockERC20 {
    /// @notice The approval does not fit 96 bits.
    error ApprovalAbove96Bits(uint256 amount);

    constructor() MockERC20("Strict Approval", "S96", 18) {}

    function approve(address spender, uint256 amount) public override returns (bool) {
        if (amount > type(uint96).max) revert ApprovalAbove96Bits(amount);
        return super.approve(spender, amount);
    }
}
