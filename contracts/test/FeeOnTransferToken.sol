// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MockERC20} from "./MockERC20.sol";

/// @title FeeOnTransferToken
/// @notice Burns 1% of every transfer from the recipient's side (STA / PAXG style).
/// @dev Test only; anyone can mint.
contract FeeOnTransferToken is MockERC20 {
    constructor() MockERC20("Fee On Transfer", "FOT", 18) {}

    function _afterTokenTransfer(address from, address to, uint256 amount) internal override {
        if (from != address(0) && to != address(0)) _burn(to, amount / 100);
    }
}
