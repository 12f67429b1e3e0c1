// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {MockERC20} from "../../contracts/test/MockERC20.sol";

contract MockERC20Test is Test {
    MockERC20 internal token;

    function setUp() public {
        token = new MockERC20("USD Coin", "USDC", 6);
    }

    function test_decimals_isConfigured() public view {
        assertEq(token.decimals(), 6);
        assertEq(token.symbol(), "USDC");
    }

    function testFuzz_mint_addsToBalanceAndSupply(address to, uint256 amount) public {
        vm.assume(to != address(0));
        amount = bound(amount, 0, type(uint128).max);
        token.mint(to, amount);
        assertEq(token.balanceOf(to), amount);
        assertEq(token.totalSupply(), amount);
    }
}
