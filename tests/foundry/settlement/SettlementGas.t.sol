// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {SettlementBase} from "./SettlementBase.sol";

/// @notice Gas of steady-state batches (makers already hold both tokens, nonce words and fee
/// balances already nonzero). Logs execution gas and an estimate of the whole transaction
/// (21000 + calldata, with the EIP-7623 floor) per fill; asserts regression ceilings only
/// (the project targets are 32k / 22k per fill and 110k per pair; see docs/settlement.md).
contract SettlementGasTest is SettlementBase {
    uint256 internal constant PAIRS = 50;

    address[] internal makers;
    uint256[] internal makerKeys;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 2 * PAIRS; ++i) {
            (address maker, uint256 key) = makeAddrAndKey(string.concat("maker", vm.toString(i)));
            makers.push(maker);
            makerKeys.push(key);
            _fund(maker, address(tokenA), 1_000e18);
            _fund(maker, address(tokenB), 1_000e18);
            vm.startPrank(maker);
            settlement.deposit(address(tokenA), 100e18);
            settlement.deposit(address(tokenB), 100e18);
            vm.stopPrank();
        }
        // Warm-up batches spend nonce 0 and fill fee balances, as in steady state. The internal
        // warm-up (nonce 1000) moves each maker's nonce head to half-word 7 (`NonceLib`), so the
        // wallet batches below (nonces 1, 2) measure the fast path's mapping-word case and the
        // internal ones (1001, 1002) its head case.
        _settle(_tokensAB(), _prices(1, 1), _batch(0, 0, PAIRS));
        _settle(_tokensAB(), _prices(1, 1), _batch(1000, SELL_INTERNAL | BUY_INTERNAL, PAIRS));
    }

    /// @dev `pairs` crossing pairs: maker 2k sells A, maker 2k+1 sells B, 1:1, small fee.
    function _batch(uint256 nonce, uint8 flags, uint256 pairs)
        internal
        view
        returns (TradeSpec[] memory trades)
    {
        return _batch(nonce, flags, pairs, 0.001e18);
    }

    function _batch(uint256 nonce, uint8 flags, uint256 pairs, uint256 fee)
        internal
        view
        returns (TradeSpec[] memory trades)
    {
        trades = new TradeSpec[](2 * pairs);
        for (uint256 k; k < pairs; ++k) {
            ISettlement.Order memory a = _order(
                makers[2 * k], address(tokenA), address(tokenB), 1e18, 0.99e18, fee, nonce, flags
            );
            ISettlement.Order memory b = _order(
                makers[2 * k + 1],
                address(tokenB),
                address(tokenA),
                1e18,
                0.99e18,
                fee,
                nonce,
                flags
            );
            trades[2 * k] = _signedTrade(a, makerKeys[2 * k], 1e18);
            trades[2 * k + 1] = _signedTrade(b, makerKeys[2 * k + 1], 1e18);
        }
    }

    /// @dev The same batch with every pair paying each other wallet-to-wallet (as
    /// `build_batch` pairs exactly matching wallet trades).
    function _direct(TradeSpec[] memory trades) internal pure returns (TradeSpec[] memory) {
        for (uint256 k; 2 * k < trades.length; ++k) {
            _pairDirect(trades, 2 * k, 2 * k + 1);
        }
        return trades;
    }

    function _calldata(TradeSpec[] memory specs) internal view returns (bytes memory) {
        (ISettlement.TradeData[] memory trades, bytes[] memory signatures) = _encode(specs);
        return abi.encodeCall(settlement.settle, (_tokensAB(), _prices(1, 1), trades, signatures));
    }

    function _measure(string memory label, TradeSpec[] memory specs)
        internal
        returns (uint256 perFill)
    {
        bytes memory data = _calldata(specs);
        uint256 fills = specs.length;
        uint256 zeros;
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) ++zeros;
        }
        uint256 nonzeros = data.length - zeros;
        vm.prank(relayer);
        uint256 g = gasleft();
        (bool ok,) = address(settlement).call(data);
        uint256 execution = g - gasleft();
        assertTrue(ok);
        // In a real transaction `settlement` is already warm as `tx.to`; the test call paid 2600 cold.
        uint256 standard = 21_000 + 4 * zeros + 16 * nonzeros + execution - 2_600;
        uint256 floor = 21_000 + 10 * (zeros + 4 * nonzeros);
        uint256 txGas = standard > floor ? standard : floor;
        perFill = txGas / fills;
        emit log_named_uint(string.concat(label, ": calldata bytes"), data.length);
        emit log_named_uint(string.concat(label, ": execution gas"), execution);
        emit log_named_uint(string.concat(label, ": tx gas (estimate)"), txGas);
        emit log_named_uint(string.concat(label, ": tx gas per fill"), perFill);
    }

    function test_gas_settle50PairsFromWallets() public {
        uint256 perFill = _measure("50 pairs, wallets", _batch(1, 0, PAIRS));
        assertLt(perFill, 40_000);
    }

    function test_gas_settle50PairsFromInternalBalances() public {
        uint256 perFill =
            _measure("50 pairs, internal", _batch(1001, SELL_INTERNAL | BUY_INTERNAL, PAIRS));
        assertLt(perFill, 31_000);
    }

    /// @dev Fee-free orders, as in the ape scenarios (`crossbook bench gas`), through the
    /// contract and paid directly wallet to wallet (what `build_batch` does for such pairs).
    function test_gas_settle50FeeFreePairsFromWallets() public {
        uint256 perFill = _measure("50 fee-free pairs, wallets", _batch(1, 0, PAIRS, 0));
        assertLt(perFill, 40_000);
    }

    function test_gas_settle50FeeFreePairsFromWalletsDirect() public {
        uint256 perFill =
            _measure("50 fee-free pairs, wallets, direct", _direct(_batch(1, 0, PAIRS, 0)));
        assertLt(perFill, 36_000);
    }

    function test_gas_settleOneFeeFreePairFromWalletsDirect() public {
        uint256 perFill = _measure("1 fee-free pair, wallets, direct", _direct(_batch(2, 0, 1, 0)));
        assertLt(perFill * 2, 115_000);
    }

    function test_gas_settleOnePairFromWallets() public {
        uint256 perFill = _measure("1 pair, wallets", _batch(2, 0, 1));
        assertLt(perFill * 2, 145_000);
    }

    function test_gas_settleOnePairFromInternalBalances() public {
        uint256 perFill =
            _measure("1 pair, internal", _batch(1002, SELL_INTERNAL | BUY_INTERNAL, 1));
        assertLt(perFill * 2, 112_000);
    }
}
