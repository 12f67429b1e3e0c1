// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Pool} from "../../../contracts/amm/Pool.sol";
import {IPool} from "../../../contracts/interfaces/IPool.sol";
import {IRouter} from "../../../contracts/interfaces/IRouter.sol";
import {PoolMath} from "../../../contracts/libraries/PoolMath.sol";
import {FeeOnTransferToken} from "../../../contracts/test/FeeOnTransferToken.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {NoReturnToken} from "../../../contracts/test/NoReturnToken.sol";
import {AmmBase} from "./AmmBase.sol";

/// @notice The attack catalogue of docs/amm.md: each test fails if its defence is removed.
contract AttacksTest is AmmBase {
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        _fund(attacker, address(tokenA), 1e30);
        _fund(attacker, address(tokenB), 1e30);
    }

    /// Hundred Finance 2023 class: tiny first deposit, huge donation, victim rounds to nothing.
    function test_firstDepositorInflation_unprofitable() public {
        uint256 spentA = 2001;
        vm.startPrank(attacker);
        tokenA.transfer(address(pool), spentA);
        tokenB.transfer(address(pool), spentA);
        uint256 attackerShares = pool.mint(attacker); // sqrt(2001^2) - 1000 = 1001
        uint256 donation = 1e22;
        tokenA.transfer(address(pool), donation);
        tokenB.transfer(address(pool), donation);
        pool.sync();
        vm.stopPrank();
        assertEq(attackerShares, 1001);

        uint256 deposit = 1e20;
        uint256 victimShares = _add(alice, deposit, deposit);
        assertGt(victimShares, 0);
        (uint256 victimA, uint256 victimB) = _remove(alice, victimShares);
        (uint256 attackerA,) = _remove(attacker, attackerShares);

        // The victim loses under 0.1% to rounding; the attacker loses about half the donation
        // (it is shared with the 1000 shares locked at address(0)).
        assertGe(victimA, deposit * 999 / 1000);
        assertGe(victimB, deposit * 999 / 1000);
        assertLt(attackerA, (spentA + donation) * 6 / 10);
    }

    /// A donation (transfer without mint) never dilutes existing LPs and gives a newcomer nothing.
    function test_donation_existingLpGainsNewcomerPaysFair() public {
        uint256 aliceShares = _add(alice, 10e18, 10e18);
        tokenA.mint(address(pool), 5e18);
        tokenB.mint(address(pool), 5e18);
        pool.sync();
        uint256 bobShares = _add(bob, 15e18, 15e18);
        (uint256 bobA, uint256 bobB) = _remove(bob, bobShares);
        assertLe(bobA, 15e18);
        assertLe(bobB, 15e18);
        (uint256 aliceA,) = _remove(alice, aliceShares);
        assertGt(aliceA, 10e18 + 4e18); // she got (almost all of) the donation
    }

    /// Sandwich: a front-run that moves the price past the victim's slippage limit makes the
    /// victim's swap revert; a smaller one leaves the victim at least its minimum.
    function test_sandwich_boundedBySlippageLimit() public {
        _add(alice, 1000e18, 1000e18);
        (uint256 ra, uint256 rb) = _reservesAB();
        uint256 victimIn = 10e18;
        uint256 quoted = PoolMath.getAmountOut(victimIn, ra, rb, FEE);
        uint256 minOut = quoted * 995 / 1000; // 0.5% slippage

        uint256 snap = vm.snapshotState();
        _swapIn(attacker, address(tokenA), address(tokenB), 50e18); // big front-run
        (ra, rb) = _reservesAB();
        uint256 wouldGet = PoolMath.getAmountOut(victimIn, ra, rb, FEE);
        vm.expectRevert(
            abi.encodeWithSelector(IRouter.InsufficientOutput.selector, wouldGet, minOut)
        );
        vm.prank(bob);
        router.swapExactInSingle(
            IRouter.ExactInSingleParams(
                address(tokenA), address(tokenB), FEE, victimIn, minOut, bob, DEADLINE
            )
        );
        vm.revertToState(snap);

        _swapIn(attacker, address(tokenA), address(tokenB), 1e18); // small front-run
        vm.prank(bob);
        uint256 got = router.swapExactInSingle(
            IRouter.ExactInSingleParams(
                address(tokenA), address(tokenB), FEE, victimIn, minOut, bob, DEADLINE
            )
        );
        assertGe(got, minOut);
        assertLt(got, quoted);
    }

    /// USDT-style tokens that return nothing: the pool and router use safe-transfer helpers.
    function test_noReturnToken_fullCycle() public {
        NoReturnToken usdt = new NoReturnToken();
        Pool p = Pool(factory.createPool(address(usdt), address(tokenA), FEE));
        usdt.mint(alice, 1e15);
        vm.prank(alice);
        usdt.approve(address(router), type(uint256).max);
        uint256 shares = _add(alice, address(usdt), address(tokenA), FEE, 1_000_000e6, 500e18);
        vm.prank(alice);
        uint256 out = router.swapExactInSingle(
            IRouter.ExactInSingleParams(
                address(usdt), address(tokenA), FEE, 1000e6, 1, alice, DEADLINE
            )
        );
        assertGt(out, 0);
        vm.prank(alice);
        uint256 usdtBack = router.swapExactInSingle(
            IRouter.ExactInSingleParams(
                address(tokenA), address(usdt), FEE, out, 1, alice, DEADLINE
            )
        );
        vm.startPrank(alice);
        p.approve(address(router), shares);
        (uint256 gotUsdt,) = router.removeLiquidity(
            IRouter.RemoveLiquidityParams(
                address(usdt), address(tokenA), FEE, shares, 1, 1, alice, DEADLINE
            )
        );
        vm.stopPrank();
        assertGt(gotUsdt, 999_000e6);
        assertEq(usdt.balanceOf(alice), 1e15 - 1_000_000e6 - 1000e6 + usdtBack + gotUsdt);
    }

    /// Fee-on-transfer: the plain swap is rejected by the k check (typed `KInvariant`); the
    /// supporting function swaps on what arrived and checks the minimum on what `to` received.
    function test_feeOnTransfer_plainRejectedSupportingWorks() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        _fund(alice, address(fot), 1e30);
        _fund(bob, address(fot), 1e30);
        factory.createPool(address(fot), address(tokenA), FEE);
        _add(alice, address(fot), address(tokenA), FEE, 1000e18, 1000e18);
        Pool p = Pool(router.poolFor(address(fot), address(tokenA), FEE));

        vm.expectRevert(); // IPool.KInvariant: the pool received 1% less than the quote assumed
        vm.prank(bob);
        router.swapExactInSingle(
            IRouter.ExactInSingleParams(address(fot), address(tokenA), FEE, 10e18, 0, bob, DEADLINE)
        );

        (uint112 r0, uint112 r1,) = p.getReserves();
        (uint256 rIn, uint256 rOut) =
            p.token0() == address(fot) ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 expected = PoolMath.getAmountOut(10e18 - 10e18 / 100, rIn, rOut, FEE);
        bytes memory path = _path(address(fot), FEE, address(tokenA));
        vm.expectRevert(
            abi.encodeWithSelector(IRouter.InsufficientOutput.selector, expected, expected + 1)
        );
        vm.prank(bob);
        router.swapExactInSupportingFeeOnTransfer(
            IRouter.ExactInParams(path, 10e18, expected + 1, bob, DEADLINE)
        );
        uint256 before = tokenA.balanceOf(bob);
        vm.prank(bob);
        uint256 out = router.swapExactInSupportingFeeOnTransfer(
            IRouter.ExactInParams(path, 10e18, expected, bob, DEADLINE)
        );
        assertEq(out, expected);
        assertEq(tokenA.balanceOf(bob) - before, expected);

        // Output side is fee-on-transfer too: the minimum is checked on what bob received.
        bytes memory back = _path(address(tokenA), FEE, address(fot));
        uint256 fotBefore = fot.balanceOf(bob);
        vm.prank(bob);
        uint256 received = router.swapExactInSupportingFeeOnTransfer(
            IRouter.ExactInParams(back, 1e18, 1, bob, DEADLINE)
        );
        assertEq(fot.balanceOf(bob) - fotBefore, received);
        assertGt(received, 0);
    }

    /// 6-decimal token against an 18-decimal one: quotes exact to the base unit both ways.
    function test_sixDecimals_exactInAndOut() public {
        MockERC20 usdc = new MockERC20("USD Coin", "USDC", 6);
        _fund(alice, address(usdc), 1e30);
        _fund(bob, address(usdc), 1e30);
        factory.createPool(address(usdc), address(tokenA), 5);
        _add(alice, address(usdc), address(tokenA), 5, 2_000_000e6, 1000e18);
        bytes memory path = _path(address(usdc), 5, address(tokenA));
        uint256[] memory q = router.getAmountsOut(2000e6, path);
        vm.prank(bob);
        uint256 out = router.swapExactIn(IRouter.ExactInParams(path, 2000e6, q[1], bob, DEADLINE));
        assertEq(out, q[1]);
        assertApproxEqRel(out, 0.999e18, 0.002e18);
        bytes memory back = _path(address(tokenA), 5, address(usdc));
        uint256[] memory needed = router.getAmountsIn(1000e6, back);
        uint256 usdcBefore = usdc.balanceOf(bob);
        uint256 aBefore = tokenA.balanceOf(bob);
        vm.prank(bob);
        router.swapExactOut(IRouter.ExactOutParams(back, 1000e6, needed[0], bob, DEADLINE));
        assertEq(usdc.balanceOf(bob) - usdcBefore, 1000e6);
        assertEq(aBefore - tokenA.balanceOf(bob), needed[0]);
        assertApproxEqRel(needed[0], 0.5e18, 0.01e18);
    }

    /// Balances beyond uint112 cannot enter the reserves (the k check's overflow bound).
    function test_balanceOverflow_rejected() public {
        _add(alice, 1e18, 1e18);
        tokenA.mint(address(pool), uint256(type(uint112).max));
        vm.expectRevert();
        pool.sync();
        pool.skim(carol); // the excess can be taken away
        pool.sync();
    }
}
