// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Factory} from "../../../contracts/amm/Factory.sol";
import {Pool} from "../../../contracts/amm/Pool.sol";
import {Router} from "../../../contracts/amm/Router.sol";
import {IRouter} from "../../../contracts/interfaces/IRouter.sol";
import {PoolMath} from "../../../contracts/libraries/PoolMath.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";

/// @notice Random users add, remove, swap (through the router and directly), donate, sync and
/// skim, with time passing. Ghosts record any swap that lowered k and any action that lowered
/// the passive LP's share value (k / supply**2, compared exactly in 512 bits).
contract PoolHandler is Test {
    uint16 internal constant FEE = 30;
    Router internal immutable router;
    Pool internal immutable pool;
    MockERC20 internal immutable tokenA;
    MockERC20 internal immutable tokenB;
    address[3] internal actors;

    bool public kDecreasedInSwap;
    bool public shareValueFell;
    uint256 public swaps;
    uint256 public lastK;
    uint256 public lastSupply;

    constructor(Router router_, Pool pool_, MockERC20 a, MockERC20 b) {
        (router, pool, tokenA, tokenB) = (router_, pool_, a, b);
        actors = [makeAddr("h1"), makeAddr("h2"), makeAddr("h3")];
        for (uint256 i; i < actors.length; ++i) {
            a.mint(actors[i], 1e28);
            b.mint(actors[i], 1e28);
            vm.startPrank(actors[i]);
            a.approve(address(router), type(uint256).max);
            b.approve(address(router), type(uint256).max);
            pool.approve(address(router), type(uint256).max);
            vm.stopPrank();
        }
        _snapshotValue();
    }

    // ------------------------------- actions -------------------------------

    function add(uint256 actor, uint256 amountA, uint256 amountB) external checkValue {
        address who = actors[actor % actors.length];
        amountA = bound(amountA, 1e6, 1e24);
        amountB = bound(amountB, 1e6, 1e24);
        vm.prank(who);
        try router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(tokenA), address(tokenB), FEE, amountA, amountB, 0, 0, who, type(uint32).max
            )
        ) {}
            catch {}
    }

    function remove(uint256 actor, uint256 fraction) external checkValue {
        address who = actors[actor % actors.length];
        uint256 shares = pool.balanceOf(who) * bound(fraction, 1, 100) / 100;
        if (shares == 0) return;
        vm.prank(who);
        try router.removeLiquidity(
            IRouter.RemoveLiquidityParams(
                address(tokenA), address(tokenB), FEE, shares, 0, 0, who, type(uint32).max
            )
        ) {}
            catch {}
    }

    function swapRouter(uint256 actor, bool aToB, uint256 amountIn) external checkValue {
        address who = actors[actor % actors.length];
        amountIn = bound(amountIn, 1, 1e24);
        (address tin, address tout) =
            aToB ? (address(tokenA), address(tokenB)) : (address(tokenB), address(tokenA));
        uint256 kBefore = _k();
        vm.prank(who);
        try router.swapExactInSingle(
            IRouter.ExactInSingleParams(tin, tout, FEE, amountIn, 0, who, type(uint32).max)
        ) {
            _afterSwap(kBefore);
        } catch {}
    }

    /// A direct pool swap asking for the quote plus `greed` (more than the k check allows
    /// whenever greed > 0): it must revert, or leave k no lower.
    function swapDirect(uint256 actor, bool aToB, uint256 amountIn, uint256 greed)
        external
        checkValue
    {
        address who = actors[actor % actors.length];
        amountIn = bound(amountIn, 1, 1e24);
        greed = bound(greed, 0, 3);
        (uint112 r0, uint112 r1,) = pool.getReserves();
        if (r0 == 0) return;
        bool aIs0 = pool.token0() == address(tokenA);
        bool zeroForOne = aToB == aIs0;
        (uint256 rIn, uint256 rOut) =
            zeroForOne ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 out = PoolMath.getAmountOut(amountIn, rIn, rOut, FEE) + greed;
        if (out == 0 || out >= rOut) return;
        uint256 kBefore = _k();
        vm.prank(who);
        (aToB ? tokenA : tokenB).transfer(address(pool), amountIn);
        try pool.swap(zeroForOne ? 0 : out, zeroForOne ? out : 0, who) {
            _afterSwap(kBefore);
        } catch {
            pool.skim(who); // give the input back
        }
    }

    function donate(uint256 actor, uint256 amountA, uint256 amountB, bool doSync)
        external
        checkValue
    {
        address who = actors[actor % actors.length];
        vm.startPrank(who);
        tokenA.transfer(address(pool), bound(amountA, 0, 1e22));
        tokenB.transfer(address(pool), bound(amountB, 0, 1e22));
        vm.stopPrank();
        if (doSync) pool.sync();
    }

    function skim(uint256 actor) external checkValue {
        pool.skim(actors[actor % actors.length]);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 1 days));
    }

    // ------------------------------- ghosts -------------------------------

    modifier checkValue() {
        _;
        uint256 k = _k();
        uint256 supply = pool.totalSupply();
        if (lastSupply != 0 && supply != 0) {
            // k / supply^2 must not fall: k * lastSupply^2 >= lastK * supply^2.
            (uint256 nowHi, uint256 nowLo) = _mul512(k, lastSupply * lastSupply);
            (uint256 thenHi, uint256 thenLo) = _mul512(lastK, supply * supply);
            if (_lt512(nowHi, nowLo, thenHi, thenLo)) shareValueFell = true;
        }
        (lastK, lastSupply) = (k, supply);
    }

    function _afterSwap(uint256 kBefore) internal {
        ++swaps;
        if (_k() < kBefore) kDecreasedInSwap = true;
    }

    function _snapshotValue() internal {
        (lastK, lastSupply) = (_k(), pool.totalSupply());
    }

    function _k() internal view returns (uint256) {
        (uint112 r0, uint112 r1,) = pool.getReserves();
        return uint256(r0) * r1;
    }

    function _mul512(uint256 a, uint256 b) internal pure returns (uint256 hi, uint256 lo) {
        assembly ("memory-safe") {
            let mm := mulmod(a, b, not(0))
            lo := mul(a, b)
            hi := sub(sub(mm, lo), lt(mm, lo))
        }
    }

    function _lt512(uint256 ahi, uint256 alo, uint256 bhi, uint256 blo)
        internal
        pure
        returns (bool)
    {
        return ahi < bhi || (ahi == bhi && alo < blo);
    }
}

contract PoolInvariantsTest is Test {
    Factory internal factory;
    Router internal router;
    Pool internal pool;
    MockERC20 internal tokenA;
    MockERC20 internal tokenB;
    PoolHandler internal handler;
    address internal passiveLp = makeAddr("passiveLp");
    uint256 internal passiveShares;

    function setUp() public {
        vm.warp(1_700_000_000);
        factory = new Factory(address(this));
        router = new Router(address(factory));
        tokenA = new MockERC20("A", "A", 18);
        tokenB = new MockERC20("B", "B", 18);
        pool = Pool(factory.createPool(address(tokenA), address(tokenB), 30));
        // A passive LP who never acts again.
        tokenA.mint(address(pool), 1e21);
        tokenB.mint(address(pool), 3e21);
        passiveShares = pool.mint(passiveLp);
        handler = new PoolHandler(router, pool, tokenA, tokenB);
        targetContract(address(handler));
    }

    function invariant_kNeverDecreasesAcrossASwap() public view {
        assertFalse(handler.kDecreasedInSwap());
    }

    function invariant_reservesNeverExceedBalances() public view {
        (uint112 r0, uint112 r1,) = pool.getReserves();
        assertLe(r0, MockERC20(pool.token0()).balanceOf(address(pool)));
        assertLe(r1, MockERC20(pool.token1()).balanceOf(address(pool)));
    }

    function invariant_lpShareValueNeverFalls() public view {
        assertFalse(handler.shareValueFell());
        assertEq(pool.balanceOf(passiveLp), passiveShares);
    }

    function invariant_minimumLiquidityStaysLocked() public view {
        assertEq(pool.balanceOf(address(0)), 1000);
        assertGe(pool.totalSupply(), 1000 + passiveShares);
    }
}
