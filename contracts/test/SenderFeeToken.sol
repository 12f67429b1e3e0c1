// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MockERC20} from "./MockERC20.sol";

/// @title SenderFeeToken
/// @notice Charges a 1% fee on every transfer to the sender, on top of the amount: the receiver
/// gets exactly what was sent, and the sender's balance falls by the amount plus the fee.
/// @dev Test only; anyone can mint.
contract SenderFeeToken is MockERC20 {
    constructor() MockERC20("Sender Fee", "SFEE", 18) {}

    function _afterTokenTransfer(address from, address to, uint256 amount) internal override {
        if (from != address(0) && to != address(0)) _burn(from, amount / 100);
    }
}
