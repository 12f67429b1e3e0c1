// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/*//////////////////////////////////////////////////////////////
                          NONCE HEAD LAYOUT
//////////////////////////////////////////////////////////////*/

// The layout of `NonceLib.Nonces`, defined once for Solidity and assembly alike
// (`SettleFastPath` reads it). File-level constants, because inline assembly can name only
// constants with literal values outside its own contract.

/// @dev Storage slot of `Nonces.floor`, relative to the struct's first slot (`head`).
uint256 constant NONCES_FLOOR_SLOT = 1;
/// @dev Storage slot of `Nonces.bitmap` (the mapping's seed), relative to `head`'s.
uint256 constant NONCES_BITMAP_SLOT = 2;
/// @dev The head's bits: one per nonce of its half-word.
uint256 constant NONCE_BITS_MASK = (1 << 128) - 1;
/// @dev Position of the head's half-word index `h` (64 bits).
uint256 constant NONCE_HALF_SHIFT = 128;
/// @dev Position of the head's copy of the floor (64 bits).
uint256 constant NONCE_FLOOR_SHIFT = 192;
/// @dev Largest half-word index the head can hold (2**64 - 1): it covers nonces below 2**71.
uint256 constant NONCE_MAX_HALF = 0xffffffffffffffff;
/// @dev The floor copy (2**64 - 1) that means "the floor does not fit: read `floor`" (the
/// floor is at least this value).
uint256 constant NONCE_FLOOR_IN_SLOT = 0xffffffffffffffff;
/// @dev A fill of a nonce at most this many half-words above the head's moves the head there
/// (writing the head's bits back first): an allocator that counts up keeps hitting the head
/// across skipped nonces (expired or invalidated orders), while a random 64-bit nonce (about
/// never within 8,192 nonces above the head) takes the mapping path without paying for a move.
uint256 constant NONCE_MOVE_WINDOW = 64;

/// @title NonceLib
/// @notice An owner's replay protection: the nonce floor (every order with a lower nonce is
/// cancelled) and the fill-or-kill nonce bitmap (one bit per nonce, spent on fill or cancel),
/// laid out so that a fill of a sequentially allocated nonce reads and writes one slot.
/// @dev `head` packs, low bits first:
///
/// | bits | content |
/// |---|---|
/// | 0..127 | the bits of the 128 nonces of half-word `h`, nonces `[128h, 128h + 128)` |
/// | 128..191 | `h` |
/// | 192..255 | the floor if below `NONCE_FLOOR_IN_SLOT`, else that sentinel ("read `floor`") |
///
/// `floor` is the authoritative floor. `bitmap[word]` holds the bits of nonces
/// `[256 word, 256 word + 256)`, except that the half the head covers may be stale there: the
/// head is authoritative for it, and that half of the mapping is always a subset of the head's
/// bits (a write to the mapping's half also goes to the head; the head is written back before
/// it moves). So nonce `n` is spent iff `n >> 7 == h ? head bit n & 127 : bitmap[n >> 8] bit
/// n & 255`. A fresh owner's head is zero: half 0, no bit, floor 0, all consistent.
library NonceLib {
    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One per owner. `NONCES_FLOOR_SLOT` and `NONCES_BITMAP_SLOT` name the members'
    /// slots for assembly: keep this order.
    struct Nonces {
        uint256 head;
        uint256 floor;
        mapping(uint256 word => uint256) bitmap;
    }

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The floor: the head's copy, or the full slot when the copy is the sentinel.
    function floorOf(Nonces storage self) internal view returns (uint256 floor) {
        floor = self.head >> NONCE_FLOOR_SHIFT;
        if (floor == NONCE_FLOOR_IN_SLOT) floor = self.floor;
    }

    /// @notice Whether `nonce`'s bit is spent.
    function isSpent(Nonces storage self, uint256 nonce) internal view returns (bool) {
        uint256 head = self.head;
        if (nonce >> 7 == (head >> NONCE_HALF_SHIFT) & NONCE_MAX_HALF) {
            return (head >> (nonce & 127)) & 1 != 0;
        }
        return (self.bitmap[nonce >> 8] >> (nonce & 255)) & 1 != 0;
    }

    /// @notice Bitmap word `word` as one 256-bit word: the mapping with the head's half on it.
    function bitmapWord(Nonces storage self, uint256 word) internal view returns (uint256 value) {
        value = self.bitmap[word];
        uint256 head = self.head;
        uint256 h = (head >> NONCE_HALF_SHIFT) & NONCE_MAX_HALF;
        // The mapping's half is a subset of the head's bits, so `or` is the head's half.
        if (h >> 1 == word) value |= (head & NONCE_BITS_MASK) << ((h & 1) << 7);
    }

    /// @notice Spends `nonce`'s bit; false (having changed no bit) if it was already spent.
    /// @dev In the head if it covers the nonce; else the head moves there first if the nonce is
    /// in one of the `NONCE_MOVE_WINDOW` half-words above it; else in the mapping.
    function spend(Nonces storage self, uint256 nonce) internal returns (bool) {
        uint256 head = self.head;
        uint256 half = nonce >> 7;
        uint256 h = (head >> NONCE_HALF_SHIFT) & NONCE_MAX_HALF;
        if (half != h) {
            // `half - h` does not wrap: `half > h` is checked first.
            if (half > h && half - h <= NONCE_MOVE_WINDOW && half <= NONCE_MAX_HALF) {
                head = _move(self, head, half);
            } else {
                uint256 word = self.bitmap[nonce >> 8];
                // forge-lint: disable-next-line(incorrect-shift)
                uint256 wordBit = 1 << (nonce & 255);
                if (word & wordBit != 0) return false;
                self.bitmap[nonce >> 8] = word | wordBit;
                return true;
            }
        }
        // forge-lint: disable-next-line(incorrect-shift)
        uint256 bit = 1 << (nonce & 127);
        if (head & bit != 0) return false;
        self.head = head | bit;
        return true;
    }

    /// @notice Spends the bits `mask` of bitmap word `word` (spent bits stay spent).
    function invalidate(Nonces storage self, uint256 word, uint256 mask) internal {
        self.bitmap[word] |= mask;
        uint256 head = self.head;
        uint256 h = (head >> NONCE_HALF_SHIFT) & NONCE_MAX_HALF;
        if (h >> 1 == word) {
            uint256 bits = (mask >> ((h & 1) << 7)) & NONCE_BITS_MASK;
            if (bits & ~head != 0) self.head = head | bits;
        }
    }

    /// @notice Sets the floor (the caller checked it rises) and the head's copy of it. If the
    /// floor passes the head's half-word, the head moves to the floor's half-word (when it has
    /// one below 2**64), so an allocator that continues from the new floor hits the head.
    function raiseFloor(Nonces storage self, uint256 floor) internal {
        self.floor = floor;
        uint256 head = self.head;
        uint256 half = floor >> 7;
        if (half > (head >> NONCE_HALF_SHIFT) & NONCE_MAX_HALF && half <= NONCE_MAX_HALF) {
            head = _move(self, head, half);
        }
        uint256 copy = floor < NONCE_FLOOR_IN_SLOT ? floor : NONCE_FLOOR_IN_SLOT;
        self.head = (head & type(uint192).max) | (copy << NONCE_FLOOR_SHIFT);
    }

    /// @dev The head moved to half-word `half` (not written): its bits go back to their half of
    /// the mapping (an `or`, as that half is a subset of them), and `half`'s bits come from the
    /// mapping. The set of spent nonces is unchanged. `half <= NONCE_MAX_HALF`.
    function _move(Nonces storage self, uint256 head, uint256 half) private returns (uint256) {
        uint256 bits = head & NONCE_BITS_MASK;
        if (bits != 0) {
            uint256 h = (head >> NONCE_HALF_SHIFT) & NONCE_MAX_HALF;
            self.bitmap[h >> 1] |= bits << ((h & 1) << 7);
        }
        uint256 loaded = (self.bitmap[half >> 1] >> ((half & 1) << 7)) & NONCE_BITS_MASK;
        return
            ((head >> NONCE_FLOOR_SHIFT) << NONCE_FLOOR_SHIFT) | (half << NONCE_HALF_SHIFT) | loaded;
    }
}
