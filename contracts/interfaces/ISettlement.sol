// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISettlement
/// @notice Batch settlement of EIP-712 signed orders at uniform clearing prices.
/// @dev An allow-listed relayer submits `settle(tokens, clearingPrices, trades)`. Every trade
/// names one signed order (see `docs/orders.md`) and how much of it to execute. The contract
/// pulls every sold amount (plus fee) first, then pushes every bought amount, and requires per
/// token that no more leaves than came in; the surplus (fees and rounding dust) is credited to
/// the fee recipient's internal balance. Nobody, the owner included, can move user funds.
interface ISettlement {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice The signed order, field for field the EIP-712 `Order` type.
    struct Order {
        address owner;
        address receiver;
        address sellToken;
        address buyToken;
        uint256 sellAmount;
        uint256 buyAmount;
        uint256 feeAmount;
        uint32 validTo;
        uint256 nonce;
        uint8 flags;
    }

    /// @notice One order executed in a batch: nine static words (288 bytes of calldata).
    /// @dev Only an encoding: the order the owner signed is the EIP-712 `Order` rebuilt from
    /// these words (see `docs/settlement.md`). `packed` holds the narrow fields, low bits first:
    ///
    /// | bits | field |
    /// |---|---|
    /// | 0..159 | `owner` |
    /// | 160..191 | `validTo` |
    /// | 192..199 | `sellTokenIndex` (the order's `sellToken` is `tokens[sellTokenIndex]`) |
    /// | 200..207 | `buyTokenIndex` |
    /// | 208..215 | `flags` |
    /// | 216..223 | `signingScheme`: 0 EIP-712 ECDSA, 1 EIP-1271, 2 pre-sign |
    /// | 224..231 | ECDSA `v` (27 or 28; zero for the other schemes) |
    /// | 232..247 | `payee`: 0, or 1 + the index of the trade whose bought amount this trade's
    /// sold amount pays directly, owner to receiver (see `settle`) |
    /// | 248..255 | zero |
    ///
    /// ECDSA signatures are `(r, s, v)`; for EIP-1271 `r` is the index of the signature bytes
    /// in `settle`'s `signatures`; for pre-sign `r`, `s` and `v` are zero. Named `TradeData`
    /// because `Trade` is the event.
    struct TradeData {
        uint256 packed;
        address receiver;
        uint256 sellAmount;
        uint256 buyAmount;
        uint256 feeAmount;
        uint256 nonce;
        /// @dev Sold amount for this fill, fee excluded. Fill-or-kill: `sellAmount`, or 0 for
        /// the same (the cheaper calldata; `crossbook.settlement.build_batch` encodes 0).
        uint256 executedSellAmount;
        bytes32 r;
        bytes32 s;
    }

    /// @notice The part of a batch that did not cross, sold into one of the protocol's own
    /// pools: `amountIn` of `tokens[tokenInIndex]` for at least `minAmountOut` of
    /// `tokens[tokenOutIndex]`, in the pool of that pair and `fee` tier created by the AMM
    /// factory (never an arbitrary address or call).
    struct PoolLeg {
        uint8 tokenInIndex;
        uint8 tokenOutIndex;
        uint16 fee;
        uint256 amountIn;
        uint256 minAmountOut;
    }

    /// @notice The part of a batch that did not cross, taken from the protocol's own on-chain
    /// book of market (`base`, `quote`, `tickSize`, `lotSize`, `minLots`) as created by the
    /// book factory: a market order on `side` (0 buys base, 1 sells base) at ticks no worse
    /// than `limitTick`, between `minTakeLots` and `maxLots` lots, at most `maxSteps` steps.
    struct BookLeg {
        address base;
        address quote;
        uint256 tickSize;
        uint256 lotSize;
        uint256 minLots;
        uint8 side;
        uint16 limitTick;
        uint64 maxLots;
        uint64 minTakeLots;
        uint32 maxSteps;
    }

    /// @notice What `orderStatus` reports, checked in this order.
    enum OrderStatus {
        /// @dev Fillable now (a signature is not checked by the view).
        Open,
        /// @dev Partially fillable order filled to its whole `sellAmount`.
        Filled,
        /// @dev Cancelled by `cancelOrder` (partially fillable) or below the owner's nonce floor.
        Cancelled,
        /// @dev `validTo` is in the past.
        Expired,
        /// @dev Can never fill: a zero amount, the same token twice or unknown flag bits.
        Invalid,
        /// @dev Fill-or-kill order whose nonce slot is spent: it was filled, cancelled or its
        /// nonce invalidated; the `Trade` / `OrderCancelled` / `NonceInvalidated` events tell which.
        NonceSpent
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice `caller` is not an allow-listed relayer.
    error NotRelayer(address caller);
    /// @notice `settle` is paused.
    error SettlementPaused();
    /// @notice `caller` is neither the guardian nor the owner.
    error NotGuardian(address caller);
    /// @notice A zero address where an account is required.
    error ZeroAddress();
    /// @notice `tokens` and `clearingPrices` differ in length.
    error LengthMismatch(uint256 tokens, uint256 clearingPrices);
    /// @notice `token` appears twice in the batch's token list.
    error DuplicateToken(address token);
    /// @notice The clearing price of `token` is zero.
    error ZeroClearingPrice(address token);
    /// @notice A trade's token index is beyond the batch's token list.
    error TokenIndexOutOfRange(uint256 index);

    /// @notice The order's `sellAmount` or `buyAmount` is zero.
    error ZeroAmount(bytes32 orderUid);
    /// @notice The order sells and buys the same `token`.
    error SameToken(bytes32 orderUid, address token);
    /// @notice The order sets flag bits other than bits 0..2.
    error InvalidFlags(bytes32 orderUid, uint8 flags);
    /// @notice The order expired at `validTo`.
    error OrderExpired(bytes32 orderUid, uint32 validTo);
    /// @notice The order's nonce is below the owner's nonce floor (cancelled).
    error NonceBelowFloor(bytes32 orderUid, uint256 nonce, uint256 floor);
    /// @notice The trade executes nothing (a partially fillable order's executed amount is 0;
    /// for a fill-or-kill order 0 encodes the whole `sellAmount`).
    error ZeroExecutedAmount(bytes32 orderUid);
    /// @notice A fill-or-kill order must execute exactly its `sellAmount`.
    error FillOrKillAmount(bytes32 orderUid, uint256 executedSellAmount, uint256 sellAmount);
    /// @notice The fill-or-kill order's nonce slot is already spent (filled, cancelled, invalidated).
    error NonceAlreadySpent(bytes32 orderUid, address owner, uint256 nonce);
    /// @notice The partially fillable order was cancelled by its owner.
    error CancelledOrder(bytes32 orderUid);
    /// @notice The fill would take the order beyond its `sellAmount`.
    error OrderOverfilled(bytes32 orderUid, uint256 filledAmount, uint256 executedSellAmount);
    /// @notice The clearing prices give the order less than its limit price.
    error LimitPriceNotMet(bytes32 orderUid, uint256 executedSellAmount, uint256 boughtAmount);

    /// @notice Unknown signing scheme.
    error InvalidSigningScheme(bytes32 orderUid, uint8 scheme);
    /// @notice ECDSA `v` is not 27 or 28.
    error InvalidSignatureV(bytes32 orderUid, uint8 v);
    /// @notice ECDSA `s` is in the upper half of the curve order (malleable form).
    error SignatureHighS(bytes32 orderUid);
    /// @notice ECDSA recovered `recovered` (zero for an unrecoverable signature), not the owner.
    error InvalidSigner(bytes32 orderUid, address recovered);
    /// @notice EIP-1271 owner `owner` has no code.
    error SignerHasNoCode(bytes32 orderUid, address owner);
    /// @notice EIP-1271 owner `owner` did not return the magic value within the gas stipend.
    error InvalidContractSignature(bytes32 orderUid, address owner);
    /// @notice The owner has not pre-signed the order.
    error NotPreSigned(bytes32 orderUid, address owner);
    /// @notice A pre-signed order's trade carries signature words (`r`, `s`, `v` must be zero).
    error SignatureNotEmpty(bytes32 orderUid);
    /// @notice An EIP-1271 trade's `r` names no entry of `signatures`.
    error SignatureIndexOutOfRange(bytes32 orderUid, uint256 index);
    /// @notice Trade `payer` cannot pay trade `payee` directly: the payee is out of range or
    /// already paid, one side uses internal balances, the tokens or amounts differ, or the
    /// payer would pay itself.
    error InvalidDirectPayment(uint256 payer, uint256 payee);

    /// @notice `owner`'s internal balance of `token` is `balance`, below `needed`.
    error InsufficientInternalBalance(address owner, address token, uint256 balance, uint256 needed);
    /// @notice The batch would pay out more `token` than it took in.
    error TokenNotConserved(address token, uint256 pulled, uint256 pushed);
    /// @notice `token` delivered a different amount than transferred (fee-on-transfer, rebasing).
    error FeeOnTransferToken(address token);

    /// @notice Only the order's owner can cancel it.
    error NotOrderOwner(address caller, address owner);
    /// @notice The nonce floor only rises.
    error NonceFloorNotRaised(uint256 current, uint256 requested);

    /// @notice Legs need the AMM and book factories, which the owner has not set.
    error LiquiditySourcesNotSet();
    /// @notice The AMM and book factories are set once, and already are.
    error LiquiditySourcesAlreadySet();
    /// @notice More legs than `MAX_LEGS` in one batch.
    error TooManyLegs(uint256 count);
    /// @notice The AMM factory has no pool of `tokenIn`/`tokenOut` at `fee`.
    error UnknownPool(address tokenIn, address tokenOut, uint16 fee);
    /// @notice The book factory has no book of `market`.
    error UnknownBook(bytes32 market);
    /// @notice A book leg's side is neither 0 (buy base) nor 1 (sell base).
    error InvalidBookSide(uint8 side);
    /// @notice A leg's token is not in the batch's token list.
    error LegTokenNotInBatch(address token);
    /// @notice Pool leg `index` would return `amountOut`, below its `minAmountOut`.
    error LegAmountOutTooLow(uint256 index, uint256 amountOut, uint256 minAmountOut);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice One fill: `soldAmount` (fee excluded) of `sellToken` sold for `boughtAmount` of
    /// `buyToken`, plus `feeAmount` of `sellToken` paid as fee.
    event Trade(
        bytes32 indexed orderUid,
        address indexed owner,
        address sellToken,
        address buyToken,
        uint256 soldAmount,
        uint256 boughtAmount,
        uint256 feeAmount
    );
    /// @notice A batch of `trades` fills settled by `relayer`.
    event Settled(address indexed relayer, uint256 trades);
    /// @notice `amount` of `token` (fees and rounding surplus) credited to `feeRecipient`'s internal balance.
    event FeesCollected(address indexed feeRecipient, address indexed token, uint256 amount);

    /// @notice `owner` deposited `amount` of `token` into its internal balance.
    event Deposited(address indexed owner, address indexed token, uint256 amount);
    /// @notice `owner` withdrew `amount` of `token` from its internal balance to `to`.
    event Withdrawn(address indexed owner, address indexed token, address to, uint256 amount);

    /// @notice `owner` cancelled the order `orderUid`.
    event OrderCancelled(bytes32 indexed orderUid, address indexed owner);
    /// @notice `owner` spent the nonce bits `mask` of bitmap word `word`.
    event NonceInvalidated(address indexed owner, uint256 word, uint256 mask);
    /// @notice `owner` raised its nonce floor to `floor`.
    event NonceFloorRaised(address indexed owner, uint256 floor);
    /// @notice `owner` set (or revoked) its pre-signature of `orderUid`.
    event PreSignatureSet(address indexed owner, bytes32 indexed orderUid, bool signed);

    /// @notice The owner allowed or disallowed `relayer`.
    event RelayerSet(address indexed relayer, bool allowed);
    /// @notice The owner set the guardian.
    event GuardianSet(address indexed guardian);
    /// @notice The owner set the fee recipient.
    event FeeRecipientSet(address indexed feeRecipient);
    /// @notice `account` paused or unpaused `settle`.
    event PauseSet(address indexed account, bool paused);
    /// @notice Legs may use pools of `ammFactory` and books of `bookFactory` from now on.
    event LiquiditySourcesSet(address ammFactory, address bookFactory);
    /// @notice A pool leg sold `amountIn` of `tokenIn` for `amountOut` of `tokenOut`.
    event PoolLegExecuted(
        address indexed pool, address tokenIn, address tokenOut, uint256 amountIn, uint256 amountOut
    );
    /// @notice A book leg took `lots` lots on `side`, paying `paid` and receiving `received`.
    event BookLegExecuted(
        address indexed book, uint8 side, uint64 lots, uint256 paid, uint256 received
    );

    /*//////////////////////////////////////////////////////////////
                               SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @notice Settles a batch. Only allow-listed relayers, only while not paused.
    /// @dev Atomic: any invalid trade reverts the whole batch with a typed error naming it.
    /// `boughtAmount = floor(executedSellAmount * clearingPrices[sell] / clearingPrices[buy])`
    /// and `fee = floor(feeAmount * executedSellAmount / sellAmount)`.
    /// A trade with a `payee` sends its sold amount straight from its owner's wallet to the
    /// payee trade's receiver instead of through the contract (both wallet-side, same token,
    /// `executedSellAmount == payee's boughtAmount`, each trade paid at most once); the first
    /// such transfer of each token per batch is measured at the receiver, so fee-on-transfer
    /// tokens are rejected there too.
    /// @param tokens The batch's tokens, pairwise distinct.
    /// @param clearingPrices One nonzero price per token, in a common numeraire.
    /// @param trades The fills.
    /// @param signatures EIP-1271 signature bytes, named by index from the trades' `r`.
    function settle(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        TradeData[] calldata trades,
        bytes[] calldata signatures
    ) external;

    /*//////////////////////////////////////////////////////////////
                            INTERNAL BALANCES
    //////////////////////////////////////////////////////////////*/

    /// @notice Moves `amount` of `token` from the caller's wallet into its internal balance.
    /// @dev Requires an allowance. Reverts `FeeOnTransferToken` unless exactly `amount` arrives.
    function deposit(address token, uint256 amount) external;

    /// @notice Sends `amount` of `token` from the caller's internal balance to `to`. Works while paused.
    function withdraw(address token, uint256 amount, address to) external;

    /// @notice `owner`'s internal balance of `token`.
    function balanceOf(address owner, address token) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                        CANCELLATION AND SIGNING
    //////////////////////////////////////////////////////////////*/

    /// @notice Cancels one order; the caller must be its owner. Works while paused.
    /// @dev Fill-or-kill: spends its nonce bit. Partially fillable: sets its filled amount to
    /// `type(uint256).max`.
    function cancelOrder(Order calldata order) external;

    /// @notice Spends the caller's nonce bits `mask` of bitmap word `word` (Permit2 style),
    /// cancelling every fill-or-kill order that uses one of them.
    function invalidateNonces(uint256 word, uint256 mask) external;

    /// @notice Raises the caller's nonce floor: every order with `nonce < floor` is cancelled.
    function setNonceFloor(uint256 floor) external;

    /// @notice Pre-signs (or revokes) `orderUid` for signing scheme 2; the caller is the owner.
    function setPreSignature(bytes32 orderUid, bool signed) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 domain separator (name "crossbook", version "1").
    function domainSeparator() external view returns (bytes32);

    /// @notice The order uid: the EIP-712 digest of `order`.
    function orderUid(Order calldata order) external view returns (bytes32);

    /// @notice Status and the sell amount still fillable (0 unless `Open`).
    function orderStatus(Order calldata order)
        external
        view
        returns (OrderStatus status, uint256 remainingSellAmount);

    /// @notice `orderStatus` for many orders.
    function orderStatuses(Order[] calldata orders)
        external
        view
        returns (OrderStatus[] memory statuses, uint256[] memory remainingSellAmounts);

    /// @notice Sold amount filled so far of a partially fillable order (`type(uint256).max` once cancelled).
    function filledAmount(bytes32 orderUid) external view returns (uint256);

    /// @notice `owner`'s nonce bitmap word `word` (bit set = spent).
    function nonceBitmap(address owner, uint256 word) external view returns (uint256);

    /// @notice Orders of `owner` with a lower nonce never fill.
    function nonceFloor(address owner) external view returns (uint256);

    /// @notice Whether `owner` pre-signed `orderUid`.
    function preSignature(address owner, bytes32 orderUid) external view returns (bool);

    /*//////////////////////////////////////////////////////////////
                                 ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether `relayer` may call `settle`.
    function isRelayer(address relayer) external view returns (bool);

    /// @notice Receives fees and surplus as internal balance.
    function feeRecipient() external view returns (address);

    /// @notice May pause `settle` (the owner may too).
    function guardian() external view returns (address);

    /// @notice Whether `settle` is paused.
    function paused() external view returns (bool);

    /// @notice Owner only: allow or disallow a relayer.
    function setRelayer(address relayer, bool allowed) external;

    /// @notice Owner only: set the guardian (zero to remove).
    function setGuardian(address guardian) external;

    /// @notice Owner only: set the fee recipient (nonzero).
    function setFeeRecipient(address feeRecipient) external;

    /// @notice Guardian or owner: pause `settle`. Cancels, deposits and withdrawals keep working.
    function pause() external;

    /// @notice Owner only: resume `settle`.
    function unpause() external;

    /// @notice Like `settle`, and routes what did not cross into the protocol's own pools and
    /// books (`poolLegs`, then `bookLegs`) after every order's tokens came in and before any
    /// payout. Every order still gets at least its limit price at `clearingPrices`, and per
    /// token what leaves (payouts and leg inputs) is at most what came in (order inputs and
    /// leg outputs).
    function settleWithLiquidity(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        TradeData[] calldata trades,
        bytes[] calldata signatures,
        PoolLeg[] calldata poolLegs,
        BookLeg[] calldata bookLegs
    ) external;

    /// @notice Owner only, once: the AMM factory and the book factory legs may use.
    function setLiquiditySources(address ammFactory, address bookFactory) external;

    /// @notice The AMM factory legs may use (zero until set).
    function ammFactory() external view returns (address);

    /// @notice The book factory legs may use (zero until set).
    function bookFactory() external view returns (address);
}
