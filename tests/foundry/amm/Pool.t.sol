// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";

import {Pool} from "../../../contracts/amm/Pool.sol";
import {IFactory} from "../../../contracts/interfaces/IFactory.sol";
import {IPool} from "../../../contracts/interfaces/IPool.sol";
import {IRouter} from "../../../contracts/interfaces/IRouter.sol";
import {PoolMath} from "../../../contracts/libraries/PoolMath.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {ReentrantToken} from "../../../contracts/test/ReentrantToken.sol";
import {AmmBase} from "./AmmBase.sol";

contract FactoryTest is AmmBase {
    function test_createPool_deterministicAddress() public view {
        (address t0, address t1) = address(tokenA) < address(tokenB)
            ? (address(tokenA), address(tokenB))
            : (address(tokenB), address(tokenA));
        assertEq(factory.POOL_INIT_CODE_HASH(), keccak256(type(Pool).creationCode));
        address expected = vm.computeCreate2Address(
            keccak256(abi.encode(t0, t1, FEE)), factory.POOL_INIT_CODE_HASH(), address(factory)
        );
        assertEq(address(pool), expected);
        assertEq(factory.poolAddress(address(tokenB), address(tokenA), FEE), expected);
        assertEq(router.poolFor(address(tokenA), address(tokenB), FEE), expected);
        assertEq(factory.getPool(address(tokenB), address(tokenA), FEE), expected);
        assertEq(pool.token0(), t0);
        assertEq(pool.token1(), t1);
        assertEq(pool.fee(), FEE);
        assertEq(pool.factory(), address(factory));
        assertEq(factory.poolCount(), 1);
        assertEq(factory.pools(0), address(pool));
    }

    function test_createPool_onePerPairAndFeeTier() public {
        vm.expectRevert(abi.encodeWithSelector(IFactory.PoolExists.selector, address(pool)));
        factory.createPool(address(tokenB), address(tokenA), FEE);
        address other = factory.createPool(address(tokenA), address(tokenB), 5);
        assertTrue(other != address(pool));
        assertEq(Pool(other).fee(), 5);
    }

    function test_createPool_revertsOnBadTokensOrFee() public {
        vm.expectRevert(abi.encodeWithSelector(IFactory.IdenticalTokens.selector, address(tokenA)));
        factory.createPool(address(tokenA), address(tokenA), FEE);
        vm.expectRevert(IFactory.ZeroAddress.selector);
        factory.createPool(address(0), address(tokenA), FEE);
        vm.expectRevert(abi.encodeWithSelector(IFactory.FeeTierNotEnabled.selector, uint16(7)));
        factory.createPool(address(tokenA), address(tokenB), 7);
    }

    function test_enableFeeTier_ownerOnlyAndBounded() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        factory.enableFeeTier(7);
        vm.startPrank(owner);
        factory.enableFeeTier(7);
        vm.expectRevert(abi.encodeWithSelector(IFactory.FeeTierAlreadyEnabled.selector, uint16(7)));
        factory.enableFeeTier(7);
        vm.expectRevert(abi.encodeWithSelector(IFactory.InvalidFeeTier.selector, uint16(1001)));
        factory.enableFeeTier(1001);
        vm.expectRevert(abi.encodeWithSelector(IFactory.InvalidFeeTier.selector, uint16(0)));
        factory.enableFeeTier(0);
        vm.stopPrank();
        assertTrue(factory.feeTierEnabled(7));
    }

    function test_parameters_zeroOutsideCreate() public view {
        (address t0, address t1, uint16 fee) = factory.parameters();
        assertEq(t0, address(0));
        assertEq(t1, address(0));
        assertEq(fee, 0);
    }
}

contract PoolTest is AmmBase {
    function test_mint_firstLocksMinimumLiquidity() public {
        uint256 liquidity = _add(alice, 4e18, 1e18);
        assertEq(liquidity, 2e18 - 1000);
        assertEq(pool.balanceOf(address(0)), 1000);
        assertEq(pool.totalSupply(), 2e18);
        (uint256 ra, uint256 rb) = _reservesAB();
        assertEq(ra, 4e18);
        assertEq(rb, 1e18);
    }

    function test_mint_revertsWhenNothingMinted() public {
        tokenA.mint(address(pool), 1000);
        tokenB.mint(address(pool), 1000);
        vm.expectRevert(IPool.InsufficientLiquidityMinted.selector);
        pool.mint(alice);
    }

    function test_mint_laterIsProportionalRoundedDown() public {
        _add(alice, 3e18, 7e18);
        uint256 supply = pool.totalSupply();
        tokenA.mint(address(pool), 1e18);
        tokenB.mint(address(pool), 5e18); // unbalanced: the excess B is donated
        uint256 minted = pool.mint(bob);
        assertEq(minted, FixedPointMathLib.min(1e18 * supply / 3e18, 5e18 * supply / 7e18));
    }

    function test_burn_paysProRata() public {
        uint256 liquidity = _add(alice, 4e18, 1e18);
        uint256 a0 = tokenA.balanceOf(alice);
        uint256 b0 = tokenB.balanceOf(alice);
        (uint256 amountA, uint256 amountB) = _remove(alice, liquidity);
        assertEq(amountA, liquidity * 4e18 / 2e18);
        assertEq(amountB, liquidity * 1e18 / 2e18);
        assertEq(tokenA.balanceOf(alice) - a0, amountA);
        assertEq(tokenB.balanceOf(alice) - b0, amountB);
        assertEq(pool.balanceOf(alice), 0);
    }

    function test_burn_revertsWithoutShares() public {
        _add(alice, 1e18, 1e18);
        vm.expectRevert(IPool.InsufficientLiquidityBurned.selector);
        pool.burn(alice);
    }

    function test_swap_exactQuotePassesOneMoreFailsK() public {
        _add(alice, 100e18, 100e18);
        (uint256 ra, uint256 rb) = _reservesAB();
        uint256 amountIn = 1e18;
        uint256 out = PoolMath.getAmountOut(amountIn, ra, rb, FEE);
        vm.prank(bob);
        tokenA.transfer(address(pool), amountIn);
        bool aIs0 = pool.token0() == address(tokenA);
        uint256 kBefore = _k();
        vm.expectRevert(); // KInvariant with the balances after the optimistic transfer
        pool.swap(aIs0 ? 0 : out + 1, aIs0 ? out + 1 : 0, bob);
        pool.swap(aIs0 ? 0 : out, aIs0 ? out : 0, bob);
        assertGe(_k(), kBefore);
        assertEq(tokenB.balanceOf(bob), 1e30 + out);
    }

    function test_swap_kInvariantErrorNamesBalances() public {
        _add(alice, 100e18, 100e18);
        vm.prank(bob);
        tokenA.transfer(address(pool), 1e18);
        bool aIs0 = pool.token0() == address(tokenA);
        uint256 tooMuch = 1e18; // no room for the fee
        (uint256 b0, uint256 b1) = aIs0 ? (101e18, 99e18) : (99e18, 101e18);
        vm.expectRevert(abi.encodeWithSelector(IPool.KInvariant.selector, b0, b1));
        pool.swap(aIs0 ? 0 : tooMuch, aIs0 ? tooMuch : 0, bob);
    }

    /// Tokens that revert on a zero-value transfer (some do): a swap that takes out one token
    /// must not transfer zero of the other, in either direction.
    function test_swap_transfersNoZeroAmount() public {
        _add(alice, 100e18, 100e18);
        vm.mockCallRevert(address(tokenA), abi.encodeCall(tokenA.transfer, (bob, 0)), "zero");
        vm.mockCallRevert(address(tokenB), abi.encodeCall(tokenB.transfer, (bob, 0)), "zero");
        bool aIs0 = pool.token0() == address(tokenA);
        (uint256 ra, uint256 rb) = _reservesAB();
        uint256 outB = PoolMath.getAmountOut(1e18, ra, rb, FEE);
        vm.prank(bob);
        tokenA.transfer(address(pool), 1e18);
        pool.swap(aIs0 ? 0 : outB, aIs0 ? outB : 0, bob);
        (ra, rb) = _reservesAB();
        uint256 outA = PoolMath.getAmountOut(1e18, rb, ra, FEE);
        vm.prank(bob);
        tokenB.transfer(address(pool), 1e18);
        pool.swap(aIs0 ? outA : 0, aIs0 ? 0 : outA, bob);
        assertEq(tokenB.balanceOf(bob), 1e30 + outB - 1e18);
        assertEq(tokenA.balanceOf(bob), 1e30 - 1e18 + outA);
    }

    function test_swap_revertsOnBadArguments() public {
        _add(alice, 10e18, 10e18);
        vm.expectRevert(IPool.InsufficientOutputAmount.selector);
        pool.swap(0, 0, bob);
        vm.expectRevert(abi.encodeWithSelector(IPool.InsufficientLiquidity.selector, 10e18, 10e18));
        pool.swap(10e18, 0, bob);
        vm.expectRevert(abi.encodeWithSelector(IPool.InsufficientLiquidity.selector, 11e18, 10e18));
        pool.swap(0, 11e18, bob);
        vm.expectRevert(abi.encodeWithSelector(IPool.InvalidTo.selector, address(tokenA)));
        pool.swap(1, 0, address(tokenA));
        vm.expectRevert(IPool.InsufficientInputAmount.selector);
        pool.swap(1, 0, bob);
    }

    function test_swap_feeAccruesToLPs() public {
        uint256 liquidity = _add(alice, 100e18, 100e18);
        for (uint256 i; i < 10; ++i) {
            uint256 out = _swapIn(bob, address(tokenA), address(tokenB), 10e18);
            _swapIn(bob, address(tokenB), address(tokenA), out);
        }
        (uint256 amountA, uint256 amountB) = _remove(alice, liquidity);
        // The pool's value for the LP grew: k per share went up (fees stayed in the pool).
        assertGt(amountA * amountB, (100e18 - 1000) * (100e18 - 1000));
    }

    function test_skimAndSync() public {
        _add(alice, 10e18, 10e18);
        tokenA.mint(address(pool), 3e18);
        pool.skim(carol);
        assertEq(tokenA.balanceOf(carol), 1e30 + 3e18);
        tokenB.mint(address(pool), 2e18);
        vm.expectEmit(address(pool));
        (uint112 ra, uint112 rb) =
            pool.token0() == address(tokenA) ? (10e18, 12e18) : (12e18, 10e18);
        emit IPool.Sync(ra, rb);
        pool.sync();
        (uint256 a, uint256 b) = _reservesAB();
        assertEq(a, 10e18);
        assertEq(b, 12e18);
    }

    function test_swap_emitsNetDeltasAndSync() public {
        _add(alice, 100e18, 100e18);
        (uint256 ra, uint256 rb) = _reservesAB();
        uint256 out = PoolMath.getAmountOut(1e18, ra, rb, FEE);
        bool aIs0 = pool.token0() == address(tokenA);
        vm.expectEmit(address(pool));
        if (aIs0) emit IPool.Swap(address(router), bob, int256(1e18), -int256(out));
        else emit IPool.Swap(address(router), bob, -int256(out), int256(1e18));
        _swapIn(bob, address(tokenA), address(tokenB), 1e18);
    }

    function test_logPriceCumulative_timeWeighted() public {
        _add(alice, 100e18, 400e18);
        int256 before = pool.logPriceCumulative();
        vm.warp(block.timestamp + 1000);
        pool.sync();
        int256 delta = pool.logPriceCumulative() - before;
        (uint112 r0, uint112 r1,) = pool.getReserves();
        int256 expected =
            (FixedPointMathLib.lnWad(int256(uint256(r1)))
                    - FixedPointMathLib.lnWad(int256(uint256(r0)))) * 1000;
        assertEq(delta, expected);
        // ln(4) or ln(1/4) per second, within the approximation of lnWad.
        assertApproxEqRel(delta > 0 ? delta : -delta, 1386294361119890618 * 1000, 1e12);
        // A second update in the same block does not accumulate again.
        pool.sync();
        assertEq(pool.logPriceCumulative() - before, delta);
    }

    function test_setProtocolFee_onlyFactoryAndOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IPool.NotFactory.selector, alice));
        vm.prank(alice);
        pool.setProtocolFee(true);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        factory.setProtocolFee(address(pool), true);
        vm.expectRevert(abi.encodeWithSelector(IFactory.UnknownPool.selector, alice));
        vm.prank(owner);
        factory.setProtocolFee(alice, true);
    }

    function test_protocolFee_mintsOneSixthOfGrowth() public {
        address treasury = makeAddr("treasury");
        _add(alice, 100e18, 100e18);
        vm.startPrank(owner);
        factory.setFeeTo(treasury);
        factory.setProtocolFee(address(pool), true);
        vm.stopPrank();
        assertTrue(pool.protocolFeeOn());
        uint256 kLast = pool.kLast();
        assertEq(kLast, _k());
        for (uint256 i; i < 5; ++i) {
            uint256 out = _swapIn(bob, address(tokenA), address(tokenB), 20e18);
            _swapIn(bob, address(tokenB), address(tokenA), out);
        }
        uint256 expected = PoolMath.protocolFeeLiquidity(_k(), kLast, pool.totalSupply());
        assertGt(expected, 0);
        _add(carol, 1e18, 1e18);
        assertEq(pool.balanceOf(treasury), expected);
        assertEq(pool.kLast(), _k());
        // Off: no more protocol shares.
        vm.prank(owner);
        factory.setProtocolFee(address(pool), false);
        assertEq(pool.kLast(), 0);
        uint256 out2 = _swapIn(bob, address(tokenA), address(tokenB), 20e18);
        _swapIn(bob, address(tokenB), address(tokenA), out2);
        _add(carol, 1e18, 1e18);
        assertEq(pool.balanceOf(treasury), expected);
    }

    function test_protocolFee_noGrowthMintsNothingAndBurnRecordsK() public {
        address treasury = makeAddr("treasury");
        uint256 liquidity = _add(alice, 100e18, 100e18);
        vm.startPrank(owner);
        factory.setFeeTo(treasury);
        factory.setProtocolFee(address(pool), true);
        vm.stopPrank();
        // Deposits and withdrawals alone do not grow sqrt(k) per share: no protocol shares.
        _add(carol, 10e18, 10e18);
        assertEq(pool.balanceOf(treasury), 0);
        assertEq(pool.kLast(), _k());
        _remove(alice, liquidity / 2);
        assertEq(pool.balanceOf(treasury), 0);
        assertEq(pool.kLast(), _k()); // the burn re-bases kLast on the smaller pool
        // Growth after the burn is charged against the burn's kLast, not the larger one before.
        uint256 kLast = pool.kLast();
        uint256 out = _swapIn(bob, address(tokenA), address(tokenB), 20e18);
        _swapIn(bob, address(tokenB), address(tokenA), out);
        uint256 expected = PoolMath.protocolFeeLiquidity(_k(), kLast, pool.totalSupply());
        assertGt(expected, 0);
        _remove(alice, liquidity / 4);
        assertEq(pool.balanceOf(treasury), expected);
        assertEq(pool.kLast(), _k());
    }

    function test_protocolFee_offMintsNothing() public {
        vm.prank(owner);
        factory.setFeeTo(makeAddr("treasury"));
        _add(alice, 100e18, 100e18);
        uint256 out = _swapIn(bob, address(tokenA), address(tokenB), 20e18);
        _swapIn(bob, address(tokenB), address(tokenA), out);
        _add(carol, 1e18, 1e18);
        assertEq(pool.balanceOf(makeAddr("treasury")), 0);
    }

    function test_permit_lpShares() public {
        (address signer, uint256 key) = makeAddrAndKey("permitter");
        _fund(signer, address(tokenA), 10e18);
        _fund(signer, address(tokenB), 10e18);
        uint256 liquidity = _add(signer, 10e18, 10e18);
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                pool.DOMAIN_SEPARATOR(),
                keccak256(
                    abi.encode(
                        keccak256(
                            "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
                        ),
                        signer,
                        address(router),
                        liquidity,
                        0,
                        DEADLINE
                    )
                )
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        vm.prank(signer);
        (uint256 amountA, uint256 amountB) = router.removeLiquidityWithPermit(
            IRouter.RemoveLiquidityParams(
                address(tokenA), address(tokenB), FEE, liquidity, 1, 1, signer, DEADLINE
            ),
            IRouter.PermitSignature(liquidity, DEADLINE, v, r, s)
        );
        assertGt(amountA, 0);
        assertGt(amountB, 0);
        assertEq(pool.balanceOf(signer), 0);
        assertEq(pool.nonces(signer), 1);
    }

    function test_removeLiquidityWithPermit_badPermitWithoutAllowanceReverts() public {
        uint256 liquidity = _add(alice, 10e18, 10e18);
        vm.expectRevert(abi.encodeWithSelector(IRouter.PermitFailed.selector, address(pool)));
        vm.prank(alice);
        router.removeLiquidityWithPermit(
            IRouter.RemoveLiquidityParams(
                address(tokenA), address(tokenB), FEE, liquidity, 0, 0, alice, DEADLINE
            ),
            IRouter.PermitSignature(
                liquidity, DEADLINE, 27, bytes32(uint256(1)), bytes32(uint256(2))
            )
        );
    }

    function test_names() public view {
        assertEq(pool.name(), "crossbook LP");
        assertEq(pool.symbol(), "CB-LP");
        assertEq(pool.decimals(), 18);
        assertEq(pool.MINIMUM_LIQUIDITY(), 1000);
    }
}

/// @notice Reentrancy through a token's transfer hook (Uniswap v1 + imBTC, 2020).
contract PoolReentrancyTest is AmmBase {
    ReentrantToken internal hooked;
    Pool internal hookedPool;

    function setUp() public override {
        super.setUp();
        hooked = new ReentrantToken();
        hookedPool = Pool(factory.createPool(address(hooked), address(tokenB), FEE));
        _fund(alice, address(hooked), 1e30);
        _fund(bob, address(hooked), 1e30);
        _add(alice, address(hooked), address(tokenB), FEE, 100e18, 100e18);
    }

    function _armAndSwap(bytes memory callData) internal {
        hooked.arm(address(hookedPool), callData);
        // Swap tokenB -> hooked: the pool's transfer of `hooked` to bob fires the hook mid-swap.
        vm.prank(bob);
        router.swapExactInSingle(
            IRouter.ExactInSingleParams(
                address(tokenB), address(hooked), FEE, 1e18, 0, bob, DEADLINE
            )
        );
        assertTrue(hooked.attempted());
        assertFalse(hooked.reentrySucceeded());
        assertEq(
            hooked.reentryReturnData(),
            abi.encodeWithSelector(ReentrancyGuardTransient.Reentrancy.selector)
        );
    }

    function test_reentrancy_swapDuringSwap() public {
        bool hookedIs0 = hookedPool.token0() == address(hooked);
        _armAndSwap(abi.encodeCall(IPool.swap, (hookedIs0 ? 0 : 1e18, hookedIs0 ? 1e18 : 0, bob)));
    }

    function test_reentrancy_mintBurnSyncSkimDuringSwap() public {
        _armAndSwap(abi.encodeCall(IPool.mint, (bob)));
        _armAndSwap(abi.encodeCall(IPool.burn, (bob)));
        _armAndSwap(abi.encodeCall(IPool.sync, ()));
        _armAndSwap(abi.encodeCall(IPool.skim, (bob)));
    }

    function test_reentrancy_routerQuoteDuringSwapBubblesPoolError() public {
        // A quote taken mid-swap would price on reserves the swap is about to change: the router
        // passes on the pool's lock error instead of quoting.
        bytes memory path = abi.encodePacked(address(tokenB), FEE, address(hooked));
        hooked.arm(address(router), abi.encodeCall(router.getAmountsOut, (1e18, path)));
        uint256 before = hooked.balanceOf(bob);
        vm.prank(bob);
        uint256 out = router.swapExactInSingle(
            IRouter.ExactInSingleParams(
                address(tokenB), address(hooked), FEE, 1e18, 0, bob, DEADLINE
            )
        );
        assertEq(hooked.balanceOf(bob) - before, out);
        assertTrue(hooked.attempted());
        assertFalse(hooked.reentrySucceeded());
        assertEq(
            hooked.reentryReturnData(),
            abi.encodeWithSelector(ReentrancyGuardTransient.Reentrancy.selector)
        );
        // Outside a pool action the same quote succeeds.
        assertEq(router.getAmountsOut(1e18, path).length, 2);
    }

    function test_reentrancy_readOnlyGetReserves() public {
        _armAndSwap(abi.encodeCall(IPool.getReserves, ()));
    }
}
