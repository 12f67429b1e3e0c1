// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {
    ACCOUNT_DIRECT_MEASURED,
    ACCOUNT_WALLET_PULLED,
    BATCH_DOMAIN,
    BatchAccounting,
    LEDGER_PAYER
} from "../../../contracts/libraries/BatchAccounting.sol";
import {NonceLib} from "../../../contracts/libraries/NonceLib.sol";
import {SettleFastPath} from "../../../contracts/libraries/SettleFastPath.sol";
import {
    TRADE_BUY_INDEX_SHIFT,
    TRADE_PACKED,
    TRADE_PAYEE_SHIFT,
    TRADE_SELL_AMOUNT,
    TradeLib
} from "../../../contracts/libraries/TradeLib.sol";
import {SettlementBase} from "./SettlementBase.sol";

/// @notice Runs `SettleFastPath` between guard allocations, inside a batch laid out as
/// `Settlement` lays it out, and reverts `MemoryTouched` unless each call kept the promise of
/// its `memory-safe` blocks: the free memory pointer and the zero slot as they were, and every
/// allocated word (guards before and after the batch, the batch itself) unchanged except the
/// one word the call is documented to write. Nothing between a snapshot and its check
/// allocates memory.
contract FastPathHarness {
    /// @notice The call at `step` (1 check, 2 take, 3 payDirect) broke the promise.
    error MemoryTouched(uint256 step);

    bytes32 internal constant DOMAIN = keccak256("SettleFastPathMemory");

    mapping(address owner => NonceLib.Nonces) internal _nonces;
    mapping(address owner => mapping(address token => uint256)) internal _balances;

    function setBalance(address owner, address token, uint256 amount) external {
        _balances[owner][token] = amount;
    }

    /// @notice `trades[i].sellAmount` read through `TradeLib.at`, the pointer this harness uses.
    function sellAmountAt(ISettlement.TradeData[] calldata trades, uint256 i)
        external
        pure
        returns (uint256)
    {
        return TradeLib.word(TradeLib.at(trades, i), TRADE_SELL_AMOUNT);
    }

    /// @notice Pass 1 of the fast path on trade `i`: `check`, then `spend` and `take` if the
    /// trade passed.
    function pull(
        address[] calldata tokens,
        uint256[] calldata prices,
        ISettlement.TradeData[] calldata trades,
        uint256 i
    ) external returns (bytes32 uid, bool took) {
        (uint256 start, uint256 batch) = _open(tokens, prices, trades);
        uint256 t = TradeLib.at(trades, i);
        (uint256 end, bytes32 before) = _snapshot(start);
        uint256 bought;
        uint256 nonceSlot;
        uint256 nonceWord;
        (uid, bought, nonceSlot, nonceWord) = SettleFastPath.check(t, batch, _nonces);
        _verify(start, end, before, 1);
        if (uid == 0) return (uid, false);
        SettleFastPath.spend(nonceSlot, nonceWord);
        // `take` may write one word: the payer word of the ledger entry of the trade it pays.
        uint256 payee = (TradeLib.word(t, TRADE_PACKED) >> TRADE_PAYEE_SHIFT) & 0xffff;
        uint256 claim;
        if (payee != 0 && payee <= trades.length) {
            claim = BatchAccounting.entry(batch, payee - 1) + LEDGER_PAYER;
        }
        took = SettleFastPath.take(t, i, batch, _balances);
        if (claim != 0) {
            if (BatchAccounting.load(claim) != (took ? i + 1 : 0)) revert MemoryTouched(2);
            BatchAccounting.store(claim, 0);
        }
        _verify(start, end, before, 2);
    }

    /// @notice Pass 2 of the fast path: trade `payer` pays trade `payee` its `bought` amount.
    /// Trade `payee`'s buy index must be in range (pass 1 checks it before pass 2 runs).
    function payDirect(
        address[] calldata tokens,
        uint256[] calldata prices,
        ISettlement.TradeData[] calldata trades,
        uint256 payee,
        uint256 payer,
        uint256 bought,
        bool walletPulled
    ) external returns (bool done) {
        (uint256 start, uint256 batch) = _open(tokens, prices, trades);
        uint256 t = TradeLib.at(trades, payee);
        uint256 entry = BatchAccounting.entry(batch, payee);
        BatchAccounting.store(entry, bought);
        BatchAccounting.store(entry + LEDGER_PAYER, payer + 1);
        uint256 buyIndex = (TradeLib.word(t, TRADE_PACKED) >> TRADE_BUY_INDEX_SHIFT) & 0xff;
        uint256 account = BatchAccounting.account(batch, buyIndex);
        if (walletPulled) BatchAccounting.store(account + ACCOUNT_WALLET_PULLED, bought);
        (uint256 end, bytes32 before) = _snapshot(start);
        done = SettleFastPath.payDirect(t, entry, payer + 1, batch);
        // It may write one word: the measured flag of the payee's buy token.
        BatchAccounting.store(account + ACCOUNT_DIRECT_MEASURED, 0);
        _verify(start, end, before, 3);
    }

    /// @dev A guard, the batch (as `Settlement._openBatch` builds it), another guard; returns
    /// where the allocations start.
    function _open(
        address[] calldata tokens,
        uint256[] calldata prices,
        ISettlement.TradeData[] calldata trades
    ) private pure returns (uint256 start, uint256 batch) {
        start = _guard(0);
        uint256 tokensOffset;
        uint256 pricesOffset;
        assembly ("memory-safe") {
            tokensOffset := tokens.offset
            pricesOffset := prices.offset
        }
        batch = BatchAccounting.open(
            tokensOffset, pricesOffset, TradeLib.first(trades), tokens.length, trades.length
        );
        BatchAccounting.store(batch + BATCH_DOMAIN, uint256(DOMAIN));
        _guard(1);
    }

    /// @dev Allocates eight words of a nonzero pattern; returns their address.
    function _guard(uint256 salt) private pure returns (uint256 p) {
        p = BatchAccounting.alloc(0x100);
        for (uint256 k; k < 8; ++k) {
            BatchAccounting.store(p + k * 0x20, uint256(keccak256(abi.encode(salt, k))));
        }
    }

    /// @dev The free memory pointer and the hash of every word allocated since `start`.
    function _snapshot(uint256 start) private pure returns (uint256 end, bytes32 h) {
        assembly ("memory-safe") {
            end := mload(0x40)
            h := keccak256(start, sub(end, start))
        }
    }

    function _verify(uint256 start, uint256 end, bytes32 before, uint256 step) private pure {
        (uint256 fmp, bytes32 h) = _snapshot(start);
        uint256 zero;
        assembly ("memory-safe") {
            zero := mload(0x60)
        }
        if (fmp != end || zero != 0 || h != before) revert MemoryTouched(step);
    }
}

/// @notice `SettleFastPath` keeps memory as its `memory-safe` blocks promise, on trades it
/// settles and on trades it hands to the Solidity path.
contract SettleFastPathMemoryTest is SettlementBase {
    FastPathHarness internal harness;

    function setUp() public override {
        super.setUp();
        harness = new FastPathHarness();
        vm.prank(alice);
        tokenA.approve(address(harness), type(uint256).max);
        vm.prank(bob);
        tokenB.approve(address(harness), type(uint256).max);
    }

    /// @dev The uid of `o` under the harness's domain.
    function _harnessUid(ISettlement.Order memory o) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                ORDER_TYPE_HASH,
                o.owner,
                o.receiver,
                o.sellToken,
                o.buyToken,
                o.sellAmount,
                o.buyAmount,
                o.feeAmount,
                o.validTo,
                o.nonce,
                o.flags
            )
        );
        return
            keccak256(abi.encodePacked("\x19\x01", keccak256("SettleFastPathMemory"), structHash));
    }

    /// @dev A crossing pair signed under the harness's domain, varied by `seed`: amounts,
    /// fees, internal balances, executed amounts encoded as 0 or in full, direct payment.
    function _pair(uint256 seed, uint256 nonce)
        internal
        returns (ISettlement.TradeData[] memory trades, bytes32 aliceUid)
    {
        uint256 amount = bound(seed, 1, 1_000e18);
        uint8 aliceFlags = seed & 2 != 0 ? SELL_INTERNAL : 0;
        if (aliceFlags != 0) {
            harness.setBalance(alice, address(tokenA), (seed >> 8) % (2 * amount));
        }
        ISettlement.Order memory a = _order(
            alice,
            address(tokenA),
            address(tokenB),
            amount,
            amount,
            (seed >> 16) % 3,
            nonce,
            aliceFlags
        );
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), amount, amount, 0, nonce ^ 1, 0);
        aliceUid = _harnessUid(a);
        TradeSpec[] memory specs = _two(
            _trade(a, 0, 1, seed & 4 != 0 ? amount : 0, SCHEME_ECDSA, _sign(alicePk, aliceUid)),
            _trade(b, 1, 0, 0, SCHEME_ECDSA, _sign(bobPk, _harnessUid(b)))
        );
        if (seed & 8 != 0) _pairDirect(specs, 0, 1);
        trades = _trades(specs);
    }

    /// @dev Flips bit `bit` of word `field` of `d`.
    function _corrupt(ISettlement.TradeData memory d, uint256 field, uint256 bit) internal pure {
        assembly ("memory-safe") {
            let p := add(d, shl(5, field))
            mstore(p, xor(mload(p), shl(bit, 1)))
        }
    }

    /// @dev `TradeLib.at(trades, i)` points at `trades[i]` for every index, not only the first.
    function test_at_pointsAtEachTrade() public view {
        ISettlement.TradeData[] memory trades = new ISettlement.TradeData[](3);
        for (uint256 k; k < 3; ++k) {
            trades[k].sellAmount = 100 + k;
        }
        for (uint256 k; k < 3; ++k) {
            assertEq(harness.sellAmountAt(trades, k), 100 + k);
        }
    }

    function testFuzz_pull_keepsMemory(uint256 seed, uint64 nonce) public {
        (ISettlement.TradeData[] memory trades, bytes32 aliceUid) = _pair(seed, nonce);
        (bytes32 uid,) = harness.pull(_tokensAB(), _prices(1, 1), trades, 0);
        // An intact trade the head covers or a mapping word holds takes the fast path (so that
        // path is what was checked); one in the head's move window goes to the Solidity path.
        uint256 half = uint256(nonce) >> 7;
        if (half == 0 || half > 64) assertEq(uid, aliceUid);
        else assertEq(uid, bytes32(0));
        harness.pull(_tokensAB(), _prices(1, 1), trades, 1);
    }

    /// @dev The same with one bit of one word flipped: every check that sends a trade to the
    /// Solidity path runs too.
    function testFuzz_pull_corrupted_keepsMemory(uint256 seed, uint64 nonce, uint8 field, uint8 bit)
        public
    {
        (ISettlement.TradeData[] memory trades,) = _pair(seed, nonce);
        _corrupt(trades[seed >> 255], field % 9, bit);
        harness.pull(_tokensAB(), _prices(1, 1), trades, 0);
        harness.pull(_tokensAB(), _prices(1, 1), trades, 1);
    }

    /// @dev Bob (trade 1) pays Alice (trade 0) the B she bought: the measured transfer, the
    /// unmeasured one, and each check that refuses (wrong amount, a payee buying to its
    /// internal balance, a payer paying itself).
    function testFuzz_payDirect_keepsMemory(
        uint256 seed,
        uint64 nonce,
        bool walletPulled,
        uint8 refuse
    ) public {
        (ISettlement.TradeData[] memory trades,) = _pair(seed | 8, nonce);
        uint256 amount = trades[1].sellAmount;
        uint256 bought = amount;
        refuse %= 4;
        if (refuse == 1) bought = bound(seed >> 48, 0, 2 * amount);
        if (refuse == 2) trades[0].packed |= uint256(BUY_INTERNAL) << 208;
        if (refuse == 3) trades[0].receiver = bob;
        bool done =
            harness.payDirect(_tokensAB(), _prices(1, 1), trades, 0, 1, bought, walletPulled);
        assertEq(done, refuse == 0 || (refuse == 1 && bought == amount));
    }
}
