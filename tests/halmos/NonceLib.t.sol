// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NonceLib} from "../../contracts/libraries/NonceLib.sol";

/// @title NonceLibSymbolic
/// @notice halmos: the packed nonce head against a model (the nonces spent one by one, an
/// invalidated word and mask, the floor). Symbolic nonces, words, masks and floors, so each
/// step may take any of the head's paths (head bits, a move within the window, the mapping);
/// after the sequence, `isSpent`, `bitmapWord` and `floorOf` agree with the model for any
/// nonce, and every `spend` returned whether the nonce was fresh.
contract NonceLibSymbolic {
    using NonceLib for NonceLib.Nonces;

    NonceLib.Nonces private _nonces;

    function _inMask(uint256 nonce, uint256 word, uint256 mask) private pure returns (bool) {
        return nonce >> 8 == word && (mask >> (nonce & 255)) & 1 != 0;
    }

    function _agrees(uint256 probe, bool spent, uint256 floor) private view {
        assert(_nonces.isSpent(probe) == spent);
        assert(((_nonces.bitmapWord(probe >> 8) >> (probe & 255)) & 1 != 0) == spent);
        assert(_nonces.floorOf() == floor);
    }

    /// @dev spend a, invalidate (word, mask), spend b; then any nonce.
    function check_spendInvalidateSpend(
        uint256 a,
        uint256 word,
        uint256 mask,
        uint256 b,
        uint256 probe
    ) external {
        assert(_nonces.spend(a));
        _nonces.invalidate(word, mask);
        assert(_nonces.spend(b) == (b != a && !_inMask(b, word, mask)));
        _agrees(probe, probe == a || probe == b || _inMask(probe, word, mask), 0);
    }

    /// @dev spend a, spend b (the head may move to b's half-word), spend a again.
    function check_spendTwice(uint256 a, uint256 b, uint256 probe) external {
        assert(_nonces.spend(a));
        assert(_nonces.spend(b) == (b != a));
        assert(!_nonces.spend(a));
        _agrees(probe, probe == a || probe == b, 0);
    }

    /// @dev raise the floor (the head may move to the floor's half-word), then spend b.
    function check_raiseFloorThenSpend(uint256 floor, uint256 b, uint256 probe) external {
        // `Settlement` only raises the floor.
        if (floor == 0) return;
        _nonces.raiseFloor(floor);
        assert(_nonces.spend(b));
        _agrees(probe, probe == b, floor);
    }

    /// @dev spend a, then raise the floor: the head's bits go back to the mapping on a move.
    function check_spendThenRaiseFloor(uint256 a, uint256 floor, uint256 probe) external {
        assert(_nonces.spend(a));
        if (floor == 0) return;
        _nonces.raiseFloor(floor);
        _agrees(probe, probe == a, floor);
    }
}
