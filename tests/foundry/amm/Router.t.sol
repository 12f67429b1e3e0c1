// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRouter} from "../../../contracts/interfaces/IRouter.sol";
import {PoolMath} from "../../../contracts/libraries/PoolMath.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {Pool} from "../../../contracts/amm/Pool.sol";
import {AmmBase} from "./AmmBase.sol";

contract RouterTest is AmmBase {
    MockERC20 internal tokenC;

    function setUp() public override {
        super.setUp();
        tokenC = new MockERC20("Token C", "C", 6);
        factory.createPool(address(tokenB), address(tokenC), 5);
        _fund(alice, address(tokenC), 1e30);
        _fund(bob, address(tokenC), 1e30);
        _add(alice, 100e18, 200e18);
        _add(alice, address(tokenB), address(tokenC), 5, 200e18, 300e6);
    }

    function test_addLiquidity_optimalAmountsAndMinimums() public {
        // The pool is 1 A : 2 B. Desired 10 A / 30 B -> 10 A / 20 B.
        vm.prank(bob);
        (uint256 amountA, uint256 amountB,) = router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(tokenA), address(tokenB), FEE, 10e18, 30e18, 10e18, 19e18, bob, DEADLINE
            )
        );
        assertEq(amountA, 10e18);
        assertEq(amountB, 20e18);
        // Desired 10 A / 10 B -> 5 A / 10 B, below a 6 A minimum.
        vm.expectRevert(abi.encodeWithSelector(IRouter.InsufficientAAmount.selector, 5e18, 6e18));
        vm.prank(bob);
        router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(tokenA), address(tokenB), FEE, 10e18, 10e18, 6e18, 0, bob, DEADLINE
            )
        );
        vm.expectRevert(abi.encodeWithSelector(IRouter.InsufficientBAmount.selector, 20e18, 21e18));
        vm.prank(bob);
        router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(tokenA), address(tokenB), FEE, 10e18, 30e18, 0, 21e18, bob, DEADLINE
            )
        );
    }

    function test_addLiquidity_revertsWithoutPool() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRouter.PoolNotFound.selector, address(tokenA), address(tokenC), uint16(100)
            )
        );
        vm.prank(bob);
        router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(tokenA), address(tokenC), 100, 1e18, 1e6, 0, 0, bob, DEADLINE
            )
        );
    }

    function test_removeLiquidity_minimums() public {
        uint256 liquidity = pool.balanceOf(alice) / 2;
        vm.startPrank(alice);
        pool.approve(address(router), liquidity);
        uint256 supply = pool.totalSupply();
        uint256 expectedA = liquidity * 100e18 / supply;
        vm.expectRevert(
            abi.encodeWithSelector(IRouter.InsufficientAAmount.selector, expectedA, expectedA + 1)
        );
        router.removeLiquidity(
            IRouter.RemoveLiquidityParams(
                address(tokenA), address(tokenB), FEE, liquidity, expectedA + 1, 0, alice, DEADLINE
            )
        );
        (uint256 amountA,) = router.removeLiquidity(
            IRouter.RemoveLiquidityParams(
                address(tokenA), address(tokenB), FEE, liquidity, expectedA, 0, alice, DEADLINE
            )
        );
        vm.stopPrank();
        assertEq(amountA, expectedA);
    }

    function test_deadline_everywhere() public {
        uint256 past = block.timestamp - 1;
        vm.startPrank(bob);
        bytes memory err =
            abi.encodeWithSelector(IRouter.DeadlineExpired.selector, past, block.timestamp);
        vm.expectRevert(err);
        router.swapExactInSingle(
            IRouter.ExactInSingleParams(address(tokenA), address(tokenB), FEE, 1e18, 0, bob, past)
        );
        vm.expectRevert(err);
        router.swapExactOutSingle(
            IRouter.ExactOutSingleParams(
                address(tokenA), address(tokenB), FEE, 1e18, 2e18, bob, past
            )
        );
        vm.expectRevert(err);
        router.swapExactIn(
            IRouter.ExactInParams(_path(address(tokenA), FEE, address(tokenB)), 1e18, 0, bob, past)
        );
        vm.expectRevert(err);
        router.swapExactOut(
            IRouter.ExactOutParams(
                _path(address(tokenA), FEE, address(tokenB)), 1e18, 2e18, bob, past
            )
        );
        vm.expectRevert(err);
        router.addLiquidity(
            IRouter.AddLiquidityParams(address(tokenA), address(tokenB), FEE, 1, 1, 0, 0, bob, past)
        );
        vm.expectRevert(err);
        router.removeLiquidity(
            IRouter.RemoveLiquidityParams(address(tokenA), address(tokenB), FEE, 1, 0, 0, bob, past)
        );
        vm.stopPrank();
    }

    function test_swapExactInSingle_quoteAndSlippage() public {
        (uint256 ra, uint256 rb) = _reservesAB();
        uint256 expected = PoolMath.getAmountOut(3e18, ra, rb, FEE);
        assertEq(router.getAmountOut(3e18, ra, rb, FEE), expected);
        vm.expectRevert(
            abi.encodeWithSelector(IRouter.InsufficientOutput.selector, expected, expected + 1)
        );
        vm.prank(bob);
        router.swapExactInSingle(
            IRouter.ExactInSingleParams(
                address(tokenA), address(tokenB), FEE, 3e18, expected + 1, bob, DEADLINE
            )
        );
        uint256 before = tokenB.balanceOf(carol);
        vm.prank(bob);
        uint256 out = router.swapExactInSingle(
            IRouter.ExactInSingleParams(
                address(tokenA), address(tokenB), FEE, 3e18, expected, carol, DEADLINE
            )
        );
        assertEq(out, expected);
        assertEq(tokenB.balanceOf(carol) - before, expected);
    }

    function test_swapExactOutSingle_exactAndMaxIn() public {
        (uint256 ra, uint256 rb) = _reservesAB();
        uint256 needed = PoolMath.getAmountIn(5e18, rb, ra, FEE);
        vm.expectRevert(abi.encodeWithSelector(IRouter.ExcessiveInput.selector, needed, needed - 1));
        vm.prank(bob);
        router.swapExactOutSingle(
            IRouter.ExactOutSingleParams(
                address(tokenB), address(tokenA), FEE, 5e18, needed - 1, bob, DEADLINE
            )
        );
        uint256 aBefore = tokenA.balanceOf(bob);
        uint256 bBefore = tokenB.balanceOf(bob);
        vm.prank(bob);
        uint256 paid = router.swapExactOutSingle(
            IRouter.ExactOutSingleParams(
                address(tokenB), address(tokenA), FEE, 5e18, needed, bob, DEADLINE
            )
        );
        assertEq(paid, needed);
        assertEq(tokenA.balanceOf(bob) - aBefore, 5e18);
        assertEq(bBefore - tokenB.balanceOf(bob), needed);
    }

    function test_swapExactIn_multiHop() public {
        bytes memory path =
            abi.encodePacked(address(tokenA), FEE, address(tokenB), uint16(5), address(tokenC));
        uint256[] memory amounts = router.getAmountsOut(1e18, path);
        assertEq(amounts.length, 3);
        (uint256 ra, uint256 rb) = _reservesAB();
        assertEq(amounts[1], PoolMath.getAmountOut(1e18, ra, rb, FEE));
        uint256 before = tokenC.balanceOf(bob);
        vm.prank(bob);
        uint256 out =
            router.swapExactIn(IRouter.ExactInParams(path, 1e18, amounts[2], bob, DEADLINE));
        assertEq(out, amounts[2]);
        assertEq(tokenC.balanceOf(bob) - before, amounts[2]);
        assertEq(tokenB.balanceOf(address(router)), 0);
    }

    function test_swapExactOut_multiHop() public {
        bytes memory path =
            abi.encodePacked(address(tokenA), FEE, address(tokenB), uint16(5), address(tokenC));
        uint256[] memory amounts = router.getAmountsIn(7e6, path);
        uint256 aBefore = tokenA.balanceOf(bob);
        uint256 cBefore = tokenC.balanceOf(bob);
        vm.prank(bob);
        uint256 paid =
            router.swapExactOut(IRouter.ExactOutParams(path, 7e6, amounts[0], bob, DEADLINE));
        assertEq(paid, amounts[0]);
        assertEq(aBefore - tokenA.balanceOf(bob), amounts[0]);
        assertEq(tokenC.balanceOf(bob) - cBefore, 7e6);
    }

    function test_swapExactIn_multiHopBelowMinimumMovesNothing() public {
        bytes memory path =
            abi.encodePacked(address(tokenA), FEE, address(tokenB), uint16(5), address(tokenC));
        uint256[] memory amounts = router.getAmountsOut(1e18, path);
        uint256 aBefore = tokenA.balanceOf(bob);
        uint256 cBefore = tokenC.balanceOf(bob);
        uint256 kBefore = _k();
        // The last hop's output is what the caller's minimum guards, not an intermediate one.
        vm.expectRevert(
            abi.encodeWithSelector(IRouter.InsufficientOutput.selector, amounts[2], amounts[2] + 1)
        );
        vm.prank(bob);
        router.swapExactIn(IRouter.ExactInParams(path, 1e18, amounts[2] + 1, bob, DEADLINE));
        assertEq(tokenA.balanceOf(bob), aBefore);
        assertEq(tokenC.balanceOf(bob), cBefore);
        assertEq(_k(), kBefore);
    }

    function test_swapExactOut_multiHopAboveMaximumMovesNothing() public {
        bytes memory path =
            abi.encodePacked(address(tokenA), FEE, address(tokenB), uint16(5), address(tokenC));
        uint256[] memory amounts = router.getAmountsIn(7e6, path);
        uint256 aBefore = tokenA.balanceOf(bob);
        uint256 cBefore = tokenC.balanceOf(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IRouter.ExcessiveInput.selector, amounts[0], amounts[0] - 1)
        );
        vm.prank(bob);
        router.swapExactOut(IRouter.ExactOutParams(path, 7e6, amounts[0] - 1, bob, DEADLINE));
        assertEq(tokenA.balanceOf(bob), aBefore);
        assertEq(tokenC.balanceOf(bob), cBefore);
    }

    function test_removeLiquidity_minimumBRevertsAndKeepsShares() public {
        uint256 shares = pool.balanceOf(alice);
        uint256 liquidity = shares / 2;
        uint256 expectedB = liquidity * 200e18 / pool.totalSupply();
        vm.startPrank(alice);
        pool.approve(address(router), liquidity);
        vm.expectRevert(
            abi.encodeWithSelector(IRouter.InsufficientBAmount.selector, expectedB, expectedB + 1)
        );
        router.removeLiquidity(
            IRouter.RemoveLiquidityParams(
                address(tokenA), address(tokenB), FEE, liquidity, 0, expectedB + 1, alice, DEADLINE
            )
        );
        vm.stopPrank();
        assertEq(pool.balanceOf(alice), shares);
        assertEq(pool.allowance(alice, address(router)), liquidity);
    }

    function test_path_invalidLengths() public {
        vm.expectRevert(abi.encodeWithSelector(IRouter.InvalidPath.selector, 20));
        router.getAmountsOut(1, abi.encodePacked(address(tokenA)));
        vm.expectRevert(abi.encodeWithSelector(IRouter.InvalidPath.selector, 43));
        router.getAmountsOut(1, abi.encodePacked(address(tokenA), FEE, address(tokenB), uint8(1)));
    }

    function test_quotes_revertTyped() public {
        vm.expectRevert(PoolMath.ZeroAmount.selector);
        router.getAmountOut(0, 1, 1, FEE);
        vm.expectRevert(PoolMath.ZeroReserves.selector);
        router.getAmountIn(1, 0, 1, FEE);
        // An empty side quotes nothing either way: no division by a zero reserve.
        vm.expectRevert(PoolMath.ZeroReserves.selector);
        router.getAmountOut(1, 1, 0, FEE);
        vm.expectRevert(PoolMath.ZeroReserves.selector);
        router.getAmountOut(1, 0, 1, FEE);
        vm.expectRevert(PoolMath.ZeroAmount.selector);
        router.getAmountIn(0, 1, 1, FEE);
        vm.expectRevert(abi.encodeWithSelector(PoolMath.AmountOutExceedsReserve.selector, 5, 5));
        router.getAmountIn(5, 10, 5, FEE);
        assertEq(router.quote(3, 2, 5), 7);
        vm.expectRevert(PoolMath.ZeroAmount.selector);
        router.quote(0, 2, 5);
        vm.expectRevert(PoolMath.ZeroReserves.selector);
        router.quote(3, 0, 5);
    }

    function testFuzz_getAmountOut_isTheMostTheKCheckAccepts(
        uint256 ra,
        uint256 rb,
        uint256 amountIn,
        uint16 fee
    ) public {
        ra = bound(ra, 1e6, 1e30);
        rb = bound(rb, 1e6, 1e30);
        amountIn = bound(amountIn, 1, 1e30);
        fee = uint16(bound(fee, 1, 1000));
        if (fee == FEE) fee = FEE + 1; // a fresh pool, not the fixture's
        uint256 out = PoolMath.getAmountOut(amountIn, ra, rb, fee);
        vm.assume(out > 0 && out < rb);
        Pool p = _freshPool(fee, ra, rb);
        tokenA.mint(address(p), amountIn);
        bool aIs0 = p.token0() == address(tokenA);
        (uint112 r0, uint112 r1,) = p.getReserves();
        uint256 kBefore = uint256(r0) * r1;
        vm.expectRevert();
        p.swap(aIs0 ? 0 : out + 1, aIs0 ? out + 1 : 0, carol);
        p.swap(aIs0 ? 0 : out, aIs0 ? out : 0, carol);
        (r0, r1,) = p.getReserves();
        assertGe(uint256(r0) * r1, kBefore);
    }

    function testFuzz_getAmountIn_isTheLeastTheKCheckAccepts(
        uint256 ra,
        uint256 rb,
        uint256 amountOut,
        uint16 fee
    ) public {
        ra = bound(ra, 1e6, 1e30);
        rb = bound(rb, 1e6, 1e30);
        amountOut = bound(amountOut, 1, rb - 1);
        fee = uint16(bound(fee, 1, 1000));
        if (fee == FEE) fee = FEE + 1; // a fresh pool, not the fixture's
        uint256 amountIn = PoolMath.getAmountIn(amountOut, ra, rb, fee);
        vm.assume(amountIn < 1e32);
        Pool p = _freshPool(fee, ra, rb);
        bool aIs0 = p.token0() == address(tokenA);
        tokenA.mint(address(p), amountIn - 1);
        vm.expectRevert();
        p.swap(aIs0 ? 0 : amountOut, aIs0 ? amountOut : 0, carol);
        tokenA.mint(address(p), 1);
        p.swap(aIs0 ? 0 : amountOut, aIs0 ? amountOut : 0, carol);
    }

    /// @dev A pool of A/B at `fee` with exactly these reserves (A, B), seeded by carol.
    function _freshPool(uint16 fee, uint256 ra, uint256 rb) internal returns (Pool p) {
        if (!factory.feeTierEnabled(fee)) {
            vm.prank(owner);
            factory.enableFeeTier(fee);
        }
        p = Pool(factory.createPool(address(tokenA), address(tokenB), fee));
        tokenA.mint(address(p), ra);
        tokenB.mint(address(p), rb);
        p.mint(carol);
    }
}
