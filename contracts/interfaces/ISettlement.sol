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
    /// @param caller The sender of the `settle` call.
    error NotRelayer(address caller);
    /// @notice `settle` is paused.
    error SettlementPaused();
    /// @notice `caller` is neither the guardian nor the owner.
    /// @param caller The sender of the `pause` call.
    error NotGuardian(address caller);
    /// @notice A zero address where an account is required.
    error ZeroAddress();
    /// @notice `tokens` and `clearingPrices` differ in length.
    /// @param tokens `tokens.length`.
    /// @param clearingPrices `clearingPrices.length`.
    error LengthMismatch(uint256 tokens, uint256 clearingPrices);
    /// @notice `token` appears twice in the batch's token list.
    /// @param token The repeated token.
    error DuplicateToken(address token);
    /// @notice The clearing price of `token` is zero.
    /// @param token The token whose price is zero.
    error ZeroClearingPrice(address token);
    /// @notice A trade's token index is beyond the batch's token list.
    /// @param index The out-of-range index.
    error TokenIndexOutOfRange(uint256 index);

    /// @notice The order's `sellAmount` or `buyAmount` is zero.
    /// @param orderUid The order's uid.
    error ZeroAmount(bytes32 orderUid);
    /// @notice The order sells and buys the same `token`.
    /// @param orderUid The order's uid.
    /// @param token The token on both sides.
    error SameToken(bytes32 orderUid, address token);
    /// @notice The order sets flag bits other than bits 0..2.
    /// @param orderUid The order's uid.
    /// @param flags The order's flags.
    error InvalidFlags(bytes32 orderUid, uint8 flags);
    /// @notice The order expired at `validTo`.
    /// @param orderUid The order's uid.
    /// @param validTo The order's last valid timestamp.
    error OrderExpired(bytes32 orderUid, uint32 validTo);
    /// @notice The order's nonce is below the owner's nonce floor (cancelled).
    /// @param orderUid The order's uid.
    /// @param nonce The order's nonce.
    /// @param floor The owner's nonce floor.
    error NonceBelowFloor(bytes32 orderUid, uint256 nonce, uint256 floor);
    /// @notice The trade executes nothing (a partially fillable order's executed amount is 0;
    /// for a fill-or-kill order 0 encodes the whole `sellAmount`).
    /// @param orderUid The order's uid.
    error ZeroExecutedAmount(bytes32 orderUid);
    /// @notice A fill-or-kill order must execute exactly its `sellAmount`.
    /// @param orderUid The order's uid.
    /// @param executedSellAmount The trade's executed sell amount.
    /// @param sellAmount The order's sell amount.
    error FillOrKillAmount(bytes32 orderUid, uint256 executedSellAmount, uint256 sellAmount);
    /// @notice The fill-or-kill order's nonce slot is already spent (filled, cancelled, invalidated).
    /// @param orderUid The order's uid.
    /// @param owner The order's owner.
    /// @param nonce The spent nonce.
    error NonceAlreadySpent(bytes32 orderUid, address owner, uint256 nonce);
    /// @notice The partially fillable order was cancelled by its owner.
    /// @param orderUid The order's uid.
    error CancelledOrder(bytes32 orderUid);
    /// @notice The fill would take the order beyond its `sellAmount`.
    /// @param orderUid The order's uid.
    /// @param filledAmount The sell amount filled before this trade.
    /// @param executedSellAmount The trade's executed sell amount.
    error OrderOverfilled(bytes32 orderUid, uint256 filledAmount, uint256 executedSellAmount);
    /// @notice The clearing prices give the order less than its limit price.
    /// @param orderUid The order's uid.
    /// @param executedSellAmount The trade's executed sell amount.
    /// @param boughtAmount What the clearing prices would give for it.
    error LimitPriceNotMet(bytes32 orderUid, uint256 executedSellAmount, uint256 boughtAmount);

    /// @notice Unknown signing scheme.
    /// @param orderUid The order's uid.
    /// @param scheme The trade's signing scheme byte.
    error InvalidSigningScheme(bytes32 orderUid, uint8 scheme);
    /// @notice ECDSA `v` is not 27 or 28.
    /// @param orderUid The order's uid.
    /// @param v The trade's `v`.
    error InvalidSignatureV(bytes32 orderUid, uint8 v);
    /// @notice ECDSA `s` is in the upper half of the curve order (malleable form).
    /// @param orderUid The order's uid.
    error SignatureHighS(bytes32 orderUid);
    /// @notice ECDSA recovered `recovered` (zero for an unrecoverable signature), not the owner.
    /// @param orderUid The order's uid.
    /// @param recovered The recovered signer.
    error InvalidSigner(bytes32 orderUid, address recovered);
    /// @notice EIP-1271 owner `owner` has no code.
    /// @param orderUid The order's uid.
    /// @param owner The order's owner.
    error SignerHasNoCode(bytes32 orderUid, address owner);
    /// @notice EIP-1271 owner `owner` did not return the magic value within the gas stipend.
    /// @param orderUid The order's uid.
    /// @param owner The order's owner.
    error InvalidContractSignature(bytes32 orderUid, address owner);
    /// @notice The owner has not pre-signed the order.
    /// @param orderUid The order's uid.
    /// @param owner The order's owner.
    error NotPreSigned(bytes32 orderUid, address owner);
    /// @notice A pre-signed order's trade carries signature words (`r`, `s`, `v` must be zero).
    /// @param orderUid The order's uid.
    error SignatureNotEmpty(bytes32 orderUid);
    /// @notice An EIP-1271 trade's `r` names no entry of `signatures`.
    /// @param orderUid The order's uid.
    /// @param index The trade's `r`, read as an index.
    error SignatureIndexOutOfRange(bytes32 orderUid, uint256 index);
    /// @notice Trade `payer` cannot pay trade `payee` directly: the payee is out of range or
    /// already paid, one side uses internal balances, the tokens or amounts differ, or the
    /// payer would pay itself.
    /// @param payer Index of the paying trade.
    /// @param payee Index of the paid trade.
    error InvalidDirectPayment(uint256 payer, uint256 payee);

    /// @notice `owner`'s internal balance of `token` is `balance`, below `needed`.
    /// @param owner The account debited.
    /// @param token The token debited.
    /// @param balance The internal balance.
    /// @param needed The amount to debit.
    error InsufficientInternalBalance(
        address owner, address token, uint256 balance, uint256 needed
    );
    /// @notice The batch would pay out more `token` than it took in.
    /// @param token The token.
    /// @param pulled What the batch took in (order inputs and leg outputs).
    /// @param pushed What the batch would pay out (payouts and leg inputs).
    error TokenNotConserved(address token, uint256 pulled, uint256 pushed);
    /// @notice `token` delivered a different amount than transferred (fee-on-transfer, rebasing).
    /// @param token The token.
    error FeeOnTransferToken(address token);

    /// @notice Only the order's owner can cancel it.
    /// @param caller The sender of the `cancelOrder` call.
    /// @param owner The order's owner.
    error NotOrderOwner(address caller, address owner);
    /// @notice The nonce floor only rises.
    /// @param current The caller's nonce floor.
    /// @param requested The floor asked for, at most `current`.
    error NonceFloorNotRaised(uint256 current, uint256 requested);

    /// @notice Legs need the AMM and book factories, which the owner has not set.
    error LiquiditySourcesNotSet();
    /// @notice The AMM and book factories are set once, and already are.
    error LiquiditySourcesAlreadySet();
    /// @notice More legs than `MAX_LEGS` in one batch.
    /// @param count Pool legs plus book legs.
    error TooManyLegs(uint256 count);
    /// @notice The AMM factory has no pool of `tokenIn`/`tokenOut` at `fee`.
    /// @param tokenIn The leg's input token.
    /// @param tokenOut The leg's output token.
    /// @param fee The leg's fee tier.
    error UnknownPool(address tokenIn, address tokenOut, uint16 fee);
    /// @notice The book factory has no book of `market`.
    /// @param market The market id of the leg's parameters.
    error UnknownBook(bytes32 market);
    /// @notice A book leg's side is neither 0 (buy base) nor 1 (sell base).
    /// @param side The leg's side.
    error InvalidBookSide(uint8 side);
    /// @notice A leg's token is not in the batch's token list.
    /// @param token The leg's token.
    error LegTokenNotInBatch(address token);
    /// @notice Pool leg `index` would return `amountOut`, below its `minAmountOut`.
    /// @param index The leg's index in `poolLegs`.
    /// @param amountOut The pool's output.
    /// @param minAmountOut The leg's minimum output.
    error LegAmountOutTooLow(uint256 index, uint256 amountOut, uint256 minAmountOut);
    /// @notice Pool leg `index` sold `amountIn` for `amountOut`: worth less, at the batch's
    /// clearing prices, than what it sold less `legPriceToleranceBps`.
    /// @param index The leg's index in `poolLegs`.
    /// @param amountIn The amount the leg sold.
    /// @param amountOut The amount the pool returned.
    error PoolLegBelowClearingPrice(uint256 index, uint256 amountIn, uint256 amountOut);
    /// @notice Book leg `index` paid `paid` (taker fee included) for `received`: worth less, at
    /// the batch's clearing prices, than what it paid less `legPriceToleranceBps`.
    /// @param index The leg's index in `bookLegs`.
    /// @param paid The amount the leg paid, measured.
    /// @param received The amount the leg received, measured.
    error BookLegBelowClearingPrice(uint256 index, uint256 paid, uint256 received);
    /// @notice The leg price tolerance asked for is above `MAX_LEG_PRICE_TOLERANCE_BPS`.
    /// @param bps The tolerance asked for.
    /// @param max The bound.
    error LegPriceToleranceTooHigh(uint256 bps, uint256 max);
    /// @notice The owner refuses `token` for internal balances (rebasing, or a fee charged to
    /// the sender): it cannot be deposited.
    /// @param token The token.
    error TokenRefusedForInternalBalance(address token);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice One fill: `soldAmount` (fee excluded) of `sellToken` sold for `boughtAmount` of
    /// `buyToken`, plus `feeAmount` of `sellToken` paid as fee.
    /// @param orderUid The order's uid.
    /// @param owner The order's owner.
    /// @param sellToken The token sold.
    /// @param buyToken The token bought.
    /// @param soldAmount The executed sell amount, fee excluded.
    /// @param boughtAmount The amount bought, paid to the receiver.
    /// @param feeAmount The fee taken, in `sellToken`.
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
    /// @param relayer The sender of the `settle` call.
    /// @param trades The number of fills.
    event Settled(address indexed relayer, uint256 trades);
    /// @notice `amount` of `token` (fees and rounding surplus) credited to `feeRecipient`'s
    /// internal balance.
    /// @param feeRecipient The fee recipient at the time of the batch.
    /// @param token The token.
    /// @param amount The surplus credited.
    event FeesCollected(address indexed feeRecipient, address indexed token, uint256 amount);

    /// @notice `owner` deposited `amount` of `token` into its internal balance.
    /// @param owner The depositor.
    /// @param token The token.
    /// @param amount The amount credited.
    event Deposited(address indexed owner, address indexed token, uint256 amount);
    /// @notice `owner` withdrew `amount` of `token` from its internal balance to `to`.
    /// @param owner The account debited.
    /// @param token The token.
    /// @param to The receiver of the tokens.
    /// @param amount The amount debited and sent.
    event Withdrawn(address indexed owner, address indexed token, address to, uint256 amount);

    /// @notice `owner` cancelled the order `orderUid`.
    /// @param orderUid The order's uid.
    /// @param owner The order's owner.
    event OrderCancelled(bytes32 indexed orderUid, address indexed owner);
    /// @notice `owner` spent the nonce bits `mask` of bitmap word `word`.
    /// @param owner The account.
    /// @param word The bitmap word: nonces `[256 * word, 256 * word + 256)`.
    /// @param mask The bits spent (bit `i` is nonce `256 * word + i`).
    event NonceInvalidated(address indexed owner, uint256 word, uint256 mask);
    /// @notice `owner` raised its nonce floor to `floor`.
    /// @param owner The account.
    /// @param floor The new floor.
    event NonceFloorRaised(address indexed owner, uint256 floor);
    /// @notice `owner` set (or revoked) its pre-signature of `orderUid`.
    /// @param owner The account.
    /// @param orderUid The order's uid.
    /// @param signed Whether the order is now pre-signed.
    event PreSignatureSet(address indexed owner, bytes32 indexed orderUid, bool signed);

    /// @notice The owner allowed or disallowed `relayer`.
    /// @param relayer The relayer.
    /// @param allowed Whether it may call `settle` now.
    event RelayerSet(address indexed relayer, bool allowed);
    /// @notice The owner set the guardian.
    /// @param guardian The new guardian (zero: none).
    event GuardianSet(address indexed guardian);
    /// @notice The owner set the fee recipient.
    /// @param feeRecipient The new fee recipient.
    event FeeRecipientSet(address indexed feeRecipient);
    /// @notice `account` paused or unpaused `settle`.
    /// @param account The guardian or owner who called.
    /// @param paused Whether `settle` is paused now.
    event PauseSet(address indexed account, bool paused);
    /// @notice Legs may use pools of `ammFactory` and books of `bookFactory` from now on.
    /// @param ammFactory The AMM factory.
    /// @param bookFactory The book factory.
    event LiquiditySourcesSet(address ammFactory, address bookFactory);
    /// @notice Legs must now trade at least at the clearing prices less `bps` basis points.
    /// @param bps The tolerance, in basis points of what a leg pays.
    event LegPriceToleranceSet(uint256 bps);
    /// @notice Deposits of `token` are now refused (`refused`) or accepted again.
    /// @param token The token.
    /// @param refused Whether deposits of it revert `TokenRefusedForInternalBalance`.
    event InternalBalanceRefusedSet(address indexed token, bool refused);
    /// @notice A withdrawal of `token` cost the contract `fee` more than it sent (a fee charged
    /// to the sender): `fee` was debited from `owner`'s internal balance on top of the amount.
    /// @param owner The account that withdrew.
    /// @param token The token.
    /// @param fee The extra amount debited.
    event WithdrawalFeeCharged(address indexed owner, address indexed token, uint256 fee);
    /// @notice A pool leg sold `amountIn` of `tokenIn` for `amountOut` of `tokenOut`.
    /// @param pool The pool.
    /// @param tokenIn The token sold.
    /// @param tokenOut The token bought.
    /// @param amountIn The amount sold.
    /// @param amountOut The amount received, measured.
    event PoolLegExecuted(
        address indexed pool, address tokenIn, address tokenOut, uint256 amountIn, uint256 amountOut
    );
    /// @notice A book leg took `lots` lots on `side`, paying `paid` and receiving `received`.
    /// @param book The book.
    /// @param side 0 bought base, 1 sold base.
    /// @param lots The lots taken.
    /// @param paid The amount paid, taker fee included, measured.
    /// @param received The amount received, measured.
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
    /// @dev Requires an allowance. Reverts `FeeOnTransferToken` unless exactly `amount` arrives,
    /// and `TokenRefusedForInternalBalance` for a token the owner refuses
    /// (`internalBalanceRefused`).
    /// @param token The token.
    /// @param amount The amount to pull and credit.
    function deposit(address token, uint256 amount) external;

    /// @notice Sends `amount` of `token` from the caller's internal balance to `to`. Works
    /// while paused, for refused tokens too.
    /// @dev Measures what the contract's balance lost: a token that charges its transfer fee to
    /// the sender costs the caller `amount` plus that fee (`WithdrawalFeeCharged`), so other
    /// balances never pay it; reverts `InsufficientInternalBalance` if the balance cannot.
    /// @param token The token.
    /// @param amount The amount to debit and send.
    /// @param to The receiver (nonzero).
    function withdraw(address token, uint256 amount, address to) external;

    /// @notice `owner`'s internal balance of `token`.
    /// @param owner The account.
    /// @param token The token.
    /// @return The internal balance.
    function balanceOf(address owner, address token) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                        CANCELLATION AND SIGNING
    //////////////////////////////////////////////////////////////*/

    /// @notice Cancels one order; the caller must be its owner. Works while paused.
    /// @dev Fill-or-kill: spends its nonce bit. Partially fillable: sets its filled amount to
    /// `type(uint256).max`.
    /// @param order The order, as signed.
    function cancelOrder(Order calldata order) external;

    /// @notice Spends the caller's nonce bits `mask` of bitmap word `word` (Permit2 style),
    /// cancelling every fill-or-kill order that uses one of them.
    /// @param word The bitmap word: nonces `[256 * word, 256 * word + 256)`.
    /// @param mask The bits to spend (bit `i` is nonce `256 * word + i`).
    function invalidateNonces(uint256 word, uint256 mask) external;

    /// @notice Raises the caller's nonce floor: every order with `nonce < floor` is cancelled.
    /// @param floor The new floor, above the current one.
    function setNonceFloor(uint256 floor) external;

    /// @notice Pre-signs (or revokes) `orderUid` for signing scheme 2; the caller is the owner.
    /// @param orderUid The order's uid.
    /// @param signed True to pre-sign, false to revoke.
    function setPreSignature(bytes32 orderUid, bool signed) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 domain separator (name "crossbook", version "1").
    /// @return The domain separator for this chain and contract.
    function domainSeparator() external view returns (bytes32);

    /// @notice The order uid: the EIP-712 digest of `order`.
    /// @param order The order.
    /// @return The digest the owner signs.
    function orderUid(Order calldata order) external view returns (bytes32);

    /// @notice Status and the sell amount still fillable (0 unless `Open`).
    /// @param order The order.
    /// @return status The first status of `OrderStatus`'s order of checks that applies.
    /// @return remainingSellAmount The sell amount still fillable (0 unless `Open`).
    function orderStatus(Order calldata order)
        external
        view
        returns (OrderStatus status, uint256 remainingSellAmount);

    /// @notice `orderStatus` for many orders.
    /// @param orders The orders.
    /// @return statuses Each order's status.
    /// @return remainingSellAmounts Each order's fillable sell amount.
    function orderStatuses(Order[] calldata orders)
        external
        view
        returns (OrderStatus[] memory statuses, uint256[] memory remainingSellAmounts);

    /// @notice Sold amount filled so far of a partially fillable order (`type(uint256).max`
    /// once cancelled).
    /// @param orderUid The order's uid.
    /// @return The sell amount filled.
    function filledAmount(bytes32 orderUid) external view returns (uint256);

    /// @notice `owner`'s nonce bitmap word `word` (bit set = spent).
    /// @param owner The account.
    /// @param word The bitmap word: nonces `[256 * word, 256 * word + 256)`.
    /// @return The word; bit `i` is nonce `256 * word + i`.
    function nonceBitmap(address owner, uint256 word) external view returns (uint256);

    /// @notice Orders of `owner` with a lower nonce never fill.
    /// @param owner The account.
    /// @return The nonce floor.
    function nonceFloor(address owner) external view returns (uint256);

    /// @notice Whether `owner` pre-signed `orderUid`.
    /// @param owner The account.
    /// @param orderUid The order's uid.
    /// @return Whether the order is pre-signed.
    function preSignature(address owner, bytes32 orderUid) external view returns (bool);

    /*//////////////////////////////////////////////////////////////
                                 ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether `relayer` may call `settle`.
    /// @param relayer The account.
    /// @return Whether it is allow-listed.
    function isRelayer(address relayer) external view returns (bool);

    /// @notice Receives fees and surplus as internal balance.
    /// @return The fee recipient.
    function feeRecipient() external view returns (address);

    /// @notice May pause `settle` (the owner may too).
    /// @return The guardian (zero: none).
    function guardian() external view returns (address);

    /// @notice Whether `settle` is paused.
    /// @return True while paused.
    function paused() external view returns (bool);

    /// @notice Owner only: allow or disallow a relayer.
    /// @param relayer The account.
    /// @param allowed Whether it may call `settle`.
    function setRelayer(address relayer, bool allowed) external;

    /// @notice Owner only: set the guardian (zero to remove).
    /// @param guardian The new guardian.
    function setGuardian(address guardian) external;

    /// @notice Owner only: set the fee recipient (nonzero).
    /// @param feeRecipient The new fee recipient.
    function setFeeRecipient(address feeRecipient) external;

    /// @notice Guardian or owner: pause `settle`. Cancels, deposits and withdrawals keep working.
    function pause() external;

    /// @notice Owner only: resume `settle`.
    function unpause() external;

    /// @notice Like `settle`, and routes what did not cross into the protocol's own pools and
    /// books (`poolLegs`, then `bookLegs`) after every order's tokens came in and before any
    /// payout. Every order still gets at least its limit price at `clearingPrices`, and per
    /// token what leaves (payouts and leg inputs) is at most what came in (order inputs and
    /// leg outputs). Every leg trades at least at `clearingPrices` (what it returns is worth,
    /// rounded down, at least what it paid less `legPriceToleranceBps`), else
    /// `PoolLegBelowClearingPrice` / `BookLegBelowClearingPrice`: a relayer cannot sell the batch's surplus, which belongs to the
    /// fee recipient, below the batch's own prices. A book leg approves the book for the most
    /// its take can charge (`maxLots` at `limitTick`, taker fee included), and resets it to 0.
    /// @param tokens The batch's tokens, pairwise distinct.
    /// @param clearingPrices One nonzero price per token, in a common numeraire.
    /// @param trades The fills.
    /// @param signatures EIP-1271 signature bytes, named by index from the trades' `r`.
    /// @param poolLegs Sales into the AMM factory's pools, executed first.
    /// @param bookLegs Market orders on the book factory's books, executed next.
    function settleWithLiquidity(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        TradeData[] calldata trades,
        bytes[] calldata signatures,
        PoolLeg[] calldata poolLegs,
        BookLeg[] calldata bookLegs
    ) external;

    /// @notice Owner only, once: the AMM factory and the book factory legs may use.
    /// @param ammFactory The AMM factory (nonzero).
    /// @param bookFactory The book factory (nonzero).
    function setLiquiditySources(address ammFactory, address bookFactory) external;

    /// @notice The AMM factory legs may use (zero until set).
    /// @return The AMM factory.
    function ammFactory() external view returns (address);

    /// @notice The book factory legs may use (zero until set).
    /// @return The book factory.
    function bookFactory() external view returns (address);

    /// @notice Owner only: legs may trade up to `bps` basis points below the clearing prices
    /// (0, the default: at the clearing prices or better).
    /// @param bps The tolerance, at most `MAX_LEG_PRICE_TOLERANCE_BPS`.
    function setLegPriceToleranceBps(uint256 bps) external;

    /// @notice How far below the clearing prices a leg may trade, in basis points of what it
    /// pays.
    /// @return The tolerance.
    function legPriceToleranceBps() external view returns (uint256);

    /// @notice The most `setLegPriceToleranceBps` accepts: 100 (1%).
    /// @return The bound, in basis points.
    function MAX_LEG_PRICE_TOLERANCE_BPS() external view returns (uint256);

    /// @notice Owner only: refuse (or accept again) deposits of `token` into internal balances.
    /// The deployment's token policy: refuse rebasing tokens (whose balances move without a
    /// transfer, which no measurement at the boundary can follow) and tokens that charge
    /// their transfer fee to the sender. Withdrawals always work.
    /// @param token The token.
    /// @param refused Whether `deposit` of it reverts `TokenRefusedForInternalBalance`.
    function setInternalBalanceRefused(address token, bool refused) external;

    /// @notice Whether deposits of `token` are refused (`setInternalBalanceRefused`).
    /// @param token The token.
    /// @return Whether `deposit` of it reverts.
    function internalBalanceRefused(address token) external view returns (bool);
}
