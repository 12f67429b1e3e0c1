// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Factory} from "../../../contracts/amm/Factory.sol";
import {Pool} from "../../../contracts/amm/Pool.sol";
import {Router} from "../../../contracts/amm/Router.sol";
import {BookFactory} from "../../../contracts/book/BookFactory.sol";
import {OrderBook} from "../../../contracts/book/OrderBook.sol";
import {IHybridRouter} from "../../../contracts/interfaces/IHybridRouter.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {IRouter} from "../../../contracts/interfaces/IRouter.sol";
import {HybridRouter} from "../../../contracts/router/HybridRouter.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {OrderId} from "../../../contracts/types/BookIds.sol";

/// @notice Shared fixtures: the devnet's WETH(18)/USDC(6) market on both venues. Book grid: a
/// lot is 0.001 WETH, tick 20_000 is 2,000 USDC per WETH, 10 lots minimum; taker fee 0.05%,
/// maker rebate 0.01%. Pool: 100 WETH / 200,000 USDC at 0.30% (marginal buy price with the
/// fee ~2,006 USDC, marginal sell price ~1,994). A maker with funds, a trader approved to the
/// hybrid router, and a "solo" account approved to the book and the AMM router for the
/// book-only and pool-only comparisons.
abstract contract HybridBase is Test {
    uint256 internal constant LOT = 1e15;
    uint256 internal constant TICK_SIZE = 100;
    uint256 internal constant MIN_LOTS = 10;
    uint16 internal constant FEE = 30;
    uint24 internal constant TAKER_FEE_PPM = 500;
    int24 internal constant MAKER_FEE_PPM = -100;
    uint256 internal constant DEADLINE = type(uint32).max;
    uint32 internal constant STEPS = 64;
    uint256 internal constant PPM = 1_000_000;

    IOrderBook.Side internal constant BID = IOrderBook.Side.Bid;
    IOrderBook.Side internal constant ASK = IOrderBook.Side.Ask;

    Factory internal factory;
    Router internal router;
    BookFactory internal bookFactory;
    OrderBook internal book;
    Pool internal pool;
    HybridRouter internal hybrid;
    MockERC20 internal weth;
    MockERC20 internal usdc;

    address internal admin = makeAddr("admin");
    address internal maker = makeAddr("maker");
    address internal trader = makeAddr("trader");
    address internal solo = makeAddr("solo");
    address internal recipient = makeAddr("recipient");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        factory = new Factory(admin);
        router = new Router(address(factory));
        bookFactory = new BookFactory(admin, admin, TAKER_FEE_PPM, MAKER_FEE_PPM);
        book = OrderBook(
            bookFactory.createBook(address(weth), address(usdc), TICK_SIZE, LOT, MIN_LOTS)
        );
        pool = Pool(factory.createPool(address(weth), address(usdc), FEE));
        hybrid = new HybridRouter(address(factory), address(bookFactory));
        _fundAndApprove(maker, address(book));
        _fundAndApprove(maker, address(router));
        _fundAndApprove(trader, address(hybrid));
        _fundAndApprove(solo, address(book));
        _fundAndApprove(solo, address(router));
        _seedPool(100e18, 200_000e6);
    }

    // ------------------------------- fixtures ------------------------------

    function _fundAndApprove(address who, address spender) internal {
        weth.mint(who, 1_000_000e18);
        usdc.mint(who, 1e15);
        vm.startPrank(who);
        weth.approve(spender, type(uint256).max);
        usdc.approve(spender, type(uint256).max);
        vm.stopPrank();
    }

    function _seedPool(uint256 wethAmount, uint256 usdcAmount) internal {
        vm.prank(maker);
        router.addLiquidity(
            IRouter.AddLiquidityParams(
                address(weth), address(usdc), FEE, wethAmount, usdcAmount, 0, 0, maker, DEADLINE
            )
        );
    }

    function _place(IOrderBook.Side side, uint16 tick, uint32 lots) internal returns (OrderId id) {
        vm.prank(maker);
        (id,) = book.place(side, tick, lots, IOrderBook.OrderKind.GoodTillCancelled, 0, STEPS);
    }

    function _market() internal view returns (IHybridRouter.Market memory) {
        return IHybridRouter.Market(address(weth), address(usdc), TICK_SIZE, LOT, MIN_LOTS);
    }

    // -------------------------------- swaps --------------------------------

    function _inParams(bool buyBase, uint256 amountIn, uint256 minOut, uint32 maxLevels)
        internal
        view
        returns (IHybridRouter.ExactInParams memory)
    {
        return IHybridRouter.ExactInParams(
            _market(), FEE, buyBase, amountIn, minOut, maxLevels, recipient, DEADLINE
        );
    }

    function _outParams(bool buyBase, uint256 amountOut, uint256 maxIn, uint32 maxLevels)
        internal
        view
        returns (IHybridRouter.ExactOutParams memory)
    {
        return IHybridRouter.ExactOutParams(
            _market(), FEE, buyBase, amountOut, maxIn, maxLevels, recipient, DEADLINE
        );
    }

    function _swapIn(bool buyBase, uint256 amountIn, uint32 maxLevels)
        internal
        returns (IHybridRouter.Split memory)
    {
        vm.prank(trader);
        return hybrid.swapExactIn(_inParams(buyBase, amountIn, 0, maxLevels));
    }

    function _swapOut(bool buyBase, uint256 amountOut, uint32 maxLevels)
        internal
        returns (IHybridRouter.Split memory)
    {
        vm.prank(trader);
        return hybrid.swapExactOut(_outParams(buyBase, amountOut, type(uint256).max, maxLevels));
    }

    // --------------------------- the alternatives --------------------------

    /// @dev Output of spending `amountIn` in the pool alone (through the AMM router), state kept.
    function _poolOnlyOut(bool buyBase, uint256 amountIn) internal returns (uint256 out) {
        uint256 snap = vm.snapshotState();
        (address tokenIn, address tokenOut) = _tokens(buyBase);
        vm.prank(solo);
        out = router.swapExactInSingle(
            IRouter.ExactInSingleParams(tokenIn, tokenOut, FEE, amountIn, 0, solo, DEADLINE)
        );
        vm.revertToState(snap);
    }

    /// @dev Output of spending at most `amountIn` in the book alone (whole lots, taker fee
    /// included), best level first over at most `levels` levels, state kept.
    function _bookOnlyOut(bool buyBase, uint256 amountIn, uint256 levels)
        internal
        returns (uint256 out)
    {
        IOrderBook.LevelDepth[] memory d = book.depth(buyBase ? ASK : BID, levels);
        uint256 maxRaw = amountIn * PPM / (PPM + TAKER_FEE_PPM);
        uint256 raw;
        uint64 lots;
        uint16 limit;
        for (uint256 i; i < d.length; ++i) {
            uint256 unitIn = buyBase ? d[i].price : LOT;
            uint256 n = (maxRaw - raw) / unitIn;
            if (n > d[i].lots) n = d[i].lots;
            if (n == 0) break;
            raw += n * unitIn;
            lots += uint64(n);
            limit = d[i].tick;
            if (n < d[i].lots) break;
        }
        if (lots == 0) return 0;
        uint256 snap = vm.snapshotState();
        vm.prank(solo);
        (,, out) = book.take(buyBase ? BID : ASK, limit, lots, lots, STEPS, DEADLINE);
        vm.revertToState(snap);
    }

    function _tokens(bool buyBase) internal view returns (address tokenIn, address tokenOut) {
        return buyBase ? (address(usdc), address(weth)) : (address(weth), address(usdc));
    }

    function _out(IHybridRouter.Split memory s) internal pure returns (uint256) {
        return s.bookOut + s.poolOut;
    }

    function _in(IHybridRouter.Split memory s) internal pure returns (uint256) {
        return s.bookIn + s.poolIn;
    }

    function _max(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a : b;
    }
}
