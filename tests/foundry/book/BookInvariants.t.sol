// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {BookFactory} from "../../../contracts/book/BookFactory.sol";
import {OrderBook} from "../../../contracts/book/OrderBook.sol";
import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {OrderId} from "../../../contracts/types/BookIds.sol";

/// @notice Drives a book with fees (0.1% taker, 0.03% maker rebate) through random places of
/// every kind, takes, partial and full cancels, claims and expiry reaps, around a few ticks so
/// orders cross, queue up and leave holes. Ghost sums per order and per side.
contract BookHandler is Test {
    uint256 internal constant LOT = 1e15;
    uint16 internal constant MID = 20_000;

    OrderBook public book;
    MockERC20 public weth;
    MockERC20 public usdc;
    address[3] internal actors;

    OrderId[] public ids;
    mapping(uint256 id => uint256) public placedLots;
    mapping(uint256 id => uint256) public cancelledLots;
    mapping(uint256 id => uint256) public claimedLots;
    /// @dev Lots taken from resting orders of each side (0 bid, 1 ask).
    uint256[2] public takenLots;
    uint256 public calls;
    /// @dev Successful calls per action: place, take, cancel, claim, reap.
    uint256[5] public ok;

    constructor(OrderBook book_, MockERC20 weth_, MockERC20 usdc_) {
        book = book_;
        weth = weth_;
        usdc = usdc_;
        actors = [makeAddr("m0"), makeAddr("m1"), makeAddr("m2")];
        for (uint256 i; i < 3; ++i) {
            weth.mint(actors[i], 1e30);
            usdc.mint(actors[i], 1e30);
            vm.startPrank(actors[i]);
            weth.approve(address(book), type(uint256).max);
            usdc.approve(address(book), type(uint256).max);
            vm.stopPrank();
        }
    }

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function place(uint256 actorSeed, bool ask, uint256 tickSeed, uint256 lots, uint256 kindSeed, bool expires)
        external
    {
        ++calls;
        address who = actors[actorSeed % 3];
        IOrderBook.Side side = ask ? IOrderBook.Side.Ask : IOrderBook.Side.Bid;
        uint16 tick = uint16(bound(tickSeed, MID - 4, MID + 4));
        IOrderBook.OrderKind kind = IOrderBook.OrderKind(kindSeed % 4);
        bool rests = kind == IOrderBook.OrderKind.GoodTillCancelled || kind == IOrderBook.OrderKind.PostOnly;
        uint40 expiry = expires && rests ? uint40(block.timestamp + 1 + kindSeed % 1000) : 0;
        vm.prank(who);
        try book.place(side, tick, uint32(bound(lots, 1, 400)), kind, expiry, 8) returns (OrderId id, uint64 taken) {
            takenLots[ask ? 0 : 1] += taken;
            ++ok[0];
            if (OrderId.unwrap(id) != 0 || (rests && book.orderInfo(id).owner == who)) {
                ids.push(id);
                placedLots[OrderId.unwrap(id)] = book.orderInfo(id).openLots;
            }
        } catch {}
    }

    function take(uint256 actorSeed, bool buy, uint256 limitSeed, uint256 lots, uint256 steps) external {
        ++calls;
        uint16 limit = uint16(bound(limitSeed, MID - 5, MID + 5));
        vm.prank(actors[actorSeed % 3]);
        try book.take(
            buy ? IOrderBook.Side.Bid : IOrderBook.Side.Ask,
            limit,
            uint64(bound(lots, 1, 3_000)),
            0,
            uint32(bound(steps, 1, 20)),
            block.timestamp
        ) returns (uint64 filled, uint256, uint256) {
            takenLots[buy ? 1 : 0] += filled;
            ++ok[1];
        } catch {}
    }

    function cancel(uint256 idSeed, uint256 lots) external {
        ++calls;
        if (ids.length == 0) return;
        OrderId id = ids[idSeed % ids.length];
        address owner = book.orderInfo(id).owner;
        if (owner == address(0)) return;
        uint32 hint = book.holeHint(id);
        vm.prank(owner);
        try book.cancel(id, uint32(bound(lots, 1, 500)), hint) returns (uint32 n) {
            cancelledLots[OrderId.unwrap(id)] += n;
            ++ok[2];
        } catch {}
    }

    function claim(uint256 idSeed) external {
        ++calls;
        if (ids.length == 0) return;
        OrderId[] memory one = new OrderId[](1);
        one[0] = ids[idSeed % ids.length];
        try book.claim(one) returns (uint256 n) {
            claimedLots[OrderId.unwrap(one[0])] += n;
            ++ok[3];
        } catch {}
    }

    function reap(uint256 idSeed, uint256 warp) external {
        ++calls;
        vm.warp(block.timestamp + bound(warp, 0, 600));
        if (ids.length == 0) return;
        OrderId id = ids[idSeed % ids.length];
        vm.prank(actors[(idSeed + 1) % 3]);
        try book.cancel(id, 1, 0) returns (uint32 n) {
            cancelledLots[OrderId.unwrap(id)] += n;
            ++ok[4];
        } catch {}
    }
}

contract BookInvariantsTest is Test {
    BookHandler internal handler;
    OrderBook internal book;
    MockERC20 internal weth;
    MockERC20 internal usdc;

    function setUp() public {
        vm.warp(1_700_000_000);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        BookFactory factory = new BookFactory(address(this), makeAddr("fees"), 1_000, -300);
        book = OrderBook(factory.createBook(address(weth), address(usdc), 100, 1e15, 10));
        handler = new BookHandler(book, weth, usdc);
        targetContract(address(handler));
    }

    function _makerUnit(uint256 unit) internal pure returns (uint256) {
        return unit + unit * 300 / 1_000_000;
    }

    /// @notice Each token held equals open escrow + unclaimed maker proceeds + accrued fees.
    function invariant_escrowEqualsOpenPlusUnclaimedPlusFees() public view {
        uint256 baseOwed;
        uint256 quoteOwed;
        for (uint256 i; i < handler.idCount(); ++i) {
            OrderId id = handler.ids(i);
            IOrderBook.OrderInfo memory info = book.orderInfo(id);
            uint256 price = book.priceOf(id.tick());
            if (id.side() == 1) {
                baseOwed += uint256(info.openLots) * 1e15;
                quoteOwed += uint256(info.claimableLots) * _makerUnit(price);
            } else {
                quoteOwed += uint256(info.openLots) * price;
                baseOwed += uint256(info.claimableLots) * _makerUnit(1e15);
            }
        }
        (uint256 baseFees, uint256 quoteFees) = book.feesAccrued();
        assertEq(weth.balanceOf(address(book)), baseOwed + baseFees, "base");
        assertEq(usdc.balanceOf(address(book)), quoteOwed + quoteFees, "quote");
    }

    /// @notice The book never rests crossed.
    function invariant_bestBidBelowBestAsk() public view {
        (uint16 bid, bool hasBid) = book.bestBid();
        (uint16 ask, bool hasAsk) = book.bestAsk();
        if (hasBid && hasAsk) assertLt(bid, ask);
    }

    /// @notice Per order: placed = open + claimable + claimed + cancelled (nothing fills or
    /// pays twice); per side, taken lots = lots filled across its orders.
    function invariant_noOrderFillsTwice() public view {
        uint256[2] memory filled;
        for (uint256 i; i < handler.idCount(); ++i) {
            OrderId id = handler.ids(i);
            uint256 key = OrderId.unwrap(id);
            IOrderBook.OrderInfo memory info = book.orderInfo(id);
            assertEq(
                handler.placedLots(key),
                uint256(info.openLots) + info.claimableLots + handler.claimedLots(key) + handler.cancelledLots(key),
                "order lots"
            );
            filled[id.side()] += uint256(info.claimableLots) + handler.claimedLots(key);
        }
        assertEq(filled[0], handler.takenLots(0), "bids filled");
        assertEq(filled[1], handler.takenLots(1), "asks filled");
    }

    /// @notice Every level's unfilled lots equal the sum of its orders' open lots.
    function invariant_levelLotsMatchOrders() public view {
        for (uint8 side; side < 2; ++side) {
            for (uint16 tick = 19_996; tick <= 20_004; ++tick) {
                uint256 sum;
                for (uint256 i; i < handler.idCount(); ++i) {
                    OrderId id = handler.ids(i);
                    if (id.side() == side && id.tick() == tick) sum += book.orderInfo(id).openLots;
                }
                assertEq(book.levelLots(IOrderBook.Side(side), tick), sum, "level");
                assertEq(sum != 0, _isActive(IOrderBook.Side(side), tick), "bitmap");
            }
        }
    }

    function _isActive(IOrderBook.Side side, uint16 tick) internal view returns (bool) {
        IOrderBook.LevelDepth[] memory d = book.depth(side, 20);
        for (uint256 i; i < d.length; ++i) {
            if (d[i].tick == tick) return true;
        }
        return false;
    }

    /// @notice The run exercised the book: most actions succeed (the invariants are not
    /// vacuous). Summed over the run, so checked at its end.
    function afterInvariant() public {
        uint256[5] memory ok;
        for (uint256 i; i < 5; ++i) {
            ok[i] = handler.ok(i);
        }
        emit log_named_array("successful place/take/cancel/claim/reap", _toDynamic(ok));
        assertGt(ok[0], 0, "no place succeeded");
    }

    function _toDynamic(uint256[5] memory a) internal pure returns (uint256[] memory out) {
        out = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            out[i] = a[i];
        }
    }
}
