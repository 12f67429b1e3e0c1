// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IHybridRouter} from "../../../contracts/interfaces/IHybridRouter.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {PoolMath} from "../../../contracts/libraries/PoolMath.sol";
import {MarketId} from "../../../contracts/types/BookIds.sol";
import {HybridBase} from "./HybridBase.sol";

/// @notice The split against book-only and pool-only, edge cases, limits and validation.
contract HybridRouterTest is HybridBase {
    /// @dev Asks on both sides of the pool's marginal buy price (~2,006 USDC per WETH).
    function _asks() internal {
        _place(ASK, 19_950, 500); // 1,995 (1,996 with the taker fee): beats the pool
        _place(ASK, 20_000, 500); // 2,000 (2,001): beats the pool
        _place(ASK, 20_080, 2000); // 2,008 (2,009): beats it only after the pool moved
        _place(ASK, 20_200, 5000); // 2,020
    }

    /// @dev Bids on both sides of the pool's marginal sell price (~1,994 USDC per WETH).
    function _bids() internal {
        _place(BID, 20_050, 500);
        _place(BID, 20_000, 500);
        _place(BID, 19_920, 2000);
        _place(BID, 19_800, 5000);
    }

    // ------------------------- the split beats both -------------------------

    function test_swapExactIn_buyBase_splitBeatsBookOnlyAndPoolOnly() public {
        _asks();
        uint256 amountIn = 10_000e6;
        uint256 poolOnly = _poolOnlyOut(true, amountIn);
        uint256 bookOnly = _bookOnlyOut(true, amountIn, 32);
        IHybridRouter.Split memory s = _swapIn(true, amountIn, 32);
        assertGt(s.bookLots, 0, "book used");
        assertGt(s.poolIn, 0, "pool used");
        assertGt(_out(s), poolOnly, "beats pool-only");
        assertGt(_out(s), bookOnly, "beats book-only");
        assertEq(_in(s), amountIn, "spends the input");
        assertEq(weth.balanceOf(recipient), _out(s), "recipient paid");
        assertEq(weth.balanceOf(address(hybrid)), 0, "router keeps no base");
        assertEq(usdc.balanceOf(address(hybrid)), 0, "router keeps no quote");
    }

    function test_swapExactIn_sellBase_splitBeatsBookOnlyAndPoolOnly() public {
        _bids();
        uint256 amountIn = 5e18;
        uint256 poolOnly = _poolOnlyOut(false, amountIn);
        uint256 bookOnly = _bookOnlyOut(false, amountIn, 32);
        IHybridRouter.Split memory s = _swapIn(false, amountIn, 32);
        assertGt(s.bookLots, 0, "book used");
        assertGt(s.poolIn, 0, "pool used");
        assertGt(_out(s), poolOnly, "beats pool-only");
        assertGt(_out(s), bookOnly, "beats book-only");
        assertEq(usdc.balanceOf(recipient), _out(s), "recipient paid");
        assertEq(
            weth.balanceOf(address(hybrid)) + usdc.balanceOf(address(hybrid)),
            0,
            "router keeps nothing"
        );
    }

    /// @dev At the split the next level is worse than the pool's marginal price after its share,
    /// and the last level taken was better than the pool's marginal price before it.
    function test_swapExactIn_splitStopsWhereThePoolCatchesUp() public {
        _asks();
        (uint256 x, uint256 y) = (200_000e6, 100e18); // reserves in (USDC) -> out (WETH)
        IHybridRouter.Split memory s = _swapIn(true, 10_000e6, 32);
        // The pool swap's marginal price at its size a, USDC units per lot:
        // d(in)/d(out) = (x + γa)² / (γxy), with γ = (10_000 - fee) / 10_000.
        uint256 g = 10_000 - FEE;
        uint256 t = x * 10_000 + g * s.poolIn;
        uint256 marginalPerLot = t * t * LOT / (10_000 * g * x * y);
        (uint16 nextTick, bool found) = book.bestAsk();
        assertTrue(found);
        uint256 nextWithFee = book.priceOf(nextTick) * (PPM + TAKER_FEE_PPM) / PPM;
        uint256 lastWithFee = book.priceOf(s.limitTick) * (PPM + TAKER_FEE_PPM) / PPM;
        assertGt(s.levels, 2, "levels beyond the pool's starting price were taken");
        assertLe(
            lastWithFee, marginalPerLot + 1, "the last level taken beat the pool at the margin"
        );
        // Whole lots: the pool also gets the rest below one lot's cost, which may carry it just
        // past the next level's price; one lot less in the pool and it is not past it.
        uint256 t1 = x * 10_000 + g * (s.poolIn - nextWithFee);
        assertGe(
            nextWithFee + 1,
            t1 * t1 * LOT / (10_000 * g * x * y),
            "the pool did not pass the next level"
        );
    }

    function test_swapExactOut_buyBase_costsLessThanEitherVenue() public {
        _asks();
        uint256 amountOut = 5e18;
        uint256 poolOnlyIn = router.getAmountIn(amountOut, 200_000e6, 100e18, FEE);
        // Book only: 500 + 500 + 2000 + 2000 lots.
        uint256 bookRaw = 500 * book.priceOf(19_950) + 500 * book.priceOf(20_000) + 2000
            * book.priceOf(20_080) + 2000 * book.priceOf(20_200);
        uint256 bookOnlyIn = bookRaw + (bookRaw * TAKER_FEE_PPM + PPM - 1) / PPM;
        IHybridRouter.Split memory s = _swapOut(true, amountOut, 32);
        assertEq(_out(s), amountOut, "exact output");
        assertEq(weth.balanceOf(recipient), amountOut);
        assertGt(s.bookLots, 0);
        assertGt(s.poolOut, 0);
        assertLt(_in(s), poolOnlyIn, "cheaper than the pool");
        assertLt(_in(s), bookOnlyIn, "cheaper than the book");
    }

    function test_swapExactOut_sellBase_exactQuoteOut() public {
        _bids();
        uint256 amountOut = 9_000e6;
        IHybridRouter.Split memory quoted =
            hybrid.quoteExactOut(_market(), FEE, false, amountOut, 32);
        uint256 wethBefore = weth.balanceOf(trader);
        IHybridRouter.Split memory s = _swapOut(false, amountOut, 32);
        assertEq(keccak256(abi.encode(s)), keccak256(abi.encode(quoted)), "swap = quote");
        assertEq(usdc.balanceOf(recipient), amountOut);
        assertEq(wethBefore - weth.balanceOf(trader), _in(s), "paid exactly the split's input");
        assertGt(s.bookLots, 0);
        assertGt(s.poolOut, 0);
    }

    // ---------------------------- all one venue ----------------------------

    function test_swapExactIn_allBook_whenTheBookIsMuchBetter() public {
        _place(ASK, 19_000, 10_000); // 1,900 per WETH: far below the pool
        uint256 amountIn = 5_000e6;
        uint256 bookOnly = _bookOnlyOut(true, amountIn, 32);
        uint256 usdcBefore = usdc.balanceOf(trader);
        IHybridRouter.Split memory s = _swapIn(true, amountIn, 32);
        assertEq(s.bookOut, bookOnly, "every lot the input affords");
        // Only the rest below one lot's cost goes to the pool.
        assertLt(
            s.poolIn, book.priceOf(19_000) * (PPM + TAKER_FEE_PPM) / PPM, "the pool gets the dust"
        );
        assertGe(_out(s), bookOnly);
        assertEq(usdcBefore - usdc.balanceOf(trader), amountIn);
    }

    function test_swapExactOut_allBook_poolUntouched() public {
        _place(ASK, 19_000, 50); // 1,900 per WETH: the pool is worse from the first lot
        (uint112 r0, uint112 r1,) = pool.getReserves();
        uint256 usdcBefore = usdc.balanceOf(trader);
        IHybridRouter.Split memory s = _swapOut(true, 20 * LOT, 4);
        assertEq(s.bookLots, 20);
        assertEq(s.bookOut, 20 * LOT);
        assertEq(s.poolIn + s.poolOut, 0, "no pool share");
        (uint112 r0After, uint112 r1After,) = pool.getReserves();
        assertEq(r0After, r0, "pool untouched");
        assertEq(r1After, r1, "pool untouched");
        uint256 raw = 20 * book.priceOf(19_000);
        assertEq(usdcBefore - usdc.balanceOf(trader), raw + (raw * TAKER_FEE_PPM + PPM - 1) / PPM);
        assertEq(weth.balanceOf(recipient), 20 * LOT);
        assertEq(book.levelLots(ASK, 19_000), 30);
    }

    function test_swapExactOut_lessThanALotLeftGoesToThePool() public {
        _place(ASK, 19_000, 20);
        _place(ASK, 19_001, 20);
        // The first level whole, then half a lot: no whole lot of the second level fits.
        IHybridRouter.Split memory s = _swapOut(true, 20 * LOT + LOT / 2, 4);
        assertEq(s.bookLots, 20);
        assertEq(s.levels, 1);
        assertEq(s.poolOut, LOT / 2);
        assertEq(weth.balanceOf(recipient), 20 * LOT + LOT / 2);
        assertEq(book.levelLots(ASK, 19_001), 20, "second level intact");
    }

    function test_swapExactIn_allPool_whenTheBookIsWorse() public {
        _place(ASK, 22_000, 1000); // 2,200: worse than the pool for this size
        uint256 amountIn = 5_000e6;
        uint256 poolOnly = _poolOnlyOut(true, amountIn);
        IHybridRouter.Split memory s = _swapIn(true, amountIn, 32);
        assertEq(s.bookLots, 0, "book untouched");
        assertEq(s.bookIn, 0);
        assertEq(_out(s), poolOnly, "the pool-only output");
        assertEq(book.levelLots(ASK, 22_000), 1000, "level intact");
    }

    function test_swapExactIn_emptyBook_allPool() public {
        uint256 amountIn = 3e18;
        uint256 poolOnly = _poolOnlyOut(false, amountIn);
        IHybridRouter.Split memory s = _swapIn(false, amountIn, 32);
        assertEq(s.bookLots, 0);
        assertEq(s.levels, 0);
        assertEq(_out(s), poolOnly);
    }

    function test_swapExactIn_zeroLevels_poolOnlyWithoutTouchingTheBook() public {
        _asks();
        uint256 amountIn = 1_000e6;
        uint256 poolOnly = _poolOnlyOut(true, amountIn);
        IHybridRouter.Split memory s = _swapIn(true, amountIn, 0);
        assertEq(s.bookLots, 0);
        assertEq(_out(s), poolOnly);
        assertEq(book.levelLots(ASK, 19_950), 500, "book untouched");
    }

    function test_swapExactIn_bookTakenWholeBeforeThePoolWhenThePoolIsWorseFromTheStart() public {
        _place(ASK, 19_990, 100);
        _place(ASK, 20_010, 100);
        // Both levels (1,999 and 2,001 + 0.05%) beat the pool's ~2,006 marginal price before it
        // moves: both are taken whole first, the pool gets the rest.
        IHybridRouter.Split memory s = _swapIn(true, 2_000e6, 32);
        assertEq(s.levels, 2);
        assertEq(s.bookLots, 200);
        assertEq(s.poolIn, 2_000e6 - s.bookIn);
        assertGt(s.poolOut, 0);
    }

    // ------------------------------- limits -------------------------------

    function test_swapExactIn_revertsBelowMinOut() public {
        _asks();
        IHybridRouter.Split memory q = hybrid.quoteExactIn(_market(), FEE, true, 10_000e6, 32);
        uint256 out = _out(q);
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IHybridRouter.InsufficientOutput.selector, out, out + 1)
        );
        hybrid.swapExactIn(_inParams(true, 10_000e6, out + 1, 32));
        vm.prank(trader);
        IHybridRouter.Split memory s = hybrid.swapExactIn(_inParams(true, 10_000e6, out, 32));
        assertEq(_out(s), out, "exactly the limit passes");
    }

    function test_swapExactOut_revertsAboveMaxIn() public {
        _bids();
        IHybridRouter.Split memory q = hybrid.quoteExactOut(_market(), FEE, false, 9_000e6, 32);
        uint256 cost = _in(q);
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IHybridRouter.ExcessiveInput.selector, cost, cost - 1)
        );
        hybrid.swapExactOut(_outParams(false, 9_000e6, cost - 1, 32));
        vm.prank(trader);
        IHybridRouter.Split memory s = hybrid.swapExactOut(_outParams(false, 9_000e6, cost, 32));
        assertEq(_in(s), cost);
    }

    function test_swap_revertsAfterDeadline() public {
        _asks();
        IHybridRouter.ExactInParams memory p = _inParams(true, 1_000e6, 0, 32);
        p.deadline = block.timestamp - 1;
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(
                IHybridRouter.DeadlineExpired.selector, p.deadline, block.timestamp
            )
        );
        hybrid.swapExactIn(p);
        IHybridRouter.ExactOutParams memory o = _outParams(true, 1e18, type(uint256).max, 32);
        o.deadline = block.timestamp - 1;
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(
                IHybridRouter.DeadlineExpired.selector, o.deadline, block.timestamp
            )
        );
        hybrid.swapExactOut(o);
        // At the deadline itself it still works.
        p.deadline = block.timestamp;
        vm.prank(trader);
        hybrid.swapExactIn(p);
    }

    function test_swap_revertsOnZeroAmount() public {
        vm.prank(trader);
        vm.expectRevert(IHybridRouter.ZeroAmount.selector);
        hybrid.swapExactIn(_inParams(true, 0, 0, 32));
        vm.prank(trader);
        vm.expectRevert(IHybridRouter.ZeroAmount.selector);
        hybrid.swapExactOut(_outParams(true, 0, 0, 32));
    }

    function test_swapExactOut_revertsWhenThePoolCannotPayTheRest() public {
        _place(ASK, 19_950, 100); // 0.1 WETH in the book, 100 WETH in the pool
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(PoolMath.AmountOutExceedsReserve.selector, 100.9e18, 100e18)
        );
        hybrid.swapExactOut(_outParams(true, 101e18, type(uint256).max, 32));
    }

    // ---------------------------- bounded work ----------------------------

    function test_swap_revertsAboveMaxLevels() public {
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IHybridRouter.TooManyLevels.selector, uint32(33), uint32(32))
        );
        hybrid.swapExactIn(_inParams(true, 1_000e6, 0, 33));
    }

    function test_swapExactIn_takesAtMostMaxLevels() public {
        // 40 cheap levels: all beat the pool, the swap could use every one.
        for (uint16 i; i < 40; ++i) {
            _place(ASK, 19_000 + i, 10);
        }
        IHybridRouter.Split memory three = hybrid.quoteExactIn(_market(), FEE, true, 1_000e6, 3);
        assertEq(three.levels, 3);
        assertEq(three.bookLots, 30);
        vm.prank(trader);
        uint256 gasBefore = gasleft();
        IHybridRouter.Split memory s = hybrid.swapExactIn(_inParams(true, 1_000e6, 0, 32));
        uint256 gasUsed = gasBefore - gasleft();
        assertEq(s.levels, 32, "capped at MAX_LEVELS");
        assertEq(s.bookLots, 320);
        assertEq(book.levelLots(ASK, 19_032), 10, "level 33 untouched");
        assertGt(s.poolIn, 0, "the rest went to the pool");
        // 32 levels read and taken whole: a documented bound, not a measurement target.
        assertLt(gasUsed, 1_500_000);
    }

    // ----------------------------- validation -----------------------------

    function test_swap_revertsForAMarketWithoutABook() public {
        IHybridRouter.ExactInParams memory p = _inParams(true, 1_000e6, 0, 4);
        p.market.tickSize = 1; // same tokens, another (never created) market
        MarketId id = bookFactory.marketId(address(weth), address(usdc), 1, LOT, MIN_LOTS);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IHybridRouter.BookNotFound.selector, id));
        hybrid.swapExactIn(p);
    }

    function test_swap_revertsForAFeeTierWithoutAPool() public {
        IHybridRouter.ExactInParams memory p = _inParams(true, 1_000e6, 0, 4);
        p.poolFee = 100;
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(
                IHybridRouter.PoolNotFound.selector, address(weth), address(usdc), uint16(100)
            )
        );
        hybrid.swapExactIn(p);
    }

    function test_swap_emitsTheSplit() public {
        _asks();
        IHybridRouter.Split memory q = hybrid.quoteExactIn(_market(), FEE, true, 10_000e6, 32);
        vm.expectEmit(address(hybrid));
        emit IHybridRouter.HybridSwap(
            trader,
            recipient,
            address(book),
            address(pool),
            true,
            q.bookLots,
            q.bookIn,
            q.bookOut,
            q.poolIn,
            q.poolOut
        );
        _swapIn(true, 10_000e6, 32);
    }

    // --------------------------------- fuzz --------------------------------

    /// @dev Random book (up to 6 levels around the pool price), random size and direction:
    /// the hybrid pays at least the better of book-only and pool-only for the same input, up to
    /// the split's rounding, and equals its own quote.
    function testFuzz_swapExactIn_atLeastTheBetterVenue(
        bool buyBase,
        uint256 amountSeed,
        uint256[6] memory tickSeeds,
        uint256[6] memory lotSeeds
    ) public {
        for (uint256 i; i < 6; ++i) {
            uint32 lots = uint32(bound(lotSeeds[i], MIN_LOTS, 3000));
            // Asks 19,700..20,600, bids 19,400..20,300: some beat the pool, some do not.
            uint16 tick = buyBase
                ? uint16(bound(tickSeeds[i], 19_700, 20_600))
                : uint16(bound(tickSeeds[i], 19_400, 20_300));
            _place(buyBase ? ASK : BID, tick, lots);
        }
        uint256 amountIn =
            buyBase ? bound(amountSeed, 1e6, 40_000e6) : bound(amountSeed, 1e15, 20e18);
        IHybridRouter.Split memory q = hybrid.quoteExactIn(_market(), FEE, buyBase, amountIn, 32);
        uint256 poolOnly = _poolOnlyOut(buyBase, amountIn);
        uint256 bookOnly = _bookOnlyOut(buyBase, amountIn, 32);
        IHybridRouter.Split memory s = _swapIn(buyBase, amountIn, 32);
        assertEq(keccak256(abi.encode(s)), keccak256(abi.encode(q)), "swap = quote");
        uint256 best = _max(poolOnly, bookOnly);
        // Rounding of the split: the floor square root and whole lots leave at most a few wei of
        // output at the margin (measured: see docs/router.md), bounded here by 1e-9 relative + 4.
        assertGe(_out(s) + best / 1e9 + 4, best, "at least the better venue");
        assertLe(_in(s), amountIn);
    }

    /// @dev Whatever the limit, the swap pays at least it or reverts with the exact error.
    function testFuzz_swapExactIn_neverBelowTheLimit(
        bool buyBase,
        uint256 amountSeed,
        uint256 minOut
    ) public {
        _asks();
        _bids();
        uint256 amountIn =
            buyBase ? bound(amountSeed, 1e6, 20_000e6) : bound(amountSeed, 1e15, 10e18);
        uint256 expected = _out(hybrid.quoteExactIn(_market(), FEE, buyBase, amountIn, 32));
        minOut = bound(minOut, expected > 1000 ? expected - 1000 : 0, expected + 1000);
        vm.prank(trader);
        if (minOut > expected) {
            vm.expectRevert(
                abi.encodeWithSelector(IHybridRouter.InsufficientOutput.selector, expected, minOut)
            );
            hybrid.swapExactIn(_inParams(buyBase, amountIn, minOut, 32));
        } else {
            address out = buyBase ? address(weth) : address(usdc);
            IHybridRouter.Split memory s =
                hybrid.swapExactIn(_inParams(buyBase, amountIn, minOut, 32));
            assertGe(_out(s), minOut);
            assertEq(MockERC20Like(out).balanceOf(recipient), _out(s));
        }
    }

    /// @dev Exact output: pays exactly the amount, at most the limit, and equals its quote.
    function testFuzz_swapExactOut_exactAndWithinTheLimit(
        bool buyBase,
        uint256 amountSeed,
        uint256 maxIn
    ) public {
        _asks();
        _bids();
        uint256 amountOut = buyBase ? bound(amountSeed, 1, 30e18) : bound(amountSeed, 1, 40_000e6);
        IHybridRouter.Split memory q = hybrid.quoteExactOut(_market(), FEE, buyBase, amountOut, 32);
        uint256 cost = _in(q);
        maxIn = bound(maxIn, cost > 1000 ? cost - 1000 : 0, cost + 1000);
        vm.prank(trader);
        if (maxIn < cost) {
            vm.expectRevert(
                abi.encodeWithSelector(IHybridRouter.ExcessiveInput.selector, cost, maxIn)
            );
            hybrid.swapExactOut(_outParams(buyBase, amountOut, maxIn, 32));
        } else {
            IHybridRouter.Split memory s =
                hybrid.swapExactOut(_outParams(buyBase, amountOut, maxIn, 32));
            assertEq(keccak256(abi.encode(s)), keccak256(abi.encode(q)), "swap = quote");
            assertEq(_out(s), amountOut);
            address out = buyBase ? address(weth) : address(usdc);
            assertEq(MockERC20Like(out).balanceOf(recipient), amountOut);
        }
    }
}

interface MockERC20Like {
    function balanceOf(address) external view returns (uint256);
}
