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
/// orders cross, queue up and leave holes; and through maker balances: deposits, withdrawals
/// (some above the balance), places funded from the balance, cancels and claims credited to it.
/// Ghost sums per order and per side.
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
    /// @dev Successful calls per action: place, take, cancel, claim, reap, deposit, withdraw,
    /// placeFromBalance, cancelToBalance, claimToBalance.
    uint256[10] public ok;
    /// @dev Calls of `place` (successful or not).
    uint256 public placeCalls;

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

    function actor(uint256 i) external view returns (address) {
        return actors[i];
    }

    function place(
        uint256 actorSeed,
        bool ask,
        uint256 tickSeed,
        uint256 lots,
        uint256 kindSeed,
        bool expires
    ) external {
        _placeOrder(actorSeed, ask, tickSeed, lots, kindSeed, expires, false);
    }

    function placeFromBalance(
        uint256 actorSeed,
        bool ask,
        uint256 tickSeed,
        uint256 lots,
        uint256 kindSeed,
        bool expires
    ) external {
        _placeOrder(actorSeed, ask, tickSeed, lots, kindSeed, expires, true);
    }

    /// @dev One place's arguments (a struct: the legacy pipeline of the fast profile runs out
    /// of stack slots otherwise).
    struct PlaceArgs {
        address who;
        IOrderBook.Side side;
        uint16 tick;
        uint32 lots;
        IOrderBook.OrderKind kind;
        uint40 expiry;
    }

    function _placeOrder(
        uint256 actorSeed,
        bool ask,
        uint256 tickSeed,
        uint256 lots,
        uint256 kindSeed,
        bool expires,
        bool fromBalance
    ) internal {
        ++calls;
        if (!fromBalance) ++placeCalls;
        PlaceArgs memory a;
        a.who = actors[actorSeed % 3];
        a.side = ask ? IOrderBook.Side.Ask : IOrderBook.Side.Bid;
        a.tick = uint16(bound(tickSeed, MID - 4, MID + 4));
        a.lots = uint32(bound(lots, 1, 400));
        a.kind = IOrderBook.OrderKind(kindSeed % 4);
        bool rests = a.kind == IOrderBook.OrderKind.GoodTillCancelled
            || a.kind == IOrderBook.OrderKind.PostOnly;
        a.expiry = expires && rests ? uint40(block.timestamp + 1 + kindSeed % 1000) : 0;
        (bool success, OrderId id, uint64 taken) = _send(a, fromBalance);
        if (!success) return;
        takenLots[ask ? 0 : 1] += taken;
        ++ok[fromBalance ? 7 : 0];
        if (OrderId.unwrap(id) != 0 || (rests && book.orderInfo(id).owner == a.who)) {
            ids.push(id);
            placedLots[OrderId.unwrap(id)] = book.orderInfo(id).openLots;
        }
    }

    function _send(PlaceArgs memory a, bool fromBalance) internal returns (bool, OrderId, uint64) {
        vm.prank(a.who);
        if (fromBalance) {
            try book.placeFromBalance(a.side, a.tick, a.lots, a.kind, a.expiry, 8) returns (
                OrderId i, uint64 t
            ) {
                return (true, i, t);
            } catch {}
        } else {
            try book.place(a.side, a.tick, a.lots, a.kind, a.expiry, 8) returns (
                OrderId i, uint64 t
            ) {
                return (true, i, t);
            } catch {}
        }
        return (false, OrderId.wrap(0), 0);
    }

    function take(uint256 actorSeed, bool buy, uint256 limitSeed, uint256 lots, uint256 steps)
        external
    {
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
        ) returns (
            uint64 filled, uint256, uint256
        ) {
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

    function cancelToBalance(uint256 idSeed, uint256 lots) external {
        ++calls;
        if (ids.length == 0) return;
        OrderId id = ids[idSeed % ids.length];
        address owner = book.orderInfo(id).owner;
        if (owner == address(0)) return;
        uint32 hint = book.holeHint(id);
        vm.prank(owner);
        try book.cancelToBalance(id, uint32(bound(lots, 1, 500)), hint) returns (uint32 n) {
            cancelledLots[OrderId.unwrap(id)] += n;
            ++ok[8];
        } catch {}
    }

    /// @dev Claims to the balance as the owner, or (one call in four) as someone else, which
    /// must revert `NotOrderOwner`.
    function claimToBalance(uint256 idSeed) external {
        ++calls;
        if (ids.length == 0) return;
        OrderId[] memory one = new OrderId[](1);
        one[0] = ids[idSeed % ids.length];
        address owner = book.orderInfo(one[0]).owner;
        address caller = idSeed % 4 == 0 ? actors[(idSeed >> 2) % 3] : owner;
        vm.prank(caller);
        try book.claimToBalance(one) returns (uint256 n) {
            assertEq(caller, owner, "claimed another maker's order to the caller's balance");
            claimedLots[OrderId.unwrap(one[0])] += n;
            ++ok[9];
        } catch {}
    }

    function deposit(uint256 actorSeed, bool quote, uint256 amount) external {
        ++calls;
        MockERC20 token = quote ? usdc : weth;
        vm.prank(actors[actorSeed % 3]);
        book.deposit(address(token), bound(amount, 1, quote ? 2e9 : 5e17));
        ++ok[5];
    }

    /// @dev Up to 10% above the balance (those revert `InsufficientBalance`).
    function withdraw(uint256 actorSeed, bool quote, uint256 amount) external {
        ++calls;
        address who = actors[actorSeed % 3];
        MockERC20 token = quote ? usdc : weth;
        uint256 balance = book.balanceOf(who, address(token));
        amount = bound(amount, 1, balance + balance / 10 + 1);
        vm.prank(who);
        try book.withdraw(address(token), amount, who) {
            assertLe(amount, balance, "withdrew more than the balance");
            ++ok[6];
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
    /// @dev `place` calls after which a run must have placed something (see `afterInvariant`).
    uint256 internal constant MIN_PLACE_CALLS = 10;

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

    /// @notice Each token held equals open escrow + unclaimed maker proceeds + accrued fees +
    /// maker balances.
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
        for (uint256 i; i < 3; ++i) {
            baseOwed += book.balanceOf(handler.actor(i), address(weth));
            quoteOwed += book.balanceOf(handler.actor(i), address(usdc));
        }
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
                uint256(info.openLots) + info.claimableLots + handler.claimedLots(key)
                    + handler.cancelledLots(key),
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
    /// vacuous). Summed over the run, so checked at its end. A run calls `place` about once in
    /// ten calls, and a single place can fail by design (a post-only order that would cross, a
    /// fill-or-kill order without liquidity, too few lots to rest), so a short run may place
    /// nothing; a run that called `place` `MIN_PLACE_CALLS` times and never placed means the
    /// handler or the book is broken.
    function afterInvariant() public {
        uint256[] memory ok = new uint256[](10);
        for (uint256 i; i < 10; ++i) {
            ok[i] = handler.ok(i);
        }
        emit log_named_array(
            "successful place/take/cancel/claim/reap/deposit/withdraw/placeFromBalance/cancelToBalance/claimToBalance",
            ok
        );
        emit log_named_uint("place calls", handler.placeCalls());
        if (handler.placeCalls() >= MIN_PLACE_CALLS) assertGt(ok[0], 0, "no place succeeded");
    }
}
