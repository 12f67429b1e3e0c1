// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BookFactory} from "../../../contracts/book/BookFactory.sol";
import {OrderBook} from "../../../contracts/book/OrderBook.sol";
import {IBookFactory} from "../../../contracts/interfaces/IBookFactory.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {FeeOnTransferToken} from "../../../contracts/test/FeeOnTransferToken.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {NoReturnToken} from "../../../contracts/test/NoReturnToken.sol";
import {ReentrantToken} from "../../../contracts/test/ReentrantToken.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {MarketId, OrderId} from "../../../contracts/types/BookIds.sol";
import {BookBase} from "./BookBase.sol";

/// @notice Weird tokens, reentrancy, fees and the factory.
contract BookTokensAndFeesTest is BookBase {
    // ---------------------------- weird tokens ---------------------------

    function test_feeOnTransferBase_rejected() public {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        OrderBook b =
            OrderBook(factory.createBook(address(fot), address(usdc), TICK_SIZE, LOT, MIN_LOTS));
        fot.mint(alice, 1e18);
        vm.startPrank(alice);
        fot.approve(address(b), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.FeeOnTransferToken.selector, address(fot))
        );
        b.place(ASK, MID, 10, GTC, 0, STEPS);
        vm.stopPrank();
    }

    /// An upgradeable token that starts charging a fee after makers escrowed it (the reason a
    /// per-token "measured exact once" flag would not be safe): every later pull is still
    /// measured and reverts, and what the book pays out comes out of its balance exactly, so the
    /// other makers' escrow stays whole.
    function test_feeTurnedOnLater_pullsRevertEscrowStaysExact() public {
        SwitchableFeeToken tok = new SwitchableFeeToken();
        OrderBook b =
            OrderBook(factory.createBook(address(tok), address(usdc), TICK_SIZE, LOT, MIN_LOTS));
        address[2] memory makers = [alice, bob];
        for (uint256 i; i < 2; ++i) {
            tok.mint(makers[i], 1e18);
            vm.prank(makers[i]);
            tok.approve(address(b), type(uint256).max);
        }
        vm.prank(alice);
        (OrderId a,) = b.place(ASK, MID, 10, GTC, 0, STEPS);
        vm.prank(bob);
        b.place(ASK, MID, 20, GTC, 0, STEPS);
        assertEq(tok.balanceOf(address(b)), 30 * LOT);

        tok.setFee(true);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.FeeOnTransferToken.selector, address(tok))
        );
        b.place(ASK, MID, 10, GTC, 0, STEPS);
        vm.prank(carol);
        usdc.approve(address(b), type(uint256).max);
        vm.prank(carol);
        b.place(BID, MID - 1, 10, GTC, 0, STEPS);
        tok.mint(taker, 1e18);
        vm.startPrank(taker);
        tok.approve(address(b), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.FeeOnTransferToken.selector, address(tok))
        );
        b.take(ASK, 1, 10, 0, STEPS, block.timestamp); // a seller pays the fee-charging token in
        vm.stopPrank();

        // Alice's refund leaves the book with exactly Bob's escrow (the fee is the recipient's).
        vm.prank(alice);
        b.cancel(a, type(uint32).max, 0);
        assertEq(tok.balanceOf(address(b)), 20 * LOT);
        assertEq(b.levelLots(ASK, MID), 20);
    }

    function test_noReturnQuote_fullCycle() public {
        NoReturnToken usdt = new NoReturnToken();
        OrderBook b =
            OrderBook(factory.createBook(address(weth), address(usdt), TICK_SIZE, LOT, MIN_LOTS));
        usdt.mint(alice, 1e12);
        usdt.mint(taker, 1e12);
        weth.mint(taker, 1e18);
        vm.prank(alice);
        usdt.approve(address(b), type(uint256).max);
        vm.startPrank(taker);
        usdt.approve(address(b), type(uint256).max);
        weth.approve(address(b), type(uint256).max);
        vm.stopPrank();

        vm.prank(alice);
        (OrderId id,) = b.place(BID, MID, 30, GTC, 0, STEPS);
        assertEq(usdt.balanceOf(address(b)), 30 * _price(MID));
        vm.prank(taker);
        b.take(ASK, MID, 10, 10, STEPS, block.timestamp);
        vm.prank(alice);
        b.cancel(id, type(uint32).max, 0);
        assertEq(usdt.balanceOf(alice), 1e12 - 10 * _price(MID));
        OrderId[] memory ids = new OrderId[](1);
        ids[0] = id;
        b.claim(ids);
        assertEq(weth.balanceOf(alice), 1_000_000e18 + 10 * LOT);
        assertEq(usdt.balanceOf(address(b)), 0);
    }

    function test_reentrancy_tokenCallbackCannotReenter() public {
        ReentrantToken re = new ReentrantToken();
        OrderBook b =
            OrderBook(factory.createBook(address(re), address(usdc), TICK_SIZE, LOT, MIN_LOTS));
        re.mint(alice, 1e18);
        vm.prank(alice);
        re.approve(address(b), type(uint256).max);
        usdc.mint(taker, 1e12);
        vm.prank(taker);
        usdc.approve(address(b), type(uint256).max);
        vm.prank(alice);
        (OrderId id,) = b.place(ASK, MID, 20, GTC, 0, STEPS);

        // While the book pays the taker in RE, the hook tries to cancel alice's order again
        // and to take again: both must hit the lock.
        re.arm(address(b), abi.encodeCall(IOrderBook.cancel, (id, 10, 0)));
        vm.prank(taker);
        b.take(BID, MID, 10, 10, STEPS, block.timestamp);
        assertTrue(re.attempted());
        assertFalse(re.reentrySucceeded());
        assertEq(bytes4(re.reentryReturnData()), ReentrancyGuardTransient.Reentrancy.selector);

        re.arm(
            address(b), abi.encodeCall(IOrderBook.take, (BID, MID, 10, 0, STEPS, block.timestamp))
        );
        vm.prank(alice);
        b.cancel(id, 5, 0);
        assertTrue(re.attempted());
        assertFalse(re.reentrySucceeded());
        assertEq(b.orderInfo(id).openLots, 5);
        assertEq(b.orderInfo(id).claimableLots, 10);
    }

    // -------------------------------- fees -------------------------------

    function _feeBook(uint24 takerFee, int24 makerFee) internal returns (OrderBook b) {
        vm.prank(admin);
        factory.setFees(takerFee, makerFee);
        b = OrderBook(
            factory.createBook(address(weth), address(usdc), TICK_SIZE, LOT, MIN_LOTS + 1)
        );
        _fund(b, alice);
        _fund(b, taker);
    }

    function test_fees_takerFeeAndMakerRebateBalance() public {
        OrderBook b = _feeBook(2_000, -500); // 0.2% taker, 0.05% maker rebate
        vm.prank(alice);
        (OrderId id,) = b.place(ASK, MID + 3, 333, GTC, 0, STEPS);
        vm.prank(taker);
        (, uint256 paid,) = b.take(BID, MID + 3, 333, 333, STEPS, block.timestamp);
        uint256 gross = 333 * _price(MID + 3);
        uint256 takerFee = (gross * 2_000 + 999_999) / 1_000_000;
        assertEq(paid, gross + takerFee);
        uint256 perLot = _price(MID + 3) + _price(MID + 3) * 500 / 1_000_000;
        (, uint256 quoteFees) = b.feesAccrued();
        assertEq(quoteFees, paid - 333 * perLot);
        uint256 before = usdc.balanceOf(alice);
        OrderId[] memory ids = new OrderId[](1);
        ids[0] = id;
        b.claim(ids);
        assertEq(usdc.balanceOf(alice) - before, 333 * perLot);
        assertEq(usdc.balanceOf(address(b)), quoteFees); // nothing else is owed
        b.collectFees();
        assertEq(usdc.balanceOf(feeRecipient), quoteFees);
        assertEq(usdc.balanceOf(address(b)), 0);
    }

    function test_fees_makerFeeOnBidPaidInBase() public {
        OrderBook b = _feeBook(1_000, 3_000);
        vm.prank(alice);
        (OrderId id,) = b.place(BID, MID, 77, GTC, 0, STEPS);
        vm.prank(taker);
        (, uint256 paid,) = b.take(ASK, MID, 77, 77, STEPS, block.timestamp);
        uint256 gross = 77 * LOT;
        assertEq(paid, gross + (gross * 1_000 + 999_999) / 1_000_000);
        uint256 makerPerLot = LOT - (LOT * 3_000 + 999_999) / 1_000_000;
        OrderId[] memory ids = new OrderId[](1);
        ids[0] = id;
        b.claim(ids);
        (uint256 baseFees,) = b.feesAccrued();
        assertEq(baseFees, paid - 77 * makerPerLot);
        assertEq(weth.balanceOf(address(b)), baseFees);
        assertEq(usdc.balanceOf(address(b)), 0);
        b.collectFees();
        assertEq(weth.balanceOf(feeRecipient), baseFees);
        assertEq(weth.balanceOf(address(b)), 0);
        (uint256 baseLeft, uint256 quoteLeft) = b.feesAccrued();
        assertEq(baseLeft + quoteLeft, 0);
        b.collectFees(); // nothing accrued: pays nothing, does not revert
        assertEq(weth.balanceOf(feeRecipient), baseFees);
    }

    function test_fees_collectedToTheRecipientSetAtCollection() public {
        OrderBook b = _feeBook(1_000, 0);
        vm.prank(alice);
        b.place(ASK, MID, 50, GTC, 0, STEPS);
        vm.prank(taker);
        b.take(BID, MID, 50, 50, STEPS, block.timestamp);
        (, uint256 quoteFees) = b.feesAccrued();
        assertGt(quoteFees, 0);
        address treasury = makeAddr("treasury");
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", alice));
        factory.setFeeRecipient(alice);
        vm.startPrank(admin);
        vm.expectRevert(IBookFactory.ZeroAddress.selector);
        factory.setFeeRecipient(address(0));
        vm.expectEmit(true, false, false, false, address(factory));
        emit IBookFactory.FeeRecipientSet(treasury);
        factory.setFeeRecipient(treasury);
        vm.stopPrank();
        assertEq(factory.feeRecipient(), treasury);
        // Anyone may trigger the collection; the fees go to the current recipient only.
        vm.prank(alice);
        b.collectFees();
        assertEq(usdc.balanceOf(treasury), quoteFees);
        assertEq(usdc.balanceOf(feeRecipient), 0);
    }

    // ------------------------------- factory -----------------------------

    function test_factory_oneBookPerMarket() public {
        MarketId market = factory.marketId(address(weth), address(usdc), TICK_SIZE, LOT, MIN_LOTS);
        assertEq(factory.bookOf(market), address(book));
        assertEq(factory.bookCount(), 1);
        assertEq(factory.bookAt(0), address(book));
        vm.expectRevert(
            abi.encodeWithSelector(IBookFactory.BookExists.selector, market, address(book))
        );
        factory.createBook(address(weth), address(usdc), TICK_SIZE, LOT, MIN_LOTS);
    }

    function test_factory_rejectsBadMarkets() public {
        vm.expectRevert(abi.encodeWithSelector(IBookFactory.SameToken.selector, address(weth)));
        factory.createBook(address(weth), address(weth), TICK_SIZE, LOT, MIN_LOTS);
        vm.expectRevert(IBookFactory.ZeroParameter.selector);
        factory.createBook(address(weth), address(usdc), 0, LOT, MIN_LOTS);
        vm.expectRevert(IBookFactory.ZeroAddress.selector);
        factory.createBook(address(0), address(usdc), TICK_SIZE, LOT, MIN_LOTS);
        vm.expectRevert(abi.encodeWithSelector(IBookFactory.NotAContract.selector, alice));
        factory.createBook(alice, address(usdc), TICK_SIZE, LOT, MIN_LOTS);
        vm.expectRevert(abi.encodeWithSelector(IBookFactory.NotAContract.selector, alice));
        factory.createBook(address(weth), alice, TICK_SIZE, LOT, MIN_LOTS);
        vm.expectRevert(IBookFactory.ZeroAddress.selector);
        new BookFactory(admin, address(0), 0, 0);
        assertEq(factory.bookCount(), 1);
    }

    function test_factory_feeBounds() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IBookFactory.TakerFeeTooHigh.selector, 3_001));
        factory.setFees(3_001, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IBookFactory.MakerFeeOutOfRange.selector, int24(3_001))
        );
        factory.setFees(100, 3_001);
        vm.expectRevert(
            abi.encodeWithSelector(IBookFactory.MakerFeeOutOfRange.selector, int24(-1_001))
        );
        factory.setFees(3_000, -1_001);
        vm.expectRevert(
            abi.encodeWithSelector(IBookFactory.MakerFeeOutOfRange.selector, int24(-600))
        );
        factory.setFees(500, -600); // a rebate above the taker fee would be unfunded
        factory.setFees(600, -600);
        vm.stopPrank();
        vm.prank(alice);
        vm.expectRevert();
        factory.setFees(0, 0);
    }
}

/// @notice A token whose owner can switch on a 1% fee (recipient side) at any time, like an
/// upgradeable token changing its rules after deployment.
contract SwitchableFeeToken is MockERC20 {
    bool public feeOn;

    constructor() MockERC20("Switchable Fee", "SWF", 18) {}

    function setFee(bool on) external {
        feeOn = on;
    }

    function _afterTokenTransfer(address from, address to, uint256 amount) internal override {
        if (feeOn && from != address(0) && to != address(0)) _burn(to, amount / 100);
    }
}
