// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../../contracts/Settlement.sol";
import {
    ACCOUNT_LEG_IN,
    ACCOUNT_LEG_OUT,
    ACCOUNT_PULLED,
    ACCOUNT_PUSHED,
    BatchAccounting
} from "../../contracts/libraries/BatchAccounting.sol";

/// @dev Settlement with its batch close reachable: a batch's accounts filled with given words.
contract ClosingSettlement is Settlement {
    constructor(address recipient) Settlement(msg.sender, recipient) {}

    /// @param words Per token: pulled, pushed, leg in, leg out.
    function close(address[] calldata tokens, uint256[4][] calldata words) external {
        uint256 batch = BatchAccounting.open(0, 0, 0, tokens.length, 0);
        for (uint256 j; j < tokens.length; ++j) {
            uint256 account = BatchAccounting.account(batch, j);
            BatchAccounting.add(account + ACCOUNT_PULLED, words[j][0]);
            BatchAccounting.add(account + ACCOUNT_PUSHED, words[j][1]);
            BatchAccounting.add(account + ACCOUNT_LEG_IN, words[j][2]);
            BatchAccounting.add(account + ACCOUNT_LEG_OUT, words[j][3]);
        }
        _closeBatch(tokens, batch);
    }
}

/// @title BatchConservationSymbolic
/// @notice halmos: the per-token conservation check that closes every batch. For two tokens and
/// any accounting words, the batch closes iff, for each token, what leaves (payouts and leg
/// inputs) is at most what came in (order inputs and leg outputs), and then the fee recipient
/// is credited exactly the difference, per token; the two tokens' accounts never share a word.
contract BatchConservationSymbolic {
    address private constant _RECIPIENT = address(0xfee);
    ClosingSettlement private _settlement;

    function setUp() public {
        _settlement = new ClosingSettlement(_RECIPIENT);
    }

    function check_closeBatch_conserves(
        uint128 pulled0,
        uint128 pushed0,
        uint128 legIn0,
        uint128 legOut0,
        uint128 pulled1,
        uint128 pushed1,
        uint128 legIn1,
        uint128 legOut1
    ) external {
        address[] memory tokens = new address[](2);
        (tokens[0], tokens[1]) = (address(0xa), address(0xb));
        uint256[4][] memory words = new uint256[4][](2);
        words[0] = [uint256(pulled0), pushed0, legIn0, legOut0];
        words[1] = [uint256(pulled1), pushed1, legIn1, legOut1];
        uint256 in0 = uint256(pulled0) + legOut0;
        uint256 out0 = uint256(pushed0) + legIn0;
        uint256 in1 = uint256(pulled1) + legOut1;
        uint256 out1 = uint256(pushed1) + legIn1;

        (bool closed,) =
            address(_settlement).call(abi.encodeCall(ClosingSettlement.close, (tokens, words)));
        assert(closed == (out0 <= in0 && out1 <= in1));
        if (closed) {
            assert(_settlement.balanceOf(_RECIPIENT, tokens[0]) == in0 - out0);
            assert(_settlement.balanceOf(_RECIPIENT, tokens[1]) == in1 - out1);
        }
    }

    /// @dev Three tokens and two trades: no account word is another's or a ledger word.
    function check_accounts_disjoint(uint8 i, uint8 j, uint8 wi, uint8 wj, uint8 k, uint8 wk)
        external
        pure
    {
        if (i >= 3 || j >= 3 || i == j || wi >= 7 || wj >= 7 || k >= 2 || wk >= 2) return;
        uint256 batch = BatchAccounting.open(0, 0, 0, 3, 2);
        uint256 a = BatchAccounting.account(batch, i) + 32 * uint256(wi);
        uint256 b = BatchAccounting.account(batch, j) + 32 * uint256(wj);
        uint256 e = BatchAccounting.entry(batch, k) + 32 * uint256(wk);
        assert(a != b && a != e);
        assert(a >= batch + 0xe0 && e >= batch + 0xe0 + 3 * 256);
    }
}
