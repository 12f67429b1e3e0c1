// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderId} from "../types/BookIds.sol";

/// @title IOrderBook
/// @notice An on-chain central limit order book for one market (`base`/`quote`), created by
/// `IBookFactory`. Prices are ticks on a linear grid: one lot (`lotSize` base units) at tick `t`
/// costs `t * tickSize` quote units, so escrow, fills and refunds are exact integers; only
/// fees round (always in the book's favour).
/// @dev Matching is lazy (Clober-style). Each price level is a FIFO queue in "queue
/// coordinates": order `i` occupies lots `[start_i, start_i + lots_i)` of its level, and the
/// level keeps one cursor `filled`: every lot before it has been taken. A taker therefore
/// moves one cursor per price level instead of touching every maker order, and a maker later
/// claims `clamp(filled - start, 0, lots)` lots. A cancelled order in the middle of a queue
/// leaves a "hole" that the next taker crossing it skips; a cancelled order at the tail of its
/// queue simply shortens the queue, and one at its front (nothing unfilled before it) moves
/// the cursor past its lots. Holes sit in a per-level list sorted by queue position.
///
/// Work bounds (see docs/book.md): taking visits at most `maxSteps` steps, a step being one
/// price level or one hole crossed inside a partially taken level; a level taken whole costs
/// one step whatever its orders and holes. Cancelling walks at most `MAX_HINT_WALK` holes.
/// Placing, claiming and views of one order are O(1). `depth(n)` reads O(n) levels.
///
/// Expiry is enforced by reaping: once an order's `expiry` passes, anyone may cancel it (the
/// refund goes to its owner); until reaped it stays fillable, because takers never look at
/// individual orders.
///
/// Maker balances: a maker may `deposit` either token once and then place from, and have
/// cancel refunds and claim proceeds credited to, that balance (`placeFromBalance`,
/// `cancelToBalance`, `claimToBalance`): none of these moves a token. `place`, `cancel`,
/// `claim` and `take` keep pulling from and paying to wallets. The book's balance of each
/// token is open escrow + unclaimed maker proceeds + accrued fees + maker balances.
interface IOrderBook {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Bid: buys base with quote (escrows quote). Ask: sells base (escrows base).
    enum Side {
        Bid,
        Ask
    }

    /// @notice How `place` treats the part of an order that crosses and the part that does not.
    enum OrderKind {
        /// @dev Takes crossing liquidity, rests the rest until filled or cancelled.
        GoodTillCancelled,
        /// @dev Rests the whole order; reverts `PostOnlyWouldCross` if it would take.
        PostOnly,
        /// @dev Takes what it can within the limit tick, never rests.
        ImmediateOrCancel,
        /// @dev Takes the whole amount within the limit tick or reverts.
        FillOrKill
    }

    /// @notice One order's state.
    struct OrderInfo {
        /// @dev Zero once the order is fully cancelled and claimed (or was never placed).
        address owner;
        Side side;
        uint16 tick;
        /// @dev Lots still resting unfilled.
        uint64 openLots;
        /// @dev Lots filled and not yet claimed.
        uint64 claimableLots;
        /// @dev Zero: no expiry.
        uint40 expiry;
    }

    /// @notice One price level of `depth`.
    struct LevelDepth {
        uint16 tick;
        /// @dev Unfilled lots resting at the tick.
        uint64 lots;
        /// @dev Quote units per lot: `tick * tickSize`.
        uint256 price;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Only the factory may call this.
    /// @param caller The sender of the call.
    error NotFactory(address caller);
    /// @notice Tick 0 has price 0 and is not a valid price.
    /// @param tick The tick given.
    error InvalidTick(uint16 tick);
    /// @notice A zero amount of lots.
    error ZeroLots();
    /// @notice A resting order below the market's minimum size.
    /// @param lots The lots that would rest.
    /// @param minLots The market's minimum.
    error OrderTooSmall(uint256 lots, uint256 minLots);
    /// @notice `expiry` is not in the future, or was given for an order that never rests.
    /// @param expiry The expiry given.
    error InvalidExpiry(uint40 expiry);
    /// @notice `maxSteps` is zero.
    error ZeroSteps();
    /// @notice The post-only order would take liquidity at `bestOpposite`.
    /// @param tick The order's tick.
    /// @param bestOpposite The best tick of the opposite side.
    error PostOnlyWouldCross(uint16 tick, uint16 bestOpposite);
    /// @notice Crossing liquidity remains after `maxSteps`; the order cannot rest at `tick`.
    /// @param tick The order's tick.
    /// @param lotsTaken The lots taken within `maxSteps`.
    error StepLimitReached(uint16 tick, uint64 lotsTaken);
    /// @notice Fill-or-kill or `minLots` not met: only `filled` of `required` lots were available.
    /// @param filled The lots available within the limits.
    /// @param required The lots required.
    error InsufficientFill(uint64 filled, uint64 required);
    /// @notice The deadline of a take passed.
    /// @param deadline The take's deadline.
    error DeadlinePassed(uint256 deadline);
    /// @notice The id does not name a resting order of this book.
    /// @param id The id given.
    error OrderNotFound(OrderId id);
    /// @notice Only the owner may cancel before expiry (or cancel or claim to its book balance).
    /// @param caller The sender of the call.
    /// @param owner The order's owner.
    error NotOrderOwner(address caller, address owner);
    /// @notice The order has no unfilled lots left to cancel.
    /// @param id The order's id.
    error NothingToCancel(OrderId id);
    /// @notice The order has no filled lots left to claim.
    /// @param id The first id given.
    error NothingToClaim(OrderId id);
    /// @notice A level already holds 2^32 - 1 orders in its lifetime, or its queue is full.
    /// @param tick The level's tick.
    error LevelFull(uint16 tick);
    /// @notice The hole list walk from the hint passed `MAX_HINT_WALK` holes; pass a fresh hint.
    /// @param id The order being cancelled.
    /// @param hint The hint given.
    error HoleHintTooFar(OrderId id, uint32 hint);
    /// @notice `token` delivered a different amount than transferred (fee-on-transfer, rebasing).
    /// @param token The token.
    error FeeOnTransferToken(address token);
    /// @notice The book factory's owner refuses `token` for maker balances (rebasing, or a fee
    /// charged to the sender): it cannot be deposited.
    /// @param token The token.
    error TokenRefusedForInternalBalance(address token);
    /// @notice `token` is neither the book's base nor its quote token.
    /// @param token The token given.
    error NotBookToken(address token);
    /// @notice A deposit or withdrawal of zero.
    error ZeroAmount();
    /// @notice A withdrawal to the zero address.
    error ZeroRecipient();
    /// @notice `owner`'s book balance of `token` is `balance`, below the `needed` amount.
    /// @param owner The account debited.
    /// @param token The token debited.
    /// @param balance The book balance.
    /// @param needed The amount to debit.
    error InsufficientBalance(address owner, address token, uint256 balance, uint256 needed);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An order rests: queue lots `[queueStart, queueStart + lots)` of its level (the
    /// side and tick are in `id`: `OrderIdLib.side`, `OrderIdLib.tick`).
    /// @param id The order's id.
    /// @param owner The maker.
    /// @param lots The lots that rest.
    /// @param queueStart The queue position of the order's first lot.
    /// @param expiry When anyone may cancel it (0: never).
    event OrderPlaced(
        OrderId indexed id, address indexed owner, uint32 lots, uint64 queueStart, uint40 expiry
    );
    /// @notice `taker` took `lots` lots resting on `makerSide` at `tick` (one event per level).
    /// @dev The level's cursor moved past `lots` unfilled lots (plus any holes in between).
    /// @param taker The taker.
    /// @param makerSide The side the lots rested on.
    /// @param tick The level's tick.
    /// @param lots The lots taken at the level.
    event Take(address indexed taker, Side indexed makerSide, uint16 indexed tick, uint64 lots);
    /// @notice Summary of one take: `paid` (fee included) of the token the taker sold,
    /// `received` of the token it bought, `fee` kept by the book.
    /// @param taker The taker.
    /// @param takerSide The taker's side (Bid: bought base).
    /// @param lots The lots taken in all.
    /// @param paid The amount of the sold token paid, taker fee included.
    /// @param received The amount of the bought token received.
    /// @param fee The taker fee, in the sold token.
    event Swap(
        address indexed taker,
        Side takerSide,
        uint64 lots,
        uint256 paid,
        uint256 received,
        uint256 fee
    );
    /// @notice `lots` unfilled lots of `id` cancelled (by its owner, or by anyone once it expired);
    /// their escrow went back to `owner`.
    /// @param id The order's id.
    /// @param owner The order's owner, refunded.
    /// @param lots The lots cancelled.
    event OrderCancelled(OrderId indexed id, address indexed owner, uint32 lots);
    /// @notice `lots` filled lots of `id` claimed; `proceeds` (maker fee or rebate applied) paid to `owner`.
    /// @param id The order's id.
    /// @param owner The order's owner, paid.
    /// @param lots The lots claimed.
    /// @param proceeds The amount paid or credited.
    event OrderClaimed(OrderId indexed id, address indexed owner, uint32 lots, uint256 proceeds);
    /// @notice Accrued fees of `token` sent to `recipient`.
    /// @param recipient The factory's fee recipient.
    /// @param token The token.
    /// @param amount The fees sent.
    event FeesCollected(address indexed recipient, address indexed token, uint256 amount);
    /// @notice `owner` moved `amount` of `token` from its wallet into its book balance, which
    /// is now `balance`.
    /// @param owner The depositor.
    /// @param token The token.
    /// @param amount The amount credited.
    /// @param balance The owner's book balance after the deposit.
    event Deposited(address indexed owner, address indexed token, uint256 amount, uint256 balance);
    /// @notice `owner` sent `amount` of `token` from its book balance to `to`; its balance is
    /// now `balance`.
    /// @param owner The account debited.
    /// @param token The token.
    /// @param to The receiver of the tokens.
    /// @param amount The amount sent.
    /// @param balance The owner's book balance after the withdrawal.
    event Withdrawn(
        address indexed owner, address indexed token, address to, uint256 amount, uint256 balance
    );
    /// @notice `owner`'s book balance of `token` is now `balance`, after `placeFromBalance`,
    /// `cancelToBalance` or `claimToBalance` (the order events of the same call say why).
    /// @dev Every event that changes a balance carries the new balance: an indexer keeps the
    /// last `balance` of `Deposited`, `Withdrawn` and `BalanceChanged` per (owner, token).
    /// @param owner The account.
    /// @param token The token.
    /// @param balance The owner's book balance now.
    event BalanceChanged(address indexed owner, address indexed token, uint256 balance);

    /*//////////////////////////////////////////////////////////////
                                 TRADING
    //////////////////////////////////////////////////////////////*/

    /// @notice Places an order of `lots` lots at `tick` on `side`.
    /// @dev Pulls from the caller (one `transferFrom`, approve first) the escrow of the resting
    /// part plus whatever it pays for the crossing part (a bid pays quote, an ask pays base),
    /// and sends the caller what it bought. `expiry` (0 = none) only for resting kinds.
    /// @param side Bid (buy base) or Ask (sell base).
    /// @param tick The limit tick (nonzero): the worst price taken, and the price the rest
    /// rests at.
    /// @param lots The order's size in lots.
    /// @param kind How the crossing and the resting parts are treated.
    /// @param expiry When anyone may cancel the resting part (0: never); resting kinds only.
    /// @param maxSteps Work bound of the crossing part (see the contract NatSpec).
    /// @return id The resting order's id (zero if nothing rests).
    /// @return takenLots Lots filled immediately against the opposite side.
    function place(
        Side side,
        uint16 tick,
        uint32 lots,
        OrderKind kind,
        uint40 expiry,
        uint32 maxSteps
    ) external returns (OrderId id, uint64 takenLots);

    /// @notice Market order: buys (`side` Bid) or sells (`side` Ask) up to `maxLots` lots at
    /// ticks no worse than `limitTick`, at least `minLots`, visiting at most `maxSteps` steps.
    /// @param side Bid (buy base, pay quote) or Ask (sell base, receive quote).
    /// @param limitTick The worst tick to take.
    /// @param maxLots Most lots to take (nonzero).
    /// @param minLots Fewest lots to take, else the call reverts `InsufficientFill`.
    /// @param maxSteps Work bound (nonzero; see the contract NatSpec).
    /// @param deadline Latest block timestamp the take may run at.
    /// @return lots Lots filled.
    /// @return paid Amount of the sold token paid, taker fee included.
    /// @return received Amount of the bought token received.
    function take(
        Side side,
        uint16 limitTick,
        uint64 maxLots,
        uint64 minLots,
        uint32 maxSteps,
        uint256 deadline
    ) external returns (uint64 lots, uint256 paid, uint256 received);

    /// @notice Cancels up to `maxLots` unfilled lots of `id` (the most recently queued ones)
    /// and returns exactly their escrow to the owner. The owner may always cancel; anyone may
    /// cancel all of an expired order. Filled lots stay claimable.
    /// @param id The order's id.
    /// @param maxLots Most lots to cancel.
    /// @param holeHint Index of the nearest hole before `id` in its level, from `holeHint`
    /// (any value works when the level has few holes; the walk from it is bounded).
    /// @return lots Lots cancelled.
    function cancel(OrderId id, uint32 maxLots, uint32 holeHint) external returns (uint32 lots);

    /// @notice Pays each order's filled, unclaimed lots to its owner. Anyone may call.
    /// @dev Ids with nothing to claim are skipped. Fully settled orders are deleted.
    /// @param ids The orders' ids.
    /// @return lots Total lots claimed.
    function claim(OrderId[] calldata ids) external returns (uint256 lots);

    /// @notice Sends accrued fees of both tokens to the factory's fee recipient. Anyone may call.
    function collectFees() external;

    /*//////////////////////////////////////////////////////////////
                             MAKER BALANCES
    //////////////////////////////////////////////////////////////*/

    /// @notice Moves `amount` of `token` (base or quote) from the caller's wallet into its book
    /// balance (approve first). Reverts `FeeOnTransferToken` unless exactly `amount` arrived,
    /// and `TokenRefusedForInternalBalance` for a token the book factory's owner refuses
    /// (`IBookFactory.internalBalanceRefused`: rebasing and sender-fee tokens).
    /// @param token The book's base or quote token.
    /// @param amount The amount to pull and credit (nonzero).
    function deposit(address token, uint256 amount) external;

    /// @notice Sends `amount` of `token` from the caller's own book balance to `to`. Works for
    /// refused tokens too.
    /// @dev The balance is debited before the transfer; what the book's own balance lost is
    /// measured, and a fee the token charged to the sender is debited from the caller's balance
    /// too (`InsufficientBalance` if it cannot pay it): `Withdrawn`'s `balance` is after both.
    /// @param token The book's base or quote token.
    /// @param amount The amount to debit and send (nonzero).
    /// @param to The receiver (nonzero).
    function withdraw(address token, uint256 amount, address to) external;

    /// @notice Like `place`, but the order is funded from the caller's book balance and what
    /// its crossing part buys is credited to it: no token moves. Reverts `InsufficientBalance`
    /// if the balance of the paid token is below escrow plus the crossing part's cost.
    /// @param side As `place`.
    /// @param tick As `place`.
    /// @param lots As `place`.
    /// @param kind As `place`.
    /// @param expiry As `place`.
    /// @param maxSteps As `place`.
    /// @return id The resting order's id (zero if nothing rests).
    /// @return takenLots Lots filled immediately against the opposite side.
    function placeFromBalance(
        Side side,
        uint16 tick,
        uint32 lots,
        OrderKind kind,
        uint40 expiry,
        uint32 maxSteps
    ) external returns (OrderId id, uint64 takenLots);

    /// @notice Like `cancel`, but only the owner may call (expired or not), and the refund is
    /// credited to its book balance instead of transferred.
    /// @param id The order's id.
    /// @param maxLots Most lots to cancel.
    /// @param holeHint As `cancel`.
    /// @return lots Lots cancelled.
    function cancelToBalance(OrderId id, uint32 maxLots, uint32 holeHint)
        external
        returns (uint32 lots);

    /// @notice Like `claim`, for the caller's own orders only (`NotOrderOwner` for another
    /// owner's id): the proceeds are credited to its book balance instead of transferred.
    /// @param ids The orders' ids.
    /// @return lots Total lots claimed.
    function claimToBalance(OrderId[] calldata ids) external returns (uint256 lots);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The factory that created this book.
    /// @return The book factory.
    function factory() external view returns (address);
    /// @notice The token bought by bids and sold by asks.
    /// @return The base token.
    function base() external view returns (address);
    /// @notice The token prices are quoted in.
    /// @return The quote token.
    function quote() external view returns (address);
    /// @notice Quote units per lot per tick: a lot at tick `t` costs `t * tickSize`.
    /// @return Quote units per lot per tick.
    function tickSize() external view returns (uint256);
    /// @notice Base units per lot.
    /// @return The lot size.
    function lotSize() external view returns (uint256);
    /// @notice Minimum lots of a resting order.
    /// @return The minimum.
    function minLots() external view returns (uint256);
    /// @notice Taker fee in parts per million of what the taker pays, charged on top.
    /// @return The taker fee, in ppm.
    function takerFeePpm() external view returns (uint24);
    /// @notice Maker fee (positive) or rebate (negative) in ppm of what the maker receives.
    /// @return The maker fee (negative: rebate), in ppm.
    function makerFeePpm() external view returns (int24);

    /// @notice Quote units per lot at `tick`.
    /// @param tick The tick.
    /// @return `tick * tickSize`.
    function priceOf(uint16 tick) external view returns (uint256);
    /// @notice The highest bid tick, `found` false when there are no bids.
    /// @return tick The best bid tick (0 if none).
    /// @return found Whether any bid rests.
    function bestBid() external view returns (uint16 tick, bool found);
    /// @notice The lowest ask tick, `found` false when there are no asks.
    /// @return tick The best ask tick (0 if none).
    /// @return found Whether any ask rests.
    function bestAsk() external view returns (uint16 tick, bool found);
    /// @notice Unfilled lots resting at `tick` on `side`.
    /// @param side The side.
    /// @param tick The tick.
    /// @return The unfilled lots.
    function levelLots(Side side, uint16 tick) external view returns (uint64);
    /// @notice The best `levels` levels of `side`, best first.
    /// @param side The side.
    /// @param levels Most levels to return.
    /// @return The levels found (fewer than `levels` when the side has fewer).
    function depth(Side side, uint256 levels) external view returns (LevelDepth[] memory);
    /// @notice One order's state (all zero once it is fully settled and deleted).
    /// @param id The order's id.
    /// @return The order's state.
    function orderInfo(OrderId id) external view returns (OrderInfo memory);
    /// @notice The best `holeHint` for cancelling `id`: the nearest hole before it.
    /// @param id The order's id.
    /// @return The hint to pass to `cancel`.
    function holeHint(OrderId id) external view returns (uint32);
    /// @notice Accrued fees not yet collected.
    /// @return baseFees Fees in the base token.
    /// @return quoteFees Fees in the quote token.
    function feesAccrued() external view returns (uint256 baseFees, uint256 quoteFees);
    /// @notice `owner`'s book balance of `token` (zero for a token that is not base or quote).
    /// @param owner The account.
    /// @param token The token.
    /// @return The book balance.
    function balanceOf(address owner, address token) external view returns (uint256);
}
