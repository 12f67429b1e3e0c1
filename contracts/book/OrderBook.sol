// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

import {IBookFactory} from "../interfaces/IBookFactory.sol";
import {IOrderBook} from "../interfaces/IOrderBook.sol";
import {BookBitmap} from "../libraries/BookBitmap.sol";
import {LevelQueue} from "../libraries/LevelQueue.sol";
import {OrderId, OrderIdLib} from "../types/BookIds.sol";

/// @title OrderBook
/// @notice The central limit order book of one market; see `IOrderBook` and docs/book.md.
/// @dev Thin entry contract: queues (`LevelQueue`) and tick bitmaps (`BookBitmap`) hold the
/// logic; this contract routes, prices and moves tokens. Fees are taken in the token the
/// taker pays (which is the token the maker receives), so maker rebates are funded by the
/// same take's taker fee and every take settles its fees on the spot: the book's balance of
/// each token is always exactly open escrow + unclaimed maker proceeds + accrued fees + maker
/// balances (deposits, and what `...FromBalance` / `...ToBalance` calls credited).
contract OrderBook is IOrderBook, ReentrancyGuardTransient {
    using SafeTransferLib for address;
    using LevelQueue for LevelQueue.Queue;
    using BookBitmap for BookBitmap.Bitmap;

    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @dev What one take matched, before the taker fee.
    struct Fill {
        uint64 lots;
        uint256 paid; // of the token the taker pays
        uint256 received; // of the token the taker receives
        uint256 makerOwed; // of the paid token, now claimable by makers
        bool exhausted; // matching stopped because nothing crossing was left
    }

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev Level queues by `side << 16 | tick` (which is also `OrderId >> 32`).
    mapping(uint256 levelKey => LevelQueue.Queue) internal _queues;
    BookBitmap.Bitmap internal _bids;
    BookBitmap.Bitmap internal _asks;
    /// @dev Accrued fees (a take writes only the one of the token its taker paid).
    uint256 internal _baseFees;
    uint256 internal _quoteFees;
    /// @dev Maker balances per token: one mapping each, so a balance is one hash away. Written
    /// through the reference `_balances` returns, which slither does not follow.
    // slither-disable-next-line uninitialized-state
    mapping(address owner => uint256) internal _baseBalances;
    // slither-disable-next-line uninitialized-state
    mapping(address owner => uint256) internal _quoteBalances;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    uint256 internal constant PPM = 1_000_000;

    /// @inheritdoc IOrderBook
    address public immutable factory;
    /// @inheritdoc IOrderBook
    address public immutable base;
    /// @inheritdoc IOrderBook
    address public immutable quote;
    /// @inheritdoc IOrderBook
    uint256 public immutable tickSize;
    /// @inheritdoc IOrderBook
    uint256 public immutable lotSize;
    /// @inheritdoc IOrderBook
    uint256 public immutable minLots;
    /// @inheritdoc IOrderBook
    uint24 public immutable takerFeePpm;
    /// @inheritdoc IOrderBook
    int24 public immutable makerFeePpm;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev Deployed by `BookFactory`, which validated every parameter.
    constructor(
        address base_,
        address quote_,
        uint256 tickSize_,
        uint256 lotSize_,
        uint256 minLots_,
        uint24 takerFeePpm_,
        int24 makerFeePpm_
    ) {
        factory = msg.sender;
        base = base_;
        quote = quote_;
        tickSize = tickSize_;
        lotSize = lotSize_;
        minLots = minLots_;
        takerFeePpm = takerFeePpm_;
        makerFeePpm = makerFeePpm_;
    }

    /// @dev Always transient storage: books need Cancun (EIP-1153), like the rest of the suite
    /// (`evm_version` prague). Solady's default keeps the lock in a storage slot off mainnet,
    /// which costs every entry a cold read, a write and a partly refunded reset.
    function _useTransientReentrancyGuardOnlyOnMainnet() internal pure override returns (bool) {
        return false;
    }

    // ------------------------------- trading -------------------------------

    /// @inheritdoc IOrderBook
    function place(
        Side side,
        uint16 tick,
        uint32 lots,
        OrderKind kind,
        uint40 expiry,
        uint32 maxSteps
    ) external nonReentrant returns (OrderId id, uint64 takenLots) {
        Fill memory f = Fill(0, 0, 0, 0, false);
        uint256 escrow;
        (id, escrow) = _place(f, side, tick, lots, kind, expiry, maxSteps);
        takenLots = f.lots;
        _settle(side, f, escrow);
    }

    /// @inheritdoc IOrderBook
    function placeFromBalance(
        Side side,
        uint16 tick,
        uint32 lots,
        OrderKind kind,
        uint40 expiry,
        uint32 maxSteps
    ) external nonReentrant returns (OrderId id, uint64 takenLots) {
        Fill memory f = Fill(0, 0, 0, 0, false);
        uint256 escrow;
        (id, escrow) = _place(f, side, tick, lots, kind, expiry, maxSteps);
        takenLots = f.lots;
        (uint256 paid, uint256 received) = _chargeTakerFee(side, f);
        bool bid = side == Side.Bid;
        uint256 debit = paid + escrow;
        if (debit != 0) _debit(bid, debit);
        if (received != 0) _credit(msg.sender, !bid, received);
    }

    /// @dev The checks, matching and resting of `place` and `placeFromBalance`; `f` (zero on
    /// entry) gets what matched. Moves no token: returns the escrow of the resting part.
    function _place(
        Fill memory f,
        Side side,
        uint16 tick,
        uint32 lots,
        OrderKind kind,
        uint40 expiry,
        uint32 maxSteps
    ) internal returns (OrderId id, uint256 escrow) {
        if (tick == 0) revert InvalidTick(tick);
        if (lots == 0) revert ZeroLots();
        bool rests = kind == OrderKind.GoodTillCancelled || kind == OrderKind.PostOnly;
        if (rests && lots < minLots) revert OrderTooSmall(lots, minLots);
        // forge-lint: disable-next-line(block-timestamp)
        if (expiry != 0 && (!rests || expiry <= block.timestamp)) revert InvalidExpiry(expiry);
        if (kind == OrderKind.PostOnly) {
            (uint16 best, bool crosses) = _crossing(side, tick);
            if (crosses) revert PostOnlyWouldCross(tick, best);
        } else {
            if (maxSteps == 0) revert ZeroSteps();
            _match(f, side, tick, lots, maxSteps);
            if (kind == OrderKind.FillOrKill && f.lots < lots) {
                revert InsufficientFill(f.lots, lots);
            }
        }
        // `f.lots <= lots`: matching never takes more than asked.
        uint32 rest = lots - uint32(f.lots);
        if (rests && rest != 0) {
            // Matching that ran out of crossing liquidity already answered the question.
            if (!f.exhausted && (f.lots != 0 || kind == OrderKind.GoodTillCancelled)) {
                (, bool crosses) = _crossing(side, tick);
                if (crosses) revert StepLimitReached(tick, f.lots);
            }
            id = _rest(side, tick, rest, expiry);
            escrow = side == Side.Bid ? uint256(rest) * priceOf(tick) : uint256(rest) * lotSize;
        }
    }

    /// @inheritdoc IOrderBook
    function take(
        Side side,
        uint16 limitTick,
        uint64 maxLots,
        uint64 minLots_,
        uint32 maxSteps,
        uint256 deadline
    ) external nonReentrant returns (uint64 lots, uint256 paid, uint256 received) {
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert DeadlinePassed(deadline);
        if (maxLots == 0) revert ZeroLots();
        if (maxSteps == 0) revert ZeroSteps();
        Fill memory f = Fill(0, 0, 0, 0, false);
        _match(f, side, limitTick, maxLots, maxSteps);
        if (f.lots < minLots_) revert InsufficientFill(f.lots, minLots_);
        (paid, received) = _settle(side, f, 0);
        lots = f.lots;
    }

    /// @inheritdoc IOrderBook
    function cancel(OrderId id, uint32 maxLots, uint32 holeHint_)
        external
        nonReentrant
        returns (uint32 lots)
    {
        address owner;
        uint256 refund;
        (owner, lots, refund) = _cancel(id, maxLots, holeHint_);
        (id.side() == uint8(Side.Bid) ? quote : base).safeTransfer(owner, refund);
    }

    /// @inheritdoc IOrderBook
    function cancelToBalance(OrderId id, uint32 maxLots, uint32 holeHint_)
        external
        nonReentrant
        returns (uint32 lots)
    {
        address owner;
        uint256 refund;
        (owner, lots, refund) = _cancel(id, maxLots, holeHint_);
        // Reaping an expired order is `cancel`'s job: only the owner chooses where its refund goes.
        if (owner != msg.sender) revert NotOrderOwner(msg.sender, owner);
        _credit(owner, id.side() == uint8(Side.Bid), refund);
    }

    /// @dev Cancels in the queue, clears the tick's bit if the level emptied, emits; returns
    /// who gets the `refund` (exactly the cancelled lots' escrow) without paying it.
    function _cancel(OrderId id, uint32 maxLots, uint32 holeHint_)
        internal
        returns (address owner, uint32 lots, uint256 refund)
    {
        if (!id.isValid() || id.tick() == 0) revert OrderNotFound(id);
        bool nowEmpty;
        (owner, lots, nowEmpty) =
            _queues[OrderId.unwrap(id) >> 32].cancel(id, msg.sender, maxLots, holeHint_);
        // The side and tick are read from `id` again: fewer stack slots for the legacy pipeline.
        bool bid = id.side() == uint8(Side.Bid);
        if (nowEmpty) _bitmap(bid ? Side.Bid : Side.Ask).clear(id.tick());
        refund = bid ? uint256(lots) * priceOf(id.tick()) : uint256(lots) * lotSize;
        emit OrderCancelled(id, owner, lots);
    }

    /// @inheritdoc IOrderBook
    function claim(OrderId[] calldata ids) external nonReentrant returns (uint256 lots) {
        for (uint256 i; i < ids.length; ++i) {
            OrderId id = ids[i];
            if (!id.isValid()) continue;
            (address owner, uint32 claimed) = _queues[OrderId.unwrap(id) >> 32].claim(id.index());
            if (claimed == 0) continue;
            lots += claimed;
            bool ask = id.side() == uint8(Side.Ask);
            uint256 proceeds = uint256(claimed) * _makerUnit(ask ? priceOf(id.tick()) : lotSize);
            emit OrderClaimed(id, owner, claimed, proceeds);
            (ask ? quote : base).safeTransfer(owner, proceeds);
        }
        if (lots == 0 && ids.length != 0) revert NothingToClaim(ids[0]);
    }

    /// @inheritdoc IOrderBook
    function claimToBalance(OrderId[] calldata ids) external nonReentrant returns (uint256 lots) {
        uint256 baseProceeds = 0;
        uint256 quoteProceeds = 0;
        for (uint256 i; i < ids.length; ++i) {
            OrderId id = ids[i];
            if (!id.isValid()) continue;
            (address owner, uint32 claimed) = _queues[OrderId.unwrap(id) >> 32].claim(id.index());
            if (claimed == 0) continue;
            if (owner != msg.sender) revert NotOrderOwner(msg.sender, owner);
            lots += claimed;
            bool ask = id.side() == uint8(Side.Ask);
            uint256 proceeds = uint256(claimed) * _makerUnit(ask ? priceOf(id.tick()) : lotSize);
            emit OrderClaimed(id, owner, claimed, proceeds);
            if (ask) quoteProceeds += proceeds;
            else baseProceeds += proceeds;
        }
        if (lots == 0 && ids.length != 0) revert NothingToClaim(ids[0]);
        // One write (and one event) per token, however many orders.
        if (baseProceeds != 0) _credit(msg.sender, false, baseProceeds);
        if (quoteProceeds != 0) _credit(msg.sender, true, quoteProceeds);
    }

    /// @inheritdoc IOrderBook
    function collectFees() external nonReentrant {
        address recipient = IBookFactory(factory).feeRecipient();
        uint256 baseFees = _baseFees;
        uint256 quoteFees = _quoteFees;
        (_baseFees, _quoteFees) = (0, 0);
        if (baseFees != 0) {
            emit FeesCollected(recipient, base, baseFees);
            base.safeTransfer(recipient, baseFees);
        }
        if (quoteFees != 0) {
            emit FeesCollected(recipient, quote, quoteFees);
            quote.safeTransfer(recipient, quoteFees);
        }
    }

    // ---------------------------- maker balances ---------------------------

    /// @inheritdoc IOrderBook
    function deposit(address token, uint256 amount) external nonReentrant {
        bool isQuote = _isQuote(token);
        if (amount == 0) revert ZeroAmount();
        if (IBookFactory(factory).internalBalanceRefused(token)) {
            revert TokenRefusedForInternalBalance(token);
        }
        _pull(token, amount);
        // After the pull (its amount is measured first); the lock keeps a token callback out.
        mapping(address => uint256) storage balances = _balances(isQuote);
        uint256 balance = balances[msg.sender] + amount;
        balances[msg.sender] = balance;
        emit Deposited(msg.sender, token, amount, balance);
    }

    /// @inheritdoc IOrderBook
    function withdraw(address token, uint256 amount, address to) external nonReentrant {
        bool isQuote = _isQuote(token);
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroRecipient();
        mapping(address => uint256) storage balances = _balances(isQuote);
        uint256 balance = balances[msg.sender];
        if (balance < amount) revert InsufficientBalance(msg.sender, token, balance, amount);
        // `amount <= balance`: checked just above.
        unchecked {
            balance -= amount;
        }
        balances[msg.sender] = balance;
        uint256 before = SafeTransferLib.balanceOf(token, address(this));
        token.safeTransfer(to, amount);
        uint256 lost = before - SafeTransferLib.balanceOf(token, address(this));
        if (lost > amount) {
            // A fee charged to the sender: the withdrawer's balance pays it, never another's.
            unchecked {
                // `lost > amount` (checked just above).
                lost -= amount;
            }
            if (balance < lost) revert InsufficientBalance(msg.sender, token, balance, lost);
            unchecked {
                // `lost <= balance`: checked just above.
                balance -= lost;
            }
            // Reason: every entry point holds the transient `nonReentrant` lock, so nothing
            // reads this balance between the transfer and this write.
            // slither-disable-next-line reentrancy-no-eth
            balances[msg.sender] = balance;
        }
        emit Withdrawn(msg.sender, token, to, amount, balance);
    }

    // -------------------------------- views --------------------------------

    /// @inheritdoc IOrderBook
    function priceOf(uint16 tick) public view returns (uint256) {
        return uint256(tick) * tickSize;
    }

    /// @inheritdoc IOrderBook
    function bestBid() external view returns (uint16 tick, bool found) {
        return _bids.highest();
    }

    /// @inheritdoc IOrderBook
    function bestAsk() external view returns (uint16 tick, bool found) {
        return _asks.lowest();
    }

    /// @inheritdoc IOrderBook
    function levelLots(Side side, uint16 tick) public view returns (uint64) {
        return _queues[_levelKey(side, tick)].liveLotsOf();
    }

    /// @inheritdoc IOrderBook
    function depth(Side side, uint256 levels) external view returns (LevelDepth[] memory out) {
        out = new LevelDepth[](levels);
        BookBitmap.Bitmap storage bm = _bitmap(side);
        (uint16 tick, bool found) = side == Side.Ask ? bm.lowest() : bm.highest();
        uint256 n;
        while (found && n < levels) {
            out[n++] = LevelDepth(tick, levelLots(side, tick), priceOf(tick));
            if (side == Side.Ask) {
                (tick, found) = bm.nextUp(uint256(tick) + 1);
            } else {
                if (tick == 0) break;
                (tick, found) = bm.nextDown(tick - 1);
            }
        }
        assembly ("memory-safe") {
            mstore(out, n) // shrink to the levels found (n <= levels)
        }
    }

    /// @inheritdoc IOrderBook
    function orderInfo(OrderId id) external view returns (OrderInfo memory info) {
        if (!id.isValid()) return info;
        (info.owner, info.openLots, info.claimableLots, info.expiry) =
            _queues[OrderId.unwrap(id) >> 32].info(id.index());
        if (info.owner != address(0)) {
            info.side = Side(id.side());
            info.tick = id.tick();
        }
    }

    /// @inheritdoc IOrderBook
    function holeHint(OrderId id) external view returns (uint32) {
        return _queues[OrderId.unwrap(id) >> 32].hintFor(id.index());
    }

    /// @inheritdoc IOrderBook
    function feesAccrued() external view returns (uint256 baseFees, uint256 quoteFees) {
        return (_baseFees, _quoteFees);
    }

    /// @inheritdoc IOrderBook
    function balanceOf(address owner, address token) external view returns (uint256) {
        if (token == base) return _baseBalances[owner];
        if (token == quote) return _quoteBalances[owner];
        return 0;
    }

    // ------------------------------- internal ------------------------------

    /// @dev Takes up to `maxLots` lots from the side opposite to `takerSide`, best level first,
    /// at ticks no worse than `limitTick`, visiting at most `maxSteps` levels and holes; adds what
    /// it matched to `f` (zero on entry: one allocation for the caller and this).
    function _match(
        Fill memory f,
        Side takerSide,
        uint16 limitTick,
        uint64 maxLots,
        uint256 maxSteps
    ) internal {
        Side makerSide = takerSide == Side.Bid ? Side.Ask : Side.Bid;
        BookBitmap.Bitmap storage bm = _bitmap(makerSide);
        uint256 steps;
        while (f.lots < maxLots && steps < maxSteps) {
            (uint16 tick, bool found) =
                makerSide == Side.Ask ? bm.lowestAtMost(limitTick) : bm.highestAtLeast(limitTick);
            if (!found) {
                f.exhausted = true;
                break;
            }
            LevelQueue.Queue storage q = _queues[_levelKey(makerSide, tick)];
            // Loop condition: f.lots < maxLots; steps < maxSteps.
            uint64 want = maxLots - f.lots;
            uint64 got;
            ++steps;
            bool stopped = false;
            if (want >= q.liveLotsOf()) {
                got = q.takeAll();
                bm.clear(tick);
            } else {
                uint256 holes;
                (got, holes) = q.takePartial(want, maxSteps - steps);
                steps += holes;
                stopped = got < want; // the step budget ran out at a hole
            }
            f.lots += got;
            uint256 price = priceOf(tick);
            if (makerSide == Side.Ask) {
                f.paid += uint256(got) * price;
                f.received += uint256(got) * lotSize;
                f.makerOwed += uint256(got) * _makerUnit(price);
            } else {
                f.paid += uint256(got) * lotSize;
                f.received += uint256(got) * price;
                f.makerOwed += uint256(got) * _makerUnit(lotSize);
            }
            emit Take(msg.sender, makerSide, tick, got);
            if (stopped) break;
        }
    }

    /// @dev Charges the taker fee, accrues the book's fees, pulls what the caller pays (taker
    /// part plus `escrow`) and pays what it bought.
    function _settle(Side takerSide, Fill memory f, uint256 escrow)
        internal
        returns (uint256 paid, uint256 received)
    {
        (paid, received) = _chargeTakerFee(takerSide, f);
        uint256 pull = paid + escrow;
        if (pull != 0) _pull(takerSide == Side.Bid ? quote : base, pull);
        if (received != 0) {
            (takerSide == Side.Bid ? base : quote).safeTransfer(msg.sender, received);
        }
    }

    /// @dev Adds the taker fee to what the taker pays for `f`, accrues the book's fee and emits
    /// `Swap` (nothing when nothing matched); returns what the taker pays and receives.
    function _chargeTakerFee(Side takerSide, Fill memory f)
        internal
        returns (uint256 paid, uint256 received)
    {
        received = f.received;
        paid = f.paid;
        if (paid != 0) {
            uint256 takerFee = FixedPointMathLib.divUp(paid * takerFeePpm, PPM);
            paid += takerFee;
            // makerOwed <= f.paid + takerFee: a maker rebate per lot is floor(unit * r / 1e6)
            // with r <= takerFeePpm (checked by the factory), and the fee rounds up.
            uint256 fee = paid - f.makerOwed;
            if (fee != 0) {
                if (takerSide == Side.Bid) _quoteFees += fee;
                else _baseFees += fee;
            }
            emit Swap(msg.sender, takerSide, f.lots, paid, received, fee);
        }
    }

    /// @dev Takes `amount` of the quote (`isQuote`) or base token from the caller's balance.
    function _debit(bool isQuote, uint256 amount) internal {
        mapping(address => uint256) storage balances = _balances(isQuote);
        uint256 balance = balances[msg.sender];
        if (balance < amount) {
            revert InsufficientBalance(msg.sender, isQuote ? quote : base, balance, amount);
        }
        // `amount <= balance`: checked just above.
        unchecked {
            balance -= amount;
        }
        balances[msg.sender] = balance;
        emit BalanceChanged(msg.sender, isQuote ? quote : base, balance);
    }

    /// @dev Adds `amount` of the quote (`isQuote`) or base token to `owner`'s balance. Cannot
    /// overflow: every balance is backed by tokens the book holds (at most the token's supply).
    function _credit(address owner, bool isQuote, uint256 amount) internal {
        mapping(address => uint256) storage balances = _balances(isQuote);
        uint256 balance = balances[owner] + amount;
        balances[owner] = balance;
        emit BalanceChanged(owner, isQuote ? quote : base, balance);
    }

    function _balances(bool isQuote) internal view returns (mapping(address => uint256) storage) {
        return isQuote ? _quoteBalances : _baseBalances;
    }

    /// @dev Whether `token` is the quote token; reverts `NotBookToken` unless it is base or quote.
    function _isQuote(address token) internal view returns (bool) {
        if (token == quote) return true;
        if (token != base) revert NotBookToken(token);
        return false;
    }

    /// @dev Rests `lots` at `tick` for the caller.
    function _rest(Side side, uint16 tick, uint32 lots, uint40 expiry)
        internal
        returns (OrderId id)
    {
        (uint32 index, uint64 start, bool wasEmpty) = _queues[_levelKey(
                side, tick
            )].append(tick, msg.sender, lots, expiry);
        if (wasEmpty) _bitmap(side).set(tick);
        id = OrderIdLib.encode(uint8(side), tick, index);
        emit OrderPlaced(id, msg.sender, lots, start, expiry);
    }

    /// @dev Pulls exactly `amount` of `token` from the caller or reverts (fee-on-transfer).
    function _pull(address token, uint256 amount) internal {
        uint256 before = SafeTransferLib.balanceOf(token, address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        if (SafeTransferLib.balanceOf(token, address(this)) != before + amount) {
            revert FeeOnTransferToken(token);
        }
    }

    /// @dev Whether an order on `side` at `tick` would take: the best opposite tick crosses.
    function _crossing(Side side, uint16 tick) internal view returns (uint16 best, bool crosses) {
        (best, crosses) = side == Side.Bid ? _asks.lowestAtMost(tick) : _bids.highestAtLeast(tick);
    }

    /// @dev What a maker receives per lot whose gross value is `unit`: the maker fee is rounded
    /// up, the rebate down. The factory bounds the fee below 100%, so this never underflows.
    function _makerUnit(uint256 unit) internal view returns (uint256) {
        int256 m = makerFeePpm;
        if (m >= 0) return unit - FixedPointMathLib.divUp(unit * uint256(m), PPM);
        return unit + unit * uint256(-m) / PPM;
    }

    function _bitmap(Side side) internal view returns (BookBitmap.Bitmap storage) {
        return side == Side.Bid ? _bids : _asks;
    }

    function _levelKey(Side side, uint16 tick) internal pure returns (uint256) {
        return (uint256(side) << 16) | tick;
    }
}
