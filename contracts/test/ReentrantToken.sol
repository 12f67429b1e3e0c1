// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MockERC20} from "./MockERC20.sol";

/// @title ReentrantToken
/// @notice ERC-777-style hook: on every transfer it calls an attacker-chosen `target` with
/// attacker-chosen calldata, and records whether that call succeeded and what it returned.
/// @dev Test only; anyone can mint and arm it.
contract ReentrantToken is MockERC20 {
    address public target;
    bytes public callData;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryReturnData;
    bool private _inHook;

    constructor() MockERC20("Reentrant Token", "RE", 18) {}

    /// @notice Arms the hook: the next transfer calls `target_` with `callData_`.
    function arm(address target_, bytes calldata callData_) external {
        target = target_;
        callData = callData_;
        attempted = false;
    }

    function _afterTokenTransfer(address from, address to, uint256) internal override {
        if (target == address(0) || _inHook || from == address(0) || to == address(0)) return;
        _inHook = true;
        attempted = true;
        (reentrySucceeded, reentryReturnData) = target.call(callData);
        _inHook = false;
    }
}
