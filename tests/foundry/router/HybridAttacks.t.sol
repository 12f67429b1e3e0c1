// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";

import {Pool} from "../../../contracts/amm/Pool.sol";
import {IHybridRouter} from "../../../contracts/interfaces/IHybridRouter.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {IRouter} from "../../../contracts/interfaces/IRouter.sol";
import {FeeOnTransferToken} from "../../../contracts/test/FeeOnTransferToken.sol";
import {ReentrantToken} from "../../../contracts/test/ReentrantToken.sol";
import {OrderId} from "../../../contracts/types/BookIds.sol";
import {SwitchableFeeToken} from "../book/BookTokensAndFees.t.sol";
import {HybridBase} from "./HybridBase.sol";

/// @notice Reentrancy through a token callback, fee-on-transfer tokens, and a take cut short by
/// hole spam (the router adapts instead of reverting or stranding funds).
contract HybridAttacksTest is HybridBase {
    // ------------------------------ reentrancy -----------------------------

    function test_reentrancy_tokenCallbackCannotReenter() public {
        ReentrantToken re = new ReentrantToken();
        bookFactory.createBook(address(re), address(usdc), TICK_SIZE, LOT, MIN_LOTS);
        factory.createPool(address(re), address(usdc), FEE);
        re.mint(maker, 1_000e18);
        re.mint(trader, 1_000e18);
        vm.prank(maker);
        re.approve(address(router), type(uint256).max);
        vm.prank(trader);
        re.approve(address(hybrid), type(uint256).max);
        vm.prank(maker);
        router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(re), address(usdc), FEE, 100e18, 200_000e6, 0, 0, maker, DEADLINE
            )
        );
        IHybridRouter.ExactInParams memory p = IHybridRouter.ExactInParams(
            IHybridRouter.Market(address(re), address(usdc), TICK_SIZE, LOT, MIN_LOTS),
            FEE,
            false,
            1e18,
            0,
            4,
            recipient,
            DEADLINE
        );
        // While the router pulls RE from the trader, the hook tries to swap through it again.
        re.arm(address(hybrid), abi.encodeCall(IHybridRouter.swapExactIn, (p)));
        vm.prank(trader);
        IHybridRouter.Split memory s = hybrid.swapExactIn(p);
        assertGt(s.poolOut, 0, "the outer swap went through");
        assertTrue(re.attempted(), "the hook ran");
        assertFalse(re.reentrySucceeded(), "the reentrant swap failed");
        assertEq(bytes4(re.reentryReturnData()), ReentrancyGuardTransient.Reentrancy.selector);
    }

    // --------------------------- fee-on-transfer ---------------------------

    /// @dev A WETH/FOT market (FOT as the quote token) with a seeded pool.
    function _fotMarket() internal returns (FeeOnTransferToken fot, IHybridRouter.Market memory m) {
        fot = new FeeOnTransferToken();
        bookFactory.createBook(address(weth), address(fot), TICK_SIZE, LOT, MIN_LOTS);
        Pool(factory.createPool(address(weth), address(fot), FEE));
        fot.mint(maker, 1e30);
        fot.mint(trader, 1e30);
        vm.prank(maker);
        fot.approve(address(router), type(uint256).max);
        vm.prank(trader);
        fot.approve(address(hybrid), type(uint256).max);
        vm.prank(maker);
        router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(weth), address(fot), FEE, 100e18, 200_000e18, 0, 0, maker, DEADLINE
            )
        );
        m = IHybridRouter.Market(address(weth), address(fot), TICK_SIZE, LOT, MIN_LOTS);
    }

    function test_feeOnTransferInput_rejectedOnThePoolLeg() public {
        (FeeOnTransferToken fot, IHybridRouter.Market memory m) = _fotMarket();
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IHybridRouter.FeeOnTransferToken.selector, address(fot))
        );
        hybrid.swapExactIn(
            IHybridRouter.ExactInParams(m, FEE, true, 1_000e18, 0, 0, recipient, DEADLINE)
        );
    }

    function test_feeOnTransferInput_rejectedOnTheBookLeg() public {
        (FeeOnTransferToken fot, IHybridRouter.Market memory m) = _fotMarket();
        // An ask far below the pool: the book leg comes first.
        IOrderBook fotBook = IOrderBook(
            bookFactory.bookOf(
                bookFactory.marketId(address(weth), address(fot), TICK_SIZE, LOT, MIN_LOTS)
            )
        );
        vm.startPrank(maker);
        weth.approve(address(fotBook), type(uint256).max);
        fotBook.place(ASK, 100, 10, IOrderBook.OrderKind.GoodTillCancelled, 0, STEPS);
        vm.stopPrank();
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IHybridRouter.FeeOnTransferToken.selector, address(fot))
        );
        hybrid.swapExactIn(
            IHybridRouter.ExactInParams(m, FEE, true, 1_000e18, 0, 4, recipient, DEADLINE)
        );
    }

    function test_feeOnTransferOutput_rejected() public {
        (FeeOnTransferToken fot, IHybridRouter.Market memory m) = _fotMarket();
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IHybridRouter.FeeOnTransferToken.selector, address(fot))
        );
        hybrid.swapExactIn(
            IHybridRouter.ExactInParams(m, FEE, false, 1e18, 0, 0, recipient, DEADLINE)
        );
    }

    /// @dev A quote token that switches a 1% receive-side fee on after a bid rests (the book
    /// took the escrow in full): the book's payout reaches the router short, and the router
    /// refuses it on the book leg before the pool or the recipient is touched.
    function test_feeSwitchedOnAfterABidRests_bookOutputRejected() public {
        SwitchableFeeToken swf = new SwitchableFeeToken();
        uint256 tickSize = 1e14; // tick 20,000 = 2 SWF a lot = 2,000 SWF per WETH
        IOrderBook swfBook = IOrderBook(
            bookFactory.createBook(address(weth), address(swf), tickSize, LOT, MIN_LOTS)
        );
        factory.createPool(address(weth), address(swf), FEE);
        swf.mint(maker, 1e30);
        vm.startPrank(maker);
        swf.approve(address(router), type(uint256).max);
        swf.approve(address(swfBook), type(uint256).max);
        router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(weth), address(swf), FEE, 100e18, 200_000e18, 0, 0, maker, DEADLINE
            )
        );
        // 3,000 SWF per WETH: better than the pool for a seller, so the book leg comes first.
        swfBook.place(BID, 30_000, 100, IOrderBook.OrderKind.GoodTillCancelled, 0, STEPS);
        vm.stopPrank();
        swf.setFee(true);
        IHybridRouter.Market memory m =
            IHybridRouter.Market(address(weth), address(swf), tickSize, LOT, MIN_LOTS);
        uint256 wethBefore = weth.balanceOf(trader);
        vm.prank(trader);
        vm.expectRevert(
            abi.encodeWithSelector(IHybridRouter.FeeOnTransferToken.selector, address(swf))
        );
        hybrid.swapExactIn(
            IHybridRouter.ExactInParams(m, FEE, false, 5e16, 0, 4, recipient, DEADLINE)
        );
        assertEq(weth.balanceOf(trader), wethBefore);
        assertEq(swf.balanceOf(recipient), 0);
        assertEq(swfBook.levelLots(BID, 30_000), 100);
    }

    // ------------------------------ hole spam ------------------------------

    /// @dev 70 orders at one cheap level, every other one cancelled: 35 holes in the queue. A
    /// swap that stops inside the level crosses more holes than `HOLE_STEPS`, so the take fills
    /// less than planned; the router refunds the unspent book input and sends the rest of the
    /// exact input to the pool instead of reverting.
    function test_holeSpam_takeCutShort_routerAdapts() public {
        OrderId[] memory ids = new OrderId[](70);
        for (uint256 i; i < 70; ++i) {
            ids[i] = _place(ASK, 19_950, 10);
        }
        for (uint256 i; i < 69; i += 2) {
            uint32 hint = book.holeHint(ids[i]);
            vm.prank(maker);
            book.cancel(ids[i], type(uint32).max, hint);
        }
        assertEq(book.levelLots(ASK, 19_950), 350);
        uint256 raw = 345 * book.priceOf(19_950);
        uint256 amountIn = raw + (raw * TAKER_FEE_PPM + PPM - 1) / PPM; // 345 lots, fee included
        IHybridRouter.Split memory q = hybrid.quoteExactIn(_market(), FEE, true, amountIn, 4);
        assertEq(q.bookLots, 345, "the plan: 345 lots of the level");
        uint256 usdcBefore = usdc.balanceOf(trader);
        IHybridRouter.Split memory s = _swapIn(true, amountIn, 4);
        assertLt(s.bookLots, q.bookLots, "the holes cut the take short");
        assertGt(s.bookLots, 0);
        assertEq(_in(s), amountIn, "the rest went to the pool");
        assertEq(usdcBefore - usdc.balanceOf(trader), amountIn);
        assertEq(weth.balanceOf(recipient), _out(s));
        assertEq(
            usdc.balanceOf(address(hybrid)) + weth.balanceOf(address(hybrid)), 0, "nothing stranded"
        );
    }
}
