// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IOrderBook} from "../../../contracts/interfaces/IOrderBook.sol";
import {OrderId} from "../../../contracts/types/BookIds.sol";
import {BookBase} from "./BookBase.sol";

/// @notice The `crossbook.bench.gas_book` scenarios in forge, for quick iteration: execution
/// gas of the measured call with the book and token accounts cooled first (so storage is cold
/// as in its own transaction). Not the snapshot figures: no intrinsic or calldata gas, and
/// refunds (deleted slots) are not subtracted. `make bench-update` measures those.
contract BookGasScenariosTest is BookBase {
    uint16 internal constant TICK = MID;

    function _warm() internal {
        _place(alice, BID, TICK - 50, 10);
        _place(alice, ASK, TICK + 5, 10);
        _place(alice, ASK, TICK - 1, 10);
        _take(taker, BID, TICK - 1, 10);
    }

    function _cool() internal {
        vm.cool(address(book));
        vm.cool(address(weth));
        vm.cool(address(usdc));
    }

    function test_scenario_placeNewLevel() public {
        _warm();
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.place(ASK, TICK + 3, 10, GTC, 0, STEPS);
        emit log_named_uint("place new level", g - gasleft());
    }

    /// Not a snapshot scenario: a new level at a tick that held orders before (the warm-up
    /// take emptied TICK - 1), whose level word is already nonzero.
    function test_scenario_placeEmptiedLevel() public {
        _warm();
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.place(ASK, TICK - 1, 10, GTC, 0, STEPS);
        emit log_named_uint("place at an emptied level", g - gasleft());
    }

    function test_scenario_placeExistingLevel() public {
        _warm();
        _place(alice, ASK, TICK, 10);
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.place(ASK, TICK, 10, GTC, 0, STEPS);
        emit log_named_uint("place existing level", g - gasleft());
    }

    function _cancelGas(OrderId id) internal returns (uint256 used) {
        uint32 hint = book.holeHint(id);
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.cancel(id, type(uint32).max, hint);
        used = g - gasleft();
    }

    function test_scenario_cancelFront() public {
        _warm();
        OrderId first = _place(alice, ASK, TICK, 10);
        _place(alice, ASK, TICK, 10);
        emit log_named_uint("cancel front (before refund)", _cancelGas(first));
    }

    function test_scenario_cancelMiddle() public {
        _warm();
        _place(alice, ASK, TICK, 10);
        OrderId middle = _place(alice, ASK, TICK, 10);
        _place(alice, ASK, TICK, 10);
        emit log_named_uint("cancel middle (before refund)", _cancelGas(middle));
    }

    function test_scenario_cancelTail() public {
        _warm();
        _place(alice, ASK, TICK, 10);
        OrderId last = _place(alice, ASK, TICK, 10);
        emit log_named_uint("cancel tail (before refund)", _cancelGas(last));
    }

    function test_scenario_take10() public {
        _warm();
        for (uint256 i; i < 10; ++i) {
            address m = address(uint160(0x1000 + i));
            _fund(book, m);
            _place(m, ASK, TICK, 10);
        }
        _cool();
        vm.prank(taker);
        uint256 g = gasleft();
        book.take(BID, TICK, 100, 100, STEPS, block.timestamp);
        emit log_named_uint("take 10", g - gasleft());
    }

    // ------------------------- maker balances -------------------------

    /// The maker already holds a book balance of both tokens (as in the Python scenarios).
    function _warmBalance() internal {
        _warm();
        vm.startPrank(alice);
        book.deposit(address(weth), 100e18);
        book.deposit(address(usdc), 1e12);
        vm.stopPrank();
    }

    function test_scenario_placeNewLevelFromBalance() public {
        _warmBalance();
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.placeFromBalance(ASK, TICK + 3, 10, GTC, 0, STEPS);
        emit log_named_uint("place new level from balance", g - gasleft());
    }

    function test_scenario_placeExistingLevelFromBalance() public {
        _warmBalance();
        vm.prank(alice);
        book.placeFromBalance(ASK, TICK, 10, GTC, 0, STEPS);
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.placeFromBalance(ASK, TICK, 10, GTC, 0, STEPS);
        emit log_named_uint("place existing level from balance", g - gasleft());
    }

    function test_scenario_cancelFrontToBalance() public {
        _warmBalance();
        vm.prank(alice);
        (OrderId first,) = book.placeFromBalance(ASK, TICK, 10, GTC, 0, STEPS);
        vm.prank(alice);
        book.placeFromBalance(ASK, TICK, 10, GTC, 0, STEPS);
        uint32 hint = book.holeHint(first);
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.cancelToBalance(first, type(uint32).max, hint);
        emit log_named_uint("cancel front to balance", g - gasleft());
    }

    function _filled() internal returns (OrderId[] memory ids) {
        ids = new OrderId[](1);
        ids[0] = _place(alice, ASK, TICK, 10);
        _take(taker, BID, TICK, 10);
    }

    function test_scenario_claim() public {
        _warmBalance();
        OrderId[] memory ids = _filled();
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.claim(ids);
        emit log_named_uint("claim (before refund)", g - gasleft());
    }

    function test_scenario_claimToBalance() public {
        _warmBalance();
        OrderId[] memory ids = _filled();
        _cool();
        vm.prank(alice);
        uint256 g = gasleft();
        book.claimToBalance(ids);
        emit log_named_uint("claim to balance (before refund)", g - gasleft());
    }
}
