// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {SettlementBase} from "./SettlementBase.sol";

/// @notice The nonce head (`NonceLib`): fills of sequential, random and huge nonces on the fast
/// (ECDSA) and general (pre-sign) paths, head moves, invalidation while the head covers a word,
/// floors that fit the head's copy and floors that do not, checked against a model.
contract SettlementNoncesTest is SettlementBase {
    uint256 internal constant TWO_64 = 1 << 64;
    uint256 internal constant TWO_71 = 1 << 71;
    uint256 internal constant AMOUNT = 1e9;

    /// @dev Bob's nonces: always fresh, he is only the counterparty.
    uint256 internal bobNonce = 1 << 200;

    // ---- model: Alice's spent nonces (by bitmap word) and floor ----
    mapping(uint256 word => uint256) internal modelWord;
    uint256[] internal touchedWords;
    mapping(uint256 word => bool) internal touched;
    uint256 internal modelFloor;

    // ------------------------------- helpers -------------------------------

    function _aliceOrder(uint256 nonce, uint8 flags)
        internal
        view
        returns (ISettlement.Order memory)
    {
        return _order(alice, address(tokenA), address(tokenB), AMOUNT, AMOUNT, 0, nonce, flags);
    }

    /// @dev Alice's fill-or-kill order of `nonce` against a fresh order of Bob: ECDSA (the fast
    /// path when the head covers the nonce) or pre-signed (always the general path).
    function _pair(uint256 nonce, bool presign)
        internal
        returns (TradeSpec[] memory trades, bytes32 uid)
    {
        ISettlement.Order memory a = _aliceOrder(nonce, 0);
        ISettlement.Order memory b =
            _order(bob, address(tokenB), address(tokenA), AMOUNT, AMOUNT, 0, bobNonce++, 0);
        uid = _uid(a);
        TradeSpec memory ta;
        if (presign) {
            vm.prank(alice);
            settlement.setPreSignature(uid, true);
            ta = _trade(a, 0, 1, 0, SCHEME_PRESIGN, "");
        } else {
            ta = _signedTrade(a, alicePk, 0);
        }
        trades = _two(ta, _signedTrade(b, bobPk, 0));
    }

    function _fill(uint256 nonce, bool presign) internal {
        (TradeSpec[] memory trades,) = _pair(nonce, presign);
        _settle(_tokensAB(), _prices(1, 1), trades);
    }

    function _fillReverts(uint256 nonce, bool presign, bytes4 selector) internal {
        (TradeSpec[] memory trades, bytes32 uid) = _pair(nonce, presign);
        bytes memory err = selector == ISettlement.NonceAlreadySpent.selector
            ? abi.encodeWithSelector(selector, uid, alice, nonce)
            : abi.encodeWithSelector(selector, uid, nonce, settlement.nonceFloor(alice));
        vm.prank(relayer);
        vm.expectRevert(err);
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    /// @dev `count` fills of Alice's nonces `first..first + count - 1` in one ECDSA batch.
    function _fillRun(uint256 first, uint256 count) internal {
        TradeSpec[] memory trades = new TradeSpec[](2 * count);
        for (uint256 k; k < count; ++k) {
            ISettlement.Order memory a = _aliceOrder(first + k, 0);
            ISettlement.Order memory b =
                _order(bob, address(tokenB), address(tokenA), AMOUNT, AMOUNT, 0, bobNonce++, 0);
            trades[2 * k] = _signedTrade(a, alicePk, 0);
            trades[2 * k + 1] = _signedTrade(b, bobPk, 0);
        }
        _settle(_tokensAB(), _prices(1, 1), trades);
    }

    function _touch(uint256 word) internal {
        if (!touched[word]) {
            touched[word] = true;
            touchedWords.push(word);
        }
    }

    function _modelSpent(uint256 nonce) internal view returns (bool) {
        return (modelWord[nonce >> 8] >> (nonce & 255)) & 1 != 0;
    }

    function _modelSpend(uint256 nonce) internal {
        _touch(nonce >> 8);
        modelWord[nonce >> 8] |= 1 << (nonce & 255);
    }

    function _status(uint256 nonce, uint8 flags) internal view returns (ISettlement.OrderStatus s) {
        (s,) = settlement.orderStatus(_aliceOrder(nonce, flags));
    }

    /// @dev Every view agrees with the model: the floor, every touched word, and the status of
    /// the lowest, highest and a middle nonce of each touched word.
    function _checkViews() internal view {
        assertEq(settlement.nonceFloor(alice), modelFloor, "floor");
        for (uint256 i; i < touchedWords.length; ++i) {
            uint256 word = touchedWords[i];
            assertEq(settlement.nonceBitmap(alice, word), modelWord[word], "bitmap word");
            for (uint256 j; j < 4; ++j) {
                uint256 nonce = (word << 8) | [uint256(0), 127, 128, 255][j];
                ISettlement.OrderStatus expected = nonce < modelFloor
                    ? ISettlement.OrderStatus.Cancelled
                    : _modelSpent(nonce)
                        ? ISettlement.OrderStatus.NonceSpent
                        : ISettlement.OrderStatus.Open;
                assertEq(uint8(_status(nonce, 0)), uint8(expected), "fill-or-kill status");
            }
        }
    }

    // ------------------------------- sequential -------------------------------

    function test_settle_sequentialNoncesAcrossHeadMoves() public {
        for (uint256 first; first <= 600; first += 50) {
            _fillRun(first, first == 600 ? 1 : 50);
        }
        // words 0 and 1 full (written back by the moves), word 2: nonces 512..600
        assertEq(settlement.nonceBitmap(alice, 0), type(uint256).max);
        assertEq(settlement.nonceBitmap(alice, 1), type(uint256).max);
        assertEq(settlement.nonceBitmap(alice, 2), (uint256(1) << 89) - 1);
        uint256[9] memory replays = [uint256(0), 127, 128, 255, 256, 383, 384, 511, 600];
        for (uint256 i; i < replays.length; ++i) {
            _fillReverts(replays[i], false, ISettlement.NonceAlreadySpent.selector);
            _fillReverts(replays[i], true, ISettlement.NonceAlreadySpent.selector);
        }
        _fill(601, false);
        assertEq(uint8(_status(601, 0)), uint8(ISettlement.OrderStatus.NonceSpent));
        assertEq(uint8(_status(602, 0)), uint8(ISettlement.OrderStatus.Open));
    }

    function test_settle_headMovesOnGeneralPath() public {
        // pre-signed fills move the head as ECDSA ones do: 0, then 130 (half 1), then 300 (half 2)
        _fill(0, true);
        _fill(130, true);
        _fill(300, true);
        assertEq(settlement.nonceBitmap(alice, 0), 1 | (uint256(1) << 130));
        assertEq(settlement.nonceBitmap(alice, 1), uint256(1) << 44);
        _fillReverts(0, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(130, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(300, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(300, true, ISettlement.NonceAlreadySpent.selector);
        // below the head: the mapping path
        _fill(5, false);
        _fillReverts(5, true, ISettlement.NonceAlreadySpent.selector);
    }

    function test_settle_moveToHalfWithSpentBitReverts() public {
        _fill(0, false);
        vm.prank(alice);
        settlement.invalidateNonces(1, uint256(1) << 10); // nonce 266, half 2: not the head's
        _fillReverts(266, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(266, true, ISettlement.NonceAlreadySpent.selector);
        _fill(267, false); // the head moves to half 2 and keeps 266 spent
        _fillReverts(266, false, ISettlement.NonceAlreadySpent.selector);
        assertEq(settlement.nonceBitmap(alice, 1), uint256(3) << 10);
        assertEq(settlement.nonceBitmap(alice, 0), 1);
    }

    function test_settle_farNonceTakesMappingPath() public {
        _fill(0, false);
        uint256 far = 128 * (1 + 64 + 1); // beyond MOVE_WINDOW half-words above the head
        _fill(far, false);
        _fill(1, false); // the head stayed at half 0
        _fillReverts(far, false, ISettlement.NonceAlreadySpent.selector);
        assertEq(settlement.nonceBitmap(alice, 0), 3);
        assertEq(settlement.nonceBitmap(alice, far >> 8), uint256(1) << (far & 255));
    }

    // ------------------------------- random and huge -------------------------------

    function test_settle_hugeNonces() public {
        uint256[5] memory nonces =
            [TWO_71 - 1, TWO_71, TWO_71 + 1, uint256(1) << 255, type(uint256).max];
        for (uint256 i; i < nonces.length; ++i) {
            _fill(nonces[i], i % 2 == 0);
            _fillReverts(nonces[i], false, ISettlement.NonceAlreadySpent.selector);
            _fillReverts(nonces[i], true, ISettlement.NonceAlreadySpent.selector);
            assertEq(uint8(_status(nonces[i], 0)), uint8(ISettlement.OrderStatus.NonceSpent));
            assertEq(settlement.nonceBitmap(alice, nonces[i] >> 8) >> (nonces[i] & 255) & 1, 1);
        }
        assertEq(settlement.nonceBitmap(alice, (TWO_71 - 1) >> 8), uint256(1) << 255);
        assertEq(settlement.nonceBitmap(alice, TWO_71 >> 8), 3);
    }

    function test_settle_headAtLastHalfWord() public {
        // the floor puts the head at half-word 2**64 - 2; 2**71 - 1 moves it to the last one,
        // 2**71 (half-word 2**64) cannot be held by the head and takes the mapping
        vm.prank(alice);
        settlement.setNonceFloor(TWO_71 - 256);
        _fill(TWO_71 - 256, false);
        _fill(TWO_71 - 1, false);
        _fill(TWO_71, false);
        _fill(TWO_71 - 2, true);
        _fillReverts(TWO_71 - 256, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(TWO_71 - 1, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(TWO_71, true, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(TWO_71 - 257, false, ISettlement.NonceBelowFloor.selector);
        assertEq(settlement.nonceBitmap(alice, (TWO_71 >> 8) - 1), 1 | (uint256(3) << 254));
        assertEq(settlement.nonceBitmap(alice, TWO_71 >> 8), 1);
    }

    // ------------------------------- invalidateNonces -------------------------------

    function test_invalidateNonces_headCoversLowHalf() public {
        _fill(0, false); // head at half 0
        vm.expectEmit(address(settlement));
        emit ISettlement.NonceInvalidated(alice, 0, (uint256(1) << 5) | (uint256(1) << 200));
        vm.prank(alice);
        settlement.invalidateNonces(0, (uint256(1) << 5) | (uint256(1) << 200));
        assertEq(settlement.nonceBitmap(alice, 0), 1 | (uint256(1) << 5) | (uint256(1) << 200));
        _fillReverts(5, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(5, true, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(200, false, ISettlement.NonceAlreadySpent.selector);
        _fill(6, false);
        _fill(201, false); // moves the head to half 1, which holds 200
        _fillReverts(200, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(5, false, ISettlement.NonceAlreadySpent.selector);
        assertEq(
            settlement.nonceBitmap(alice, 0),
            1 | (uint256(1) << 5) | (uint256(1) << 6) | (uint256(3) << 200)
        );
    }

    function test_invalidateNonces_headCoversHighHalf() public {
        _fill(0, false);
        _fill(128, false); // head at half 1
        vm.prank(alice);
        settlement.invalidateNonces(0, (uint256(1) << 7) | (uint256(1) << 129));
        _fillReverts(129, false, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(129, true, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(7, false, ISettlement.NonceAlreadySpent.selector);
        assertEq(uint8(_status(129, 0)), uint8(ISettlement.OrderStatus.NonceSpent));
        assertEq(uint8(_status(7, 0)), uint8(ISettlement.OrderStatus.NonceSpent));
        assertEq(uint8(_status(130, 0)), uint8(ISettlement.OrderStatus.Open));
        assertEq(settlement.nonceBitmap(alice, 0), 1 | (uint256(1) << 7) | (uint256(3) << 128));
    }

    function test_cancelOrder_headCoversNonce() public {
        _fill(0, false);
        ISettlement.Order memory a = _aliceOrder(1, 0);
        vm.prank(alice);
        settlement.cancelOrder(a);
        _fillReverts(1, false, ISettlement.NonceAlreadySpent.selector);
        assertEq(settlement.nonceBitmap(alice, 0), 3);
    }

    // ------------------------------- setNonceFloor -------------------------------

    function test_setNonceFloor_smallFloorOnBothPaths() public {
        _fill(0, false);
        vm.prank(alice);
        settlement.setNonceFloor(50);
        _fillReverts(49, false, ISettlement.NonceBelowFloor.selector);
        _fillReverts(49, true, ISettlement.NonceBelowFloor.selector);
        _fillReverts(0, false, ISettlement.NonceBelowFloor.selector); // spent and below: floor first
        _fill(50, false);
        _fill(51, true);
        assertEq(settlement.nonceBitmap(alice, 0), 1 | (uint256(3) << 50));
    }

    function test_setNonceFloor_movesHeadToFloor() public {
        _fill(0, false);
        _fill(3, false);
        vm.prank(alice);
        settlement.setNonceFloor(1_000); // half 7: the head's bits of half 0 go to word 0
        assertEq(settlement.nonceBitmap(alice, 0), 9);
        _fill(1_000, false);
        _fill(1_001, false);
        _fillReverts(1_000, true, ISettlement.NonceAlreadySpent.selector);
        _fillReverts(999, false, ISettlement.NonceBelowFloor.selector);
        assertEq(settlement.nonceBitmap(alice, 3), uint256(3) << (1_000 - 768));
        assertEq(settlement.nonceBitmap(alice, 0), 9);
    }

    function test_setNonceFloor_aboveHeadCopyUsesSentinel() public {
        // the largest copy, the sentinel value itself, and two floors beyond it
        uint256[4] memory floors = [TWO_64 - 2, TWO_64 - 1, TWO_64, TWO_64 + 5];
        for (uint256 i; i < floors.length; ++i) {
            uint256 floor = floors[i];
            vm.prank(alice);
            settlement.setNonceFloor(floor);
            assertEq(settlement.nonceFloor(alice), floor);
            _fillReverts(floor - 1, false, ISettlement.NonceBelowFloor.selector);
            _fillReverts(floor - 1, true, ISettlement.NonceBelowFloor.selector);
            assertEq(uint8(_status(floor - 1, 0)), uint8(ISettlement.OrderStatus.Cancelled));
            assertEq(uint8(_status(floor - 1, PARTIAL)), uint8(ISettlement.OrderStatus.Cancelled));
            _fill(floor, i % 2 == 1);
            _fillReverts(floor, false, ISettlement.NonceAlreadySpent.selector);
            _fillReverts(floor, true, ISettlement.NonceAlreadySpent.selector);
            assertEq(uint8(_status(floor, 0)), uint8(ISettlement.OrderStatus.NonceSpent));
            assertEq(uint8(_status(floor + 1, 0)), uint8(ISettlement.OrderStatus.Open));
        }
    }

    /// @dev Gas of a head-covered ECDSA fill of `nonce` after `floor` was set and a warm-up fill
    /// moved the head there, with the settlement's storage cold again.
    function _headFillGas(uint256 floor) internal returns (uint256 used) {
        vm.prank(alice);
        settlement.setNonceFloor(floor);
        _fill(floor, false);
        (TradeSpec[] memory trades,) = _pair(floor + 1, false);
        vm.cool(address(settlement));
        vm.prank(relayer);
        uint256 before = gasleft();
        _settleAs(_tokensAB(), _prices(1, 1), trades);
        used = before - gasleft();
    }

    function test_setNonceFloor_sentinelKeepsFastPath() public {
        uint256 state = vm.snapshotState();
        uint256 copied = _headFillGas(1_000);
        vm.revertToState(state);
        uint256 sentinel = _headFillGas(TWO_64 + 1_000);
        // behind the sentinel the fast path reads the floor's own slot (one cold read, 2,100);
        // the Solidity path costs more than the upper bound allows
        assertGt(sentinel, copied + 2_000);
        assertLt(sentinel, copied + 2_600);
    }

    function test_setNonceFloor_beyondHeadRange() public {
        vm.prank(alice);
        settlement.setNonceFloor(TWO_71 + 300);
        _fillReverts(TWO_71 + 299, false, ISettlement.NonceBelowFloor.selector);
        _fillReverts(5, false, ISettlement.NonceBelowFloor.selector);
        _fill(TWO_71 + 300, false);
        _fillReverts(TWO_71 + 300, true, ISettlement.NonceAlreadySpent.selector);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.NonceFloorNotRaised.selector, TWO_71 + 300, TWO_64)
        );
        settlement.setNonceFloor(TWO_64);
    }

    function test_setNonceFloor_partialOrdersBelowFloor() public {
        uint256[2] memory floors = [uint256(10), TWO_64 + 10];
        for (uint256 i; i < floors.length; ++i) {
            vm.prank(alice);
            settlement.setNonceFloor(floors[i]);
            ISettlement.Order memory below = _aliceOrder(floors[i] - 1, PARTIAL);
            ISettlement.Order memory at = _aliceOrder(floors[i], PARTIAL);
            ISettlement.Order memory b = _order(
                bob, address(tokenB), address(tokenA), AMOUNT / 2, AMOUNT / 2, 0, bobNonce++, 0
            );
            vm.prank(relayer);
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlement.NonceBelowFloor.selector, _uid(below), floors[i] - 1, floors[i]
                )
            );
            _settleAs(
                _tokensAB(),
                _prices(1, 1),
                _two(_signedTrade(below, alicePk, AMOUNT / 2), _signedTrade(b, bobPk, 0))
            );
            _settle(
                _tokensAB(),
                _prices(1, 1),
                _two(_signedTrade(at, alicePk, AMOUNT / 2), _signedTrade(b, bobPk, 0))
            );
            assertEq(settlement.filledAmount(_uid(at)), AMOUNT / 2);
        }
    }

    // ------------------------------- differential -------------------------------

    /// @dev A nonce from one of several neighbourhoods: near the sequential counter (head hits
    /// and moves), a small range (mapping words below the head), beyond the window, near the
    /// floor, around 2**64 and 2**71, and anywhere.
    function _pick(uint256 r, uint256 counter) internal view returns (uint256) {
        uint256 kind = r % 8;
        uint256 x = r >> 8;
        if (kind <= 2) return counter + x % 200;
        if (kind == 3) return x % 1_024;
        if (kind == 4) return modelFloor + x % 300 - (modelFloor >= 20 ? 20 : 0);
        if (kind == 5) return TWO_64 - 150 + x % 300;
        if (kind == 6) return TWO_71 - 150 + x % 300;
        return x;
    }

    function testFuzz_nonces_matchModel(uint256 seed) public {
        uint256 counter;
        for (uint256 i; i < 24; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 op = r % 10;
            r >>= 8;
            if (op <= 5) {
                // a fill: fast path when the head covers the nonce, or pre-signed
                uint256 nonce = _pick(r, counter);
                bool presign = (r >> 200) & 1 == 1;
                if (nonce < modelFloor) {
                    _fillReverts(nonce, presign, ISettlement.NonceBelowFloor.selector);
                } else if (_modelSpent(nonce)) {
                    _fillReverts(nonce, presign, ISettlement.NonceAlreadySpent.selector);
                } else {
                    _fill(nonce, presign);
                    _modelSpend(nonce);
                }
                if (nonce >= counter && nonce - counter < 200) counter = nonce + 1;
            } else if (op <= 7) {
                uint256 nonce = _pick(r, counter);
                uint256 word = nonce >> 8;
                uint256 mask =
                    op == 6 ? uint256(keccak256(abi.encode(r))) : uint256(1) << (nonce & 255);
                vm.prank(alice);
                if (op == 6) {
                    settlement.invalidateNonces(word, mask);
                } else {
                    settlement.cancelOrder(_aliceOrder(nonce, 0));
                }
                _touch(word);
                modelWord[word] |= mask;
            } else {
                uint256 floor = _pick(r, counter);
                vm.prank(alice);
                if (floor <= modelFloor) {
                    vm.expectRevert(
                        abi.encodeWithSelector(
                            ISettlement.NonceFloorNotRaised.selector, modelFloor, floor
                        )
                    );
                    settlement.setNonceFloor(floor);
                } else {
                    settlement.setNonceFloor(floor);
                    modelFloor = floor;
                    if (floor >= counter) counter = floor;
                }
            }
            _checkViews();
        }
    }
}
