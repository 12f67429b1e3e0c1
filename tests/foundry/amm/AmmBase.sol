// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Factory} from "../../../contracts/amm/Factory.sol";
import {Pool} from "../../../contracts/amm/Pool.sol";
import {Router} from "../../../contracts/amm/Router.sol";
import {IRouter} from "../../../contracts/interfaces/IRouter.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";

/// @notice Shared fixtures: a factory, a router, an 18/18-decimal pool at 0.30%, funded users.
abstract contract AmmBase is Test {
    uint16 internal constant FEE = 30;
    uint256 internal constant DEADLINE = type(uint32).max;

    Factory internal factory;
    Router internal router;
    MockERC20 internal tokenA;
    MockERC20 internal tokenB;
    Pool internal pool;

    address internal owner = makeAddr("owner");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        factory = new Factory(owner);
        router = new Router(address(factory));
        tokenA = new MockERC20("Token A", "A", 18);
        tokenB = new MockERC20("Token B", "B", 18);
        pool = Pool(factory.createPool(address(tokenA), address(tokenB), FEE));
        address[3] memory users = [alice, bob, carol];
        for (uint256 i; i < users.length; ++i) {
            _fund(users[i], address(tokenA), 1e30);
            _fund(users[i], address(tokenB), 1e30);
        }
    }

    // ------------------------------- helpers -------------------------------

    function _fund(address who, address token, uint256 amount) internal {
        MockERC20(token).mint(who, amount);
        vm.prank(who);
        MockERC20(token).approve(address(router), type(uint256).max);
    }

    function _add(address who, address a, address b, uint16 fee, uint256 amountA, uint256 amountB)
        internal
        returns (uint256 liquidity)
    {
        vm.prank(who);
        (,, liquidity) = router.addLiquidity(
            IRouter.AddLiquidityParams(a, b, fee, amountA, amountB, 0, 0, who, DEADLINE)
        );
    }

    function _add(address who, uint256 amountA, uint256 amountB) internal returns (uint256) {
        return _add(who, address(tokenA), address(tokenB), FEE, amountA, amountB);
    }

    function _remove(address who, uint256 liquidity)
        internal
        returns (uint256 amountA, uint256 amountB)
    {
        vm.startPrank(who);
        pool.approve(address(router), liquidity);
        (amountA, amountB) = router.removeLiquidity(
            IRouter.RemoveLiquidityParams(
                address(tokenA), address(tokenB), FEE, liquidity, 0, 0, who, DEADLINE
            )
        );
        vm.stopPrank();
    }

    function _swapIn(address who, address tokenIn, address tokenOut, uint256 amountIn)
        internal
        returns (uint256 amountOut)
    {
        vm.prank(who);
        amountOut = router.swapExactInSingle(
            IRouter.ExactInSingleParams(tokenIn, tokenOut, FEE, amountIn, 0, who, DEADLINE)
        );
    }

    function _path(address a, uint16 fee, address b) internal pure returns (bytes memory) {
        return abi.encodePacked(a, fee, b);
    }

    /// @dev Reserves oriented as token A, token B.
    function _reservesAB() internal view returns (uint256 ra, uint256 rb) {
        (uint112 r0, uint112 r1,) = pool.getReserves();
        (ra, rb) = pool.token0() == address(tokenA)
            ? (uint256(r0), uint256(r1))
            : (uint256(r1), uint256(r0));
    }

    function _k() internal view returns (uint256) {
        (uint112 r0, uint112 r1,) = pool.getReserves();
        return uint256(r0) * r1;
    }
}
