// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SettlementBase} from "./SettlementBase.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {Factory} from "../../../contracts/amm/Factory.sol";
import {Pool} from "../../../contracts/amm/Pool.sol";
import {BookFactory} from "../../../contracts/book/BookFactory.sol";
import {OrderBook} from "../../../contracts/book/OrderBook.sol";
import {FeeOnTransferToken} from "../../../contracts/test/FeeOnTransferToken.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {SenderFeeToken} from "../../../contracts/test/SenderFeeToken.sol";
import {StrictApprovalToken} from "../../../contracts/test/StrictApprovalToken.sol";
import {Settlement} from "../../../contracts/Settlement.sol";

/// @notice Legs into our own pools and books: the residual of a batch that did not cross.
contract SettlementLegsTest is SettlementBase {
    uint16 internal constant FEE = 30;
    uint256 internal constant TICK_SIZE = 1e15; // tick 1,000 = 1 B per A
    uint256 internal constant LOT = 1e18;

    Factory internal amm;
    Pool internal pool;
    BookFactory internal books;
    OrderBook internal book;
    address internal carol = makeAddr("carol");

    function setUp() public override {
        super.setUp();
        amm = new Factory(admin);
        pool = Pool(amm.createPool(address(tokenA), address(tokenB), FEE));
        tokenA.mint(address(pool), 1_000e18);
        tokenB.mint(address(pool), 1_000e18);
        pool.mint(admin);
        books = new BookFactory(admin, fees, 0, 0);
        book = OrderBook(books.createBook(address(tokenA), address(tokenB), TICK_SIZE, LOT, 1));
        vm.prank(admin);
        settlement.setLiquiditySources(address(amm), address(books));
    }

    // ------------------------------- helpers -------------------------------

    function _amountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut)
        internal
        pure
        returns (uint256)
    {
        uint256 inWithFee = amountIn * (10_000 - FEE);
        return inWithFee * reserveOut / (reserveIn * 10_000 + inWithFee);
    }

    function _poolLeg(uint8 inIndex, uint8 outIndex, uint16 fee, uint256 amountIn, uint256 minOut)
        internal
        pure
        returns (ISettlement.PoolLeg[] memory legs)
    {
        legs = new ISettlement.PoolLeg[](1);
        legs[0] = ISettlement.PoolLeg(inIndex, outIndex, fee, amountIn, minOut);
    }

    function _noPoolLegs() internal pure returns (ISettlement.PoolLeg[] memory) {
        return new ISettlement.PoolLeg[](0);
    }

    function _noBookLegs() internal pure returns (ISettlement.BookLeg[] memory) {
        return new ISettlement.BookLeg[](0);
    }

    function _bookLeg(uint8 side, uint16 limitTick, uint64 lots)
        internal
        view
        returns (ISettlement.BookLeg[] memory legs)
    {
        legs = new ISettlement.BookLeg[](1);
        legs[0] = ISettlement.BookLeg(
            address(tokenA), address(tokenB), TICK_SIZE, LOT, 1, side, limitTick, lots, lots, 16
        );
    }

    function _settleLegs(
        uint256[] memory prices,
        TradeSpec[] memory trades,
        ISettlement.PoolLeg[] memory poolLegs,
        ISettlement.BookLeg[] memory bookLegs
    ) internal {
        vm.prank(relayer);
        settlement.settleWithLiquidity(
            _tokensAB(), prices, _trades(trades), _sigs(trades), poolLegs, bookLegs
        );
    }

    /// @dev Alice sells 10 A for at least 9 B, with nobody on the other side.
    function _aliceResidual() internal view returns (TradeSpec[] memory) {
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 10e18, 9e18, 0, 7, 0);
        return _one(_signedTrade(a, alicePk, 10e18));
    }

    // -------------------------------- pools --------------------------------

    function test_settleWithLiquidity_poolLegFillsTheResidual() public {
        uint256 out = _amountOut(10e18, 1_000e18, 1_000e18);
        uint256 bBefore = tokenB.balanceOf(alice);
        // uniform price: 10 A buy exactly what the pool returns
        _settleLegs(
            _prices(out, 10e18), _aliceResidual(), _poolLeg(0, 1, FEE, 10e18, out), _noBookLegs()
        );
        assertEq(tokenB.balanceOf(alice) - bBefore, out);
        assertGe(out, 9e18); // at least the limit price
        (uint112 r0, uint112 r1,) = pool.getReserves();
        (uint256 rA, uint256 rB) = address(tokenA) < address(tokenB) ? (r0, r1) : (r1, r0);
        assertEq(rA, 1_010e18);
        assertEq(rB, 1_000e18 - out);
        assertEq(tokenA.balanceOf(address(settlement)), 0); // nothing left behind
    }

    function test_settleWithLiquidity_poolLegTheOtherWay() public {
        // Bob sells 10 B for at least 9 A: the leg runs B -> A, the pool's other direction.
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 10e18, 9e18, 0, 3, 0);
        uint256 out = _amountOut(10e18, 1_000e18, 1_000e18);
        uint256 aBefore = tokenA.balanceOf(bob);
        _settleLegs(
            _prices(10e18, out),
            _one(_signedTrade(b, bobPk, 10e18)),
            _poolLeg(1, 0, FEE, 10e18, out),
            _noBookLegs()
        );
        assertEq(tokenA.balanceOf(bob) - aBefore, out);
        (uint112 r0, uint112 r1,) = pool.getReserves();
        (uint256 rA, uint256 rB) = address(tokenA) < address(tokenB) ? (r0, r1) : (r1, r0);
        assertEq(rA, 1_000e18 - out);
        assertEq(rB, 1_010e18);
        assertEq(tokenB.balanceOf(address(settlement)), 0);
    }

    function test_settleWithLiquidity_payingMoreThanTheLegReturnedReverts() public {
        uint256 out = _amountOut(10e18, 1_000e18, 1_000e18);
        // Prices that pay Alice one wei more than the pool returned value the leg one wei
        // below them: the leg's price check stops it before conservation would.
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.PoolLegBelowClearingPrice.selector, 0, 10e18, out)
        );
        _settleLegs(
            _prices(out + 1, 10e18),
            _aliceResidual(),
            _poolLeg(0, 1, FEE, 10e18, out),
            _noBookLegs()
        );
    }

    function test_settleWithLiquidity_legSlippage() public {
        uint256 out = _amountOut(10e18, 1_000e18, 1_000e18);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.LegAmountOutTooLow.selector, 0, out, out + 1)
        );
        _settleLegs(
            _prices(out, 10e18),
            _aliceResidual(),
            _poolLeg(0, 1, FEE, 10e18, out + 1),
            _noBookLegs()
        );
    }

    function test_settleWithLiquidity_limitPriceStillChecked() public {
        // the pool would return 9.87 B, but the clearing prices give Alice 8.9 B
        uint256 out = _amountOut(10e18, 1_000e18, 1_000e18);
        TradeSpec[] memory trades = _aliceResidual();
        bytes32 uid = settlement.orderUid(
            _order(alice, address(tokenA), address(tokenB), 10e18, 9e18, 0, 7, 0)
        );
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.LimitPriceNotMet.selector, uid, 10e18, 89e17)
        );
        _settleLegs(_prices(89e17, 10e18), trades, _poolLeg(0, 1, FEE, 10e18, out), _noBookLegs());
    }

    function test_settleWithLiquidity_unknownPoolTier() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.UnknownPool.selector, address(tokenA), address(tokenB), uint16(100)
            )
        );
        _settleLegs(_prices(1, 1), _aliceResidual(), _poolLeg(0, 1, 100, 10e18, 0), _noBookLegs());
    }

    function test_settleWithLiquidity_legCannotSpendTokensTheBatchDidNotTakeIn() public {
        // Alice's 10 A came in; a leg selling 20 A would spend other users' A
        tokenA.mint(address(settlement), 50e18); // e.g. internal balances held by the contract
        uint256 out = _amountOut(20e18, 1_000e18, 1_000e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.TokenNotConserved.selector, address(tokenA), 10e18, 20e18
            )
        );
        _settleLegs(
            _prices(out, 20e18), _aliceResidual(), _poolLeg(0, 1, FEE, 20e18, out), _noBookLegs()
        );
    }

    function test_settleWithLiquidity_tooManyLegs() public {
        ISettlement.PoolLeg[] memory legs = new ISettlement.PoolLeg[](17);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.TooManyLegs.selector, 17));
        _settleLegs(_prices(1, 1), _aliceResidual(), legs, _noBookLegs());
    }

    function test_settleWithLiquidity_notRelayer() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotRelayer.selector, alice));
        vm.prank(alice);
        settlement.settleWithLiquidity(
            _tokensAB(),
            _prices(1, 1),
            _trades(_aliceResidual()),
            new bytes[](0),
            _noPoolLegs(),
            _noBookLegs()
        );
    }

    function test_settleWithLiquidity_legTokenIndexOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.TokenIndexOutOfRange.selector, 2));
        _settleLegs(_prices(1, 1), _aliceResidual(), _poolLeg(2, 1, FEE, 10e18, 0), _noBookLegs());
        vm.expectRevert(abi.encodeWithSelector(ISettlement.TokenIndexOutOfRange.selector, 255));
        _settleLegs(_prices(1, 1), _aliceResidual(), _poolLeg(0, 255, FEE, 10e18, 0), _noBookLegs());
    }

    function test_settleWithLiquidity_poolLegPayingLessThanItSaysReverts() public {
        // A pool of A and a token that burns 1% on receipt: the leg's output, measured as the
        // settlement's balance change, falls short of the pool's quote.
        FeeOnTransferToken fot = new FeeOnTransferToken();
        Pool fotPool = Pool(amm.createPool(address(tokenA), address(fot), FEE));
        tokenA.mint(address(fotPool), 1_000e18);
        fot.mint(address(fotPool), 1_000e18);
        fotPool.mint(admin);
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(fot), 10e18, 9e18, 0, 7, 0);
        TradeSpec[] memory trades = _one(_signedTrade(a, alicePk, 10e18));
        address[] memory tokens = new address[](2);
        (tokens[0], tokens[1]) = (address(tokenA), address(fot));
        uint256 out = _amountOut(10e18, 1_000e18, 1_000e18);
        uint256 aliceA = tokenA.balanceOf(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.FeeOnTransferToken.selector, address(fot))
        );
        vm.prank(relayer);
        settlement.settleWithLiquidity(
            tokens,
            _prices(out, 10e18),
            _trades(trades),
            _sigs(trades),
            _poolLeg(0, 1, FEE, 10e18, out),
            _noBookLegs()
        );
        assertEq(tokenA.balanceOf(alice), aliceA);
    }

    // -------------------------------- books --------------------------------

    function test_settleWithLiquidity_bookLegTakesRestingAsks() public {
        // Carol rests 5 lots of A at 1 B each; Bob's signed order sells 5 B for at least 4.9 A
        MockERC20(address(tokenA)).mint(carol, 5e18);
        vm.startPrank(carol);
        tokenA.approve(address(book), type(uint256).max);
        book.place(IOrderBook.Side.Ask, 1_000, 5, IOrderBook.OrderKind.GoodTillCancelled, 0, 16);
        vm.stopPrank();
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 5e18, 49e17, 0, 3, 0);
        uint256 aBefore = tokenA.balanceOf(bob);
        _settleLegs(
            _prices(1, 1), _one(_signedTrade(b, bobPk, 5e18)), _noPoolLegs(), _bookLeg(0, 1_000, 5)
        );
        assertEq(tokenA.balanceOf(bob) - aBefore, 5e18);
        assertEq(tokenB.allowance(address(settlement), address(book)), 0); // approval not left behind
    }

    function test_settleWithLiquidity_unknownBook() public {
        ISettlement.BookLeg[] memory legs = _bookLeg(0, 1_000, 5);
        legs[0].lotSize = 2e18;
        bytes32 market =
            keccak256(abi.encode(address(tokenA), address(tokenB), TICK_SIZE, 2e18, uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(ISettlement.UnknownBook.selector, market));
        _settleLegs(_prices(1, 1), _aliceResidual(), _noPoolLegs(), legs);
    }

    function test_settleWithLiquidity_invalidBookSide() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.InvalidBookSide.selector, uint8(2)));
        _settleLegs(_prices(1, 1), _aliceResidual(), _noPoolLegs(), _bookLeg(2, 1_000, 5));
    }

    function test_settleWithLiquidity_bookLegCostingMoreThanPaidReverts() public {
        // A base token that charges its sender 1% on top: the book receives exactly what it
        // charged, but the settlement loses more, which would come out of other users'
        // deposits held by the contract.
        SenderFeeToken sft = new SenderFeeToken();
        OrderBook sftBook =
            OrderBook(books.createBook(address(sft), address(tokenB), TICK_SIZE, LOT, 1));
        tokenB.mint(carol, 10e18);
        vm.startPrank(carol);
        tokenB.approve(address(sftBook), type(uint256).max);
        sftBook.place(IOrderBook.Side.Bid, 1_000, 10, IOrderBook.OrderKind.GoodTillCancelled, 0, 16);
        vm.stopPrank();
        _fund(alice, address(sft), 20e18);
        sft.mint(address(settlement), 5e18); // e.g. others' internal balances
        ISettlement.Order memory a =
            _order(alice, address(sft), address(tokenB), 10e18, 9e18, 0, 7, 0);
        TradeSpec[] memory trades = _one(_trade(a, 0, 1, 10e18, SCHEME_ECDSA, _sign(alicePk, a)));
        address[] memory tokens = new address[](2);
        (tokens[0], tokens[1]) = (address(sft), address(tokenB));
        ISettlement.BookLeg[] memory legs = new ISettlement.BookLeg[](1);
        legs[0] = ISettlement.BookLeg(
            address(sft), address(tokenB), TICK_SIZE, LOT, 1, 1, 1_000, 10, 10, 16
        );
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.FeeOnTransferToken.selector, address(sft))
        );
        vm.prank(relayer);
        settlement.settleWithLiquidity(
            tokens, _prices(1, 1), _trades(trades), _sigs(trades), _noPoolLegs(), legs
        );
        assertEq(sft.balanceOf(address(settlement)), 5e18);
        assertEq(sftBook.levelLots(IOrderBook.Side.Bid, 1_000), 10);
    }

    // ------------------------- legs priced on chain -------------------------

    /// @dev Alice sells 100 A (+1 A fee) to Bob for 100 B at 1:1: the batch keeps 1 A of
    /// surplus, which belongs to the fee recipient.
    function _pairWithSurplus() internal view returns (TradeSpec[] memory trades) {
        (trades,,) = _crossingPair(0, 0);
    }

    /// @dev `who` rests one lot on `side` at `tick` (funded and approved here).
    function _rest(address who, IOrderBook.Side side, uint16 tick) internal {
        tokenA.mint(who, LOT);
        tokenB.mint(who, uint256(tick) * TICK_SIZE);
        vm.startPrank(who);
        tokenA.approve(address(book), type(uint256).max);
        tokenB.approve(address(book), type(uint256).max);
        book.place(side, tick, 1, IOrderBook.OrderKind.GoodTillCancelled, 0, 16);
        vm.stopPrank();
    }

    function test_settleWithLiquidity_surplusThroughSandwichedPoolReverts() public {
        // The relayer front-runs: 500 A into the pool makes A cheap there...
        tokenA.mint(address(pool), 500e18);
        (uint112 r0, uint112 r1,) = pool.getReserves();
        bool aIs0 = address(tokenA) < address(tokenB);
        uint256 frontOut = aIs0 ? _amountOut(500e18, r0, r1) : _amountOut(500e18, r1, r0);
        if (aIs0) pool.swap(0, frontOut, relayer);
        else pool.swap(frontOut, 0, relayer);
        // ... then sells the batch's 1 A of surplus into it with no minimum out.
        (r0, r1,) = pool.getReserves();
        uint256 out = aIs0 ? _amountOut(1e18, r0, r1) : _amountOut(1e18, r1, r0);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.PoolLegBelowClearingPrice.selector, 0, 1e18, out)
        );
        _settleLegs(_prices(1, 1), _pairWithSurplus(), _poolLeg(0, 1, FEE, 1e18, 0), _noBookLegs());
    }

    function test_settleWithLiquidity_surplusToOwnBookOrderAtExtremeTickReverts() public {
        // The relayer's own bid at tick 1: 0.001 B for a lot of A worth 1 B at the batch price.
        _rest(relayer, IOrderBook.Side.Bid, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.BookLegBelowClearingPrice.selector, 0, LOT, TICK_SIZE
            )
        );
        _settleLegs(_prices(1, 1), _pairWithSurplus(), _noPoolLegs(), _bookLeg(1, 1, 1));
    }

    function test_settleWithLiquidity_surplusIntoExtremeAskReverts() public {
        // Bob pays a 60 B fee; the relayer's own ask at tick 60,000 (60 B a lot) takes it all
        // for 1 A, worth 1 B at the batch price.
        _rest(relayer, IOrderBook.Side.Ask, 60_000);
        ISettlement.Order memory a =
            _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), 100e18, 99e18, 60e18, 1, 0);
        TradeSpec[] memory trades =
            _two(_signedTrade(a, alicePk, 100e18), _signedTrade(b, bobPk, 100e18));
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.BookLegBelowClearingPrice.selector, 0, 60_000 * TICK_SIZE, LOT
            )
        );
        _settleLegs(_prices(1, 1), trades, _noPoolLegs(), _bookLeg(0, 60_000, 1));
    }

    function test_settleWithLiquidity_honestBookLegSurplusReachesFeeRecipient() public {
        _rest(carol, IOrderBook.Side.Bid, 1_000); // 1 B a lot: the batch price
        _settleLegs(_prices(1, 1), _pairWithSurplus(), _noPoolLegs(), _bookLeg(1, 1_000, 1));
        assertEq(settlement.balanceOf(fees, address(tokenB)), 1e18);
        assertEq(settlement.balanceOf(fees, address(tokenA)), 0);
    }

    function test_settleWithLiquidity_toleranceAtItsBound() public {
        uint256 max = settlement.MAX_LEG_PRICE_TOLERANCE_BPS();
        vm.expectEmit(address(settlement));
        emit ISettlement.LegPriceToleranceSet(max);
        vm.prank(admin);
        settlement.setLegPriceToleranceBps(max);
        assertEq(settlement.legPriceToleranceBps(), max);
        // 1% below the batch price (0.99 B for 1 A): within a 100 bps tolerance
        _rest(carol, IOrderBook.Side.Bid, 990);
        _settleLegs(_prices(1, 1), _pairWithSurplus(), _noPoolLegs(), _bookLeg(1, 990, 1));
        assertEq(settlement.balanceOf(fees, address(tokenB)), 0.99e18);
    }

    function test_settleWithLiquidity_justBeyondTheToleranceReverts() public {
        uint256 max = settlement.MAX_LEG_PRICE_TOLERANCE_BPS();
        vm.prank(admin);
        settlement.setLegPriceToleranceBps(max);
        _rest(carol, IOrderBook.Side.Bid, 989);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.BookLegBelowClearingPrice.selector, 0, LOT, 989 * TICK_SIZE
            )
        );
        _settleLegs(_prices(1, 1), _pairWithSurplus(), _noPoolLegs(), _bookLeg(1, 989, 1));
    }

    function test_settleWithLiquidity_defaultToleranceIsZero() public {
        assertEq(settlement.legPriceToleranceBps(), 0);
        _rest(carol, IOrderBook.Side.Bid, 999);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.BookLegBelowClearingPrice.selector, 0, LOT, 999 * TICK_SIZE
            )
        );
        _settleLegs(_prices(1, 1), _pairWithSurplus(), _noPoolLegs(), _bookLeg(1, 999, 1));
    }

    function test_setLegPriceToleranceBps_boundedAndOnlyOwner() public {
        uint256 max = settlement.MAX_LEG_PRICE_TOLERANCE_BPS();
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.LegPriceToleranceTooHigh.selector, max + 1, max)
        );
        vm.prank(admin);
        settlement.setLegPriceToleranceBps(max + 1);
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", relayer));
        vm.prank(relayer);
        settlement.setLegPriceToleranceBps(1);
        assertEq(settlement.legPriceToleranceBps(), 0);
    }

    // --------------------------- exact approvals ---------------------------

    function test_settleWithLiquidity_bookLegApprovesTheExactAmount() public {
        // A quote token that refuses approvals above 2^96 (UNI, COMP hold allowances in 96 bits)
        StrictApprovalToken strict = new StrictApprovalToken();
        OrderBook strictBook =
            OrderBook(books.createBook(address(tokenA), address(strict), TICK_SIZE, LOT, 1));
        tokenA.mint(carol, 5e18);
        vm.startPrank(carol);
        tokenA.approve(address(strictBook), type(uint256).max);
        strictBook.place(
            IOrderBook.Side.Ask, 1_000, 5, IOrderBook.OrderKind.GoodTillCancelled, 0, 16
        );
        vm.stopPrank();
        strict.mint(bob, 5e18);
        vm.prank(bob);
        strict.approve(address(settlement), 5e18);
        address[] memory tokens = new address[](2);
        (tokens[0], tokens[1]) = (address(tokenA), address(strict));
        ISettlement.Order memory b =
            _order(bob, address(strict), address(tokenA), 5e18, 49e17, 0, 3, 0);
        TradeSpec[] memory trades = _one(_trade(b, 1, 0, 5e18, SCHEME_ECDSA, _sign(bobPk, b)));
        ISettlement.BookLeg[] memory legs = _bookLeg(0, 1_000, 5);
        legs[0].quote = address(strict);
        uint256 aBefore = tokenA.balanceOf(bob);
        vm.prank(relayer);
        settlement.settleWithLiquidity(
            tokens, _prices(1, 1), _trades(trades), _sigs(trades), _noPoolLegs(), legs
        );
        assertEq(tokenA.balanceOf(bob) - aBefore, 5e18);
        assertEq(strict.allowance(address(settlement), address(strictBook)), 0);
    }

    // ------------------------------ admin ----------------------------------

    function test_setLiquiditySources_onceAndOnlyOwner() public {
        vm.expectRevert(ISettlement.LiquiditySourcesAlreadySet.selector);
        vm.prank(admin);
        settlement.setLiquiditySources(address(amm), address(books));
        Settlement fresh = new Settlement(admin, fees);
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", relayer));
        vm.prank(relayer);
        fresh.setLiquiditySources(address(amm), address(books));
        // A half-set pair would be final: each address is required.
        vm.startPrank(admin);
        vm.expectRevert(ISettlement.ZeroAddress.selector);
        fresh.setLiquiditySources(address(amm), address(0));
        vm.expectRevert(ISettlement.ZeroAddress.selector);
        fresh.setLiquiditySources(address(0), address(books));
        assertEq(fresh.ammFactory(), address(0));
        fresh.setLiquiditySources(address(amm), address(books));
        vm.stopPrank();
        assertEq(fresh.ammFactory(), address(amm));
        assertEq(fresh.bookFactory(), address(books));
    }

    function test_settleWithLiquidity_sourcesNotSet() public {
        Settlement fresh = new Settlement(admin, fees);
        vm.prank(admin);
        fresh.setRelayer(relayer, true);
        vm.expectRevert(ISettlement.LiquiditySourcesNotSet.selector);
        vm.prank(relayer);
        fresh.settleWithLiquidity(
            _tokensAB(),
            _prices(1, 1),
            new ISettlement.TradeData[](0),
            new bytes[](0),
            _poolLeg(0, 1, FEE, 1, 0),
            _noBookLegs()
        );
    }
}
