// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOrderBook} from "../interfaces/IOrderBook.sol";
import {OrderId} from "../types/BookIds.sol";

/// @title LevelQueue
/// @notice The FIFO queue of one price level with lazy fills (see `IOrderBook`).
/// @dev Queue coordinates: order `i` owns lots `[start_i, start_i + lots_i)`; orders are
/// appended at `placed`. Every lot before the cursor `filled` is taken or a crossed hole.
/// A maker's filled lots are `clamp(filled - start, 0, lots)`; claiming moves `start` forward
/// by what it paid, so `start + lots` (where the order's live lots end) never changes.
///
/// Cancelling order `i` removes its last unfilled lots. At the tail of the queue
/// (`start + lots == placed`) that shortens the queue. At the front (all of its unfilled lots,
/// which start at the cursor) the cursor moves past them. Elsewhere it leaves a hole
/// `[start + lots, start + lots + holeLen)` right after the order's remaining lots; holes are
/// linked in ascending queue order from `head`, so a taker that must stop inside a level knows
/// the next hole without scanning. `holeLots` counts lots in holes not yet crossed, so the
/// level's unfilled lots are `placed - filled - holeLots`. Whenever they reach zero the level
/// is reset (`filled = placed`, no holes): taking a whole level never walks its holes.
///
/// Storage words (hand-packed; every field is written through the helpers below):
/// - level: `filled` u64 | `placed` u64 << 64 | `holeLots` u62 << 128 | bit 191: the head
///   hole is implicit | `head` u32 << 192 (hole index + 1, 0 = none) | `nextIndex` u32 << 224.
/// - order, live: `owner` u160 | `start` u62 << 160 | bit 222: has an extra word |
///   `lots` u32 << 224 (bit 223 clear).
/// - order, hole only (no lots left to claim): `next` u32 | `holeStart` u62 << 160 |
///   bit 223 set | `holeLen` u32 << 224. Reusing the order's own word makes a full cancel an
///   update (5k) instead of a new slot (22k).
/// - implicit head hole: an order cancelled whole in the middle of its queue, with nothing of
///   it filled, while the level had no hole, keeps its live word untouched (no write at all):
///   the level's `head` names it and bit 191 says its word is the hole `[start, start + lots)`
///   with no successor. Everything that reads an order word checks the level first
///   (`_isImplicit`); the word is written out as a hole record when the hole gets a neighbour
///   in the list, and deleted when the hole is crossed or the level resets, so a stale
///   live-looking word never outlives its place at the head of the list.
/// - extra (zero unless used): `holeLen` u32 | `next` u32 << 32 | `expiry` u40 << 64 — the hole
///   of an order that still has lots, and the expiry.
library LevelQueue {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    struct Queue {
        uint256 level;
        mapping(uint256 index => uint256) orders;
        mapping(uint256 index => uint256) extras;
    }

    struct Level {
        uint64 filled;
        uint64 placed;
        uint64 holeLots;
        uint32 head;
        uint32 nextIndex;
        /// @dev The head hole is implicit (see the layout above).
        bool implicitHead;
    }

    /// @dev A hole read from either word layout.
    struct Hole {
        uint64 start;
        uint64 len;
        uint32 next;
    }

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Most holes a cancel walks from its hint to find its place in the hole list.
    uint256 internal constant MAX_HINT_WALK = 32;
    /// @dev Queue coordinates fit 62 bits (bits 222 and 223 of an order word are flags).
    uint256 internal constant MAX_PLACED = (1 << 62) - 1;
    /// @dev The order's extra word is nonzero (so it is read and deleted only when it exists).
    uint256 internal constant EXTRA_FLAG = 1 << 222;
    /// @dev The order word holds only a hole.
    uint256 internal constant HOLE_FLAG = 1 << 223;
    /// @dev Level word: the head hole is implicit (`holeLots` stays below 2^62).
    uint256 internal constant IMPLICIT_HEAD_FLAG = 1 << 191;
    uint256 internal constant MASK_32 = 0xffffffff;
    uint256 internal constant MASK_62 = (1 << 62) - 1;
    uint256 internal constant MASK_64 = (1 << 64) - 1;

    /*//////////////////////////////////////////////////////////////
                              LEVEL WORD
    //////////////////////////////////////////////////////////////*/

    function load(Queue storage q) internal view returns (Level memory l) {
        uint256 w = q.level;
        l.filled = uint64(w);
        l.placed = uint64(w >> 64);
        l.holeLots = uint64((w >> 128) & MASK_62);
        l.implicitHead = w & IMPLICIT_HEAD_FLAG != 0;
        l.head = uint32(w >> 192);
        l.nextIndex = uint32(w >> 224);
    }

    function store(Queue storage q, Level memory l) internal {
        q.level = uint256(l.filled) | (uint256(l.placed) << 64) | (uint256(l.holeLots) << 128)
            | (l.implicitHead ? IMPLICIT_HEAD_FLAG : 0) | (uint256(l.head) << 192)
            | (uint256(l.nextIndex) << 224);
    }

    /// @dev Whether order `index`'s word is the level's implicit head hole (a cancelled order).
    function _isImplicit(Level memory l, uint256 index) private pure returns (bool) {
        return l.implicitHead && l.head == index + 1;
    }

    /// @dev `_isImplicit` from the raw level word.
    function _isImplicitWord(uint256 w, uint256 index) private pure returns (bool) {
        return w & IMPLICIT_HEAD_FLAG != 0 && uint32(w >> 192) == index + 1;
    }

    /// @dev Every unfilled lot is gone: forget the holes (all of them now lie before `filled`).
    /// An implicit head hole's live-looking word is deleted with the list.
    function _reset(Queue storage q, Level memory l) private {
        if (l.implicitHead) {
            delete q.orders[l.head - 1];
            l.implicitHead = false;
        }
        l.filled = l.placed;
        l.holeLots = 0;
        l.head = 0;
    }

    /*//////////////////////////////////////////////////////////////
                              ORDER WORDS
    //////////////////////////////////////////////////////////////*/

    function _packOrder(address owner, uint256 start, uint256 lots, bool hasExtra)
        private
        pure
        returns (uint256)
    {
        return
            uint256(uint160(owner)) | (start << 160) | (hasExtra ? EXTRA_FLAG : 0) | (lots << 224);
    }

    function _packHole(uint256 next, uint256 start, uint256 len) private pure returns (uint256) {
        return next | (start << 160) | HOLE_FLAG | (len << 224);
    }

    function _start(uint256 word) private pure returns (uint64) {
        return uint64((word >> 160) & MASK_62);
    }

    function _lots(uint256 word) private pure returns (uint32) {
        return uint32(word >> 224);
    }

    /// @dev Lots of a live order word before the cursor: `clamp(filled - start, 0, lots)`.
    function _filledOf(uint256 word, uint64 filled) private pure returns (uint32) {
        uint64 start = _start(word);
        if (filled <= start) return 0;
        uint64 done = filled - start;
        uint32 lots = _lots(word);
        return done >= lots ? lots : uint32(done);
    }

    /// @dev The hole recorded for `index` (len 0 if none). Stale holes (already crossed) are
    /// not cleaned up; `_inList` tells them apart.
    function _hole(Queue storage q, Level memory l, uint256 index)
        private
        view
        returns (Hole memory h)
    {
        uint256 a = q.orders[index];
        if (_isImplicit(l, index)) {
            // The whole order, no successor.
            h.start = _start(a);
            h.len = _lots(a);
        } else if (a & HOLE_FLAG != 0) {
            h.start = _start(a);
            h.len = _lots(a);
            h.next = uint32(a);
        } else if (a & EXTRA_FLAG != 0) {
            uint256 b = q.extras[index];
            h.len = uint32(b);
            h.next = uint32(b >> 32);
            h.start = _start(a) + _lots(a);
        }
    }

    function _inList(Hole memory h, uint64 filled) private pure returns (bool) {
        return h.len != 0 && h.start + h.len > filled;
    }

    function _setNext(Queue storage q, Level memory l, uint256 index, uint32 next) private {
        uint256 a = q.orders[index];
        if (_isImplicit(l, index)) {
            // It gets a successor: write it out as a hole record.
            q.orders[index] = _packHole(next, _start(a), _lots(a));
            l.implicitHead = false;
        } else if (a & HOLE_FLAG != 0) {
            q.orders[index] = (a & ~MASK_32) | next;
        } else {
            uint256 b = q.extras[index];
            q.extras[index] = (b & ~(MASK_32 << 32)) | (uint256(next) << 32);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 PLACE
    //////////////////////////////////////////////////////////////*/

    /// @notice Appends an order of `lots` at the tail.
    /// @return index Its queue index.
    /// @return start Its first queue lot.
    /// @return wasEmpty Whether the level had no unfilled lots before (its tick bit was clear).
    function append(Queue storage q, uint16 tick, address owner, uint32 lots, uint40 expiry)
        internal
        returns (uint32 index, uint64 start, bool wasEmpty)
    {
        // On the raw level word (every placement): only `placed` and `nextIndex` change.
        uint256 w = q.level;
        start = uint64(w >> 64);
        wasEmpty = uint64(w) == start;
        index = uint32(w >> 224);
        uint256 end = uint256(start) + lots;
        if (index == type(uint32).max || end > MAX_PLACED) revert IOrderBook.LevelFull(tick);
        q.orders[index] = _packOrder(owner, start, lots, expiry != 0);
        if (expiry != 0) q.extras[index] = uint256(expiry) << 64;
        // `index + 1` cannot overflow: checked against type(uint32).max just above.
        q.level = (w & ~((MASK_64 << 64) | (MASK_32 << 224))) | (end << 64)
            | ((uint256(index) + 1) << 224);
    }

    /*//////////////////////////////////////////////////////////////
                                 TAKE
    //////////////////////////////////////////////////////////////*/

    /// @notice Takes every unfilled lot of the level in O(1), whatever its orders and holes.
    /// @dev On the raw word (the hottest path: every level a taker empties): keeps `placed` and
    /// `nextIndex`, moves `filled` to `placed`, forgets the holes (see `_reset`).
    function takeAll(Queue storage q) internal returns (uint64 lots) {
        uint256 w = q.level;
        uint64 placed = uint64(w >> 64);
        // placed >= filled + holeLots: an invariant of every write of the word.
        unchecked {
            lots = placed - uint64(w) - uint64((w >> 128) & MASK_62);
        }
        if (w & IMPLICIT_HEAD_FLAG != 0) delete q.orders[uint32(w >> 192) - 1];
        q.level = uint256(placed) | (uint256(placed) << 64) | (w & (MASK_32 << 224));
    }

    /// @notice Unfilled lots resting at the level, from storage.
    function liveLotsOf(Queue storage q) internal view returns (uint64) {
        uint256 w = q.level;
        return uint64(w >> 64) - uint64(w) - uint64((w >> 128) & MASK_62);
    }

    /// @notice Takes `want` lots, fewer than the level holds, crossing at most `budget` holes.
    /// @return got Lots taken: `want`, or fewer when the budget ran out at a hole.
    /// @return steps Holes crossed.
    function takePartial(Queue storage q, uint64 want, uint256 budget)
        internal
        returns (uint64 got, uint256 steps)
    {
        Level memory l = load(q);
        uint64 cursor = l.filled;
        bool stopped;
        while (l.head != 0) {
            Hole memory h = _hole(q, l, l.head - 1);
            // Every listed hole lies at or after the cursor; `want - got` live lots remain
            // before the level's end, so neither subtraction below can underflow.
            if (cursor + (want - got) <= h.start) break;
            got += h.start - cursor;
            cursor = h.start;
            if (steps == budget) {
                stopped = true;
                break;
            }
            cursor += h.len;
            l.holeLots -= h.len;
            if (l.implicitHead) {
                // Crossed: the head's live-looking word must not outlive its place in the list.
                delete q.orders[l.head - 1];
                l.implicitHead = false;
            }
            l.head = h.next;
            ++steps;
        }
        if (!stopped) {
            cursor += want - got;
            got = want;
        }
        l.filled = cursor;
        store(q, l);
    }

    /*//////////////////////////////////////////////////////////////
                                CANCEL
    //////////////////////////////////////////////////////////////*/

    /// @notice Cancels up to `maxLots` unfilled lots of order `id` (its last ones).
    /// @dev `caller` other than the owner may cancel everything once the order expired.
    /// @return owner The order's owner (receives the refund).
    /// @return lots Lots cancelled.
    /// @return nowEmpty The level has no unfilled lots left (its tick bit must be cleared).
    function cancel(Queue storage q, OrderId id, address caller, uint32 maxLots, uint32 hint)
        internal
        returns (address owner, uint32 lots, bool nowEmpty)
    {
        uint256 a = q.orders[id.index()];
        Level memory l = load(q);
        if (a == 0 || a & HOLE_FLAG != 0 || _isImplicit(l, id.index())) {
            revert IOrderBook.OrderNotFound(id);
        }
        owner = address(uint160(a));
        uint256 b = a & EXTRA_FLAG != 0 ? q.extras[id.index()] : 0;
        if (caller != owner) {
            uint40 expiry = uint40(b >> 64);
            // forge-lint: disable-next-line(block-timestamp)
            if (expiry == 0 || block.timestamp < expiry) {
                revert IOrderBook.NotOrderOwner(caller, owner);
            }
            maxLots = type(uint32).max;
        }
        if (maxLots == 0) revert IOrderBook.ZeroLots();
        (lots, nowEmpty) = _cancelLots(q, l, id, a, b, (uint256(hint) << 32) | maxLots);
    }

    /// @dev `hintAndMax` is `hint << 32 | maxLots` (fewer stack slots for the legacy pipeline).
    function _cancelLots(
        Queue storage q,
        Level memory l,
        OrderId id,
        uint256 a,
        uint256 b,
        uint256 hintAndMax
    ) private returns (uint32 lots, bool nowEmpty) {
        bool whole; // every unfilled lot of the order is cancelled
        {
            uint32 unfilled = _lots(a) - _filledOf(a, l.filled);
            if (unfilled == 0) revert IOrderBook.NothingToCancel(id);
            uint32 maxLots = uint32(hintAndMax);
            lots = maxLots < unfilled ? maxLots : unfilled;
            whole = lots == unfilled;
        }
        bool listed = false; // the order has a hole in the list after this cancel
        uint64 end = _start(a) + _lots(a);
        if (end == l.placed) {
            // Tail of the queue: nobody queues behind these lots; shorten the queue.
            l.placed -= lots;
        } else if (whole && _start(a) <= l.filled && uint32(b) == 0) {
            // Front of the queue (no unfilled lot before this order's) and no hole of its own:
            // the cursor moves past the cancelled lots instead of leaving a hole, so there is
            // no hole record to keep and no list to link. The order keeps only its filled lots,
            // all before the cursor: exactly its claimable ones.
            l.filled = end;
        } else if (whole && l.head == 0 && _start(a) > l.filled && a & EXTRA_FLAG == 0) {
            // Middle of the queue, the level's first hole, nothing of the order filled or
            // claimed and no extra word: the hole is exactly the order's lots. Its word is left
            // untouched and becomes the implicit head (no order-word write). Lots queue before
            // (`start > filled`, no hole) and behind it (not the tail): the level stays nonempty.
            l.holeLots += lots;
            l.head = uint32(id.index() + 1);
            l.implicitHead = true;
            store(q, l);
            return (lots, false);
        } else {
            b = _growHole(q, l, a, b, (hintAndMax & ~MASK_32) | lots, id);
            listed = true;
        }
        nowEmpty = l.placed == l.filled + l.holeLots;
        if (nowEmpty) {
            _reset(q, l);
            listed = false;
        }
        _writeCancelled(q, id.index(), a, b, lots, listed);
        store(q, l);
    }

    /// @dev Stores the order after `lots` of it were cancelled.
    function _writeCancelled(
        Queue storage q,
        uint256 index,
        uint256 a,
        uint256 b,
        uint32 lots,
        bool listed
    ) private {
        bool hasExtra = a & EXTRA_FLAG != 0;
        // `lots` is at most the order's unfilled lots, so at most its lots.
        uint32 remaining = _lots(a) - lots;
        if (remaining != 0) {
            if (listed) {
                q.extras[index] = b;
                hasExtra = true;
            }
            q.orders[index] = _packOrder(address(uint160(a)), _start(a), remaining, hasExtra);
        } else {
            // Nothing left to claim: keep only a listed hole, in the order word.
            if (listed) q.orders[index] = _packHole(uint32(b >> 32), _start(a), uint32(b));
            else delete q.orders[index];
            if (hasExtra) delete q.extras[index];
        }
    }

    /// @dev Adds the order's last `lots` unfilled lots to its hole (creating and linking the
    /// hole if it has none listed); returns the order's new extra word.
    /// `hintAndLots` is `hint << 32 | lots` (one stack slot fewer for the legacy pipeline).
    function _growHole(
        Queue storage q,
        Level memory l,
        uint256 a,
        uint256 b,
        uint256 hintAndLots,
        OrderId id
    ) private returns (uint256) {
        uint32 lots = uint32(hintAndLots);
        uint32 holeLen = uint32(b);
        l.holeLots += lots;
        if (holeLen != 0 && _start(a) + _lots(a) + holeLen > l.filled) {
            // Listed already: grow it downwards. `holeLen + lots` never exceeds the order's
            // original lots, a uint32, so the low field cannot carry into `next`.
            return b + lots;
        }
        uint32 next = _insert(q, l, id.index(), uint32(hintAndLots >> 32), id);
        return (b & ~MASK_64) | uint256(lots) | (uint256(next) << 32);
    }

    /// @dev Links `index` into the hole list (ascending) and returns its successor.
    function _insert(Queue storage q, Level memory l, uint256 index, uint32 hint, OrderId id)
        private
        returns (uint32 next)
    {
        uint32 head = l.head;
        if (head == 0 || index < head - 1) {
            // The old head gets a predecessor: an implicit one must be written out.
            if (l.implicitHead) _setNext(q, l, head - 1, 0);
            l.head = uint32(index + 1);
            return head;
        }
        uint256 prev = head - 1;
        if (hint > prev && hint < index && _inList(_hole(q, l, hint), l.filled)) prev = hint;
        for (uint256 i;; ++i) {
            next = _hole(q, l, prev).next;
            if (next == 0 || next - 1 > index) break;
            if (i == MAX_HINT_WALK) revert IOrderBook.HoleHintTooFar(id, hint);
            prev = next - 1;
        }
        _setNext(q, l, prev, uint32(index + 1));
    }

    /*//////////////////////////////////////////////////////////////
                                 CLAIM
    //////////////////////////////////////////////////////////////*/

    /// @notice Marks the filled lots of order `index` claimed.
    /// @return owner The order's owner (zero if there is no live order).
    /// @return lots Lots to pay out (zero: nothing to claim).
    function claim(Queue storage q, uint256 index) internal returns (address owner, uint32 lots) {
        uint256 a = q.orders[index];
        if (a == 0 || a & HOLE_FLAG != 0) return (address(0), 0);
        uint256 w = q.level;
        if (_isImplicitWord(w, index)) return (address(0), 0);
        owner = address(uint160(a));
        uint64 filled = uint64(w);
        lots = _filledOf(a, filled);
        if (lots == 0) return (owner, 0);
        // `lots <= orderLots`, and `start + orderLots` fits 63 bits.
        uint32 remaining = _lots(a) - lots;
        uint64 start = _start(a) + lots;
        bool hasExtra = a & EXTRA_FLAG != 0;
        if (remaining != 0) {
            q.orders[index] = _packOrder(owner, start, remaining, hasExtra);
            return (owner, lots);
        }
        uint256 b = hasExtra ? q.extras[index] : 0;
        uint32 holeLen = uint32(b);
        if (holeLen != 0 && start + holeLen > filled) {
            // Its hole is still listed: keep it, in the order word.
            q.orders[index] = _packHole(uint32(b >> 32), start, holeLen);
        } else {
            delete q.orders[index];
        }
        if (hasExtra) delete q.extras[index];
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Owner, unfilled lots, filled unclaimed lots and expiry of order `index`.
    function info(Queue storage q, uint256 index)
        internal
        view
        returns (address owner, uint64 openLots, uint64 claimableLots, uint40 expiry)
    {
        uint256 a = q.orders[index];
        if (a == 0 || a & HOLE_FLAG != 0) return (address(0), 0, 0, 0);
        uint256 w = q.level;
        if (_isImplicitWord(w, index)) return (address(0), 0, 0, 0);
        owner = address(uint160(a));
        claimableLots = _filledOf(a, uint64(w));
        openLots = _lots(a) - claimableLots;
        if (a & EXTRA_FLAG != 0) expiry = uint40(q.extras[index] >> 64);
    }

    /// @notice The listed hole with the largest index below `index` (0 if none): the best hint.
    /// @dev A view: walks the whole list (off-chain use).
    function hintFor(Queue storage q, uint256 index) internal view returns (uint32 hint) {
        Level memory l = load(q);
        uint32 cur = l.head;
        while (cur != 0 && cur - 1 < index) {
            hint = cur - 1;
            cur = _hole(q, l, hint).next;
        }
    }
}
