// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {BookFactory} from "../../../contracts/book/BookFactory.sol";
import {OrderBook} from "../../../contracts/book/OrderBook.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {OrderId} from "../../../contracts/types/BookIds.sol";

/// @notice Shared fixtures: a factory, a WETH(18)/USDC(6) book and funded, approved traders.
/// Grid: a lot is 0.001 WETH (1e15), a tick is 0.0001 USDC per lot (0.1 USDC per WETH), so
/// tick 20_000 is 2,000 USDC per WETH (2e6 quote units per lot). Minimum order: 10 lots.
abstract contract BookBase is Test {
    uint256 internal constant LOT = 1e15;
    uint256 internal constant TICK_SIZE = 100;
    uint256 internal constant MIN_LOTS = 10;
    uint16 internal constant MID = 20_000;
    uint32 internal constant STEPS = 64;

    IOrderBook.Side internal constant BID = IOrderBook.Side.Bid;
    IOrderBook.Side internal constant ASK = IOrderBook.Side.Ask;
    IOrderBook.OrderKind internal constant GTC = IOrderBook.OrderKind.GoodTillCancelled;
    IOrderBook.OrderKind internal constant POST = IOrderBook.OrderKind.PostOnly;
    IOrderBook.OrderKind internal constant IOC = IOrderBook.OrderKind.ImmediateOrCancel;
    IOrderBook.OrderKind internal constant FOK = IOrderBook.OrderKind.FillOrKill;

    BookFactory internal factory;
    OrderBook internal book;
    MockERC20 internal weth;
    MockERC20 internal usdc;

    address internal admin = makeAddr("admin");
    address internal feeRecipient = makeAddr("feeRecipient");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal taker = makeAddr("taker");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        factory = new BookFactory(admin, feeRecipient, 0, 0);
        book = OrderBook(factory.createBook(address(weth), address(usdc), TICK_SIZE, LOT, MIN_LOTS));
        address[4] memory people = [alice, bob, carol, taker];
        for (uint256 i; i < people.length; ++i) {
            _fund(book, people[i]);
        }
    }

    function _fund(OrderBook b, address who) internal {
        MockERC20(b.base()).mint(who, 1_000_000e18);
        MockERC20(b.quote()).mint(who, 1e15);
        vm.startPrank(who);
        MockERC20(b.base()).approve(address(b), type(uint256).max);
        MockERC20(b.quote()).approve(address(b), type(uint256).max);
        vm.stopPrank();
    }

    function _place(address who, IOrderBook.Side side, uint16 tick, uint32 lots)
        internal
        returns (OrderId id)
    {
        vm.prank(who);
        (id,) = book.place(side, tick, lots, GTC, 0, STEPS);
    }

    function _take(address who, IOrderBook.Side side, uint16 limit, uint64 lots)
        internal
        returns (uint64 filled, uint256 paid, uint256 received)
    {
        vm.prank(who);
        return book.take(side, limit, lots, 0, STEPS, block.timestamp);
    }

    function _cancel(address who, OrderId id, uint32 lots) internal returns (uint32) {
        uint32 hint = book.holeHint(id);
        vm.prank(who);
        return book.cancel(id, lots, hint);
    }

    function _claim(OrderId id) internal returns (uint256) {
        OrderId[] memory ids = new OrderId[](1);
        ids[0] = id;
        return book.claim(ids);
    }

    function _open(OrderId id) internal view returns (uint64) {
        return book.orderInfo(id).openLots;
    }

    function _claimable(OrderId id) internal view returns (uint64) {
        return book.orderInfo(id).claimableLots;
    }

    function _price(uint16 tick) internal pure returns (uint256) {
        return uint256(tick) * TICK_SIZE;
    }
}
