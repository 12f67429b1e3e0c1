// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Settlement} from "../../../contracts/Settlement.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";

/// @notice Shared fixtures: a settlement, two 18-decimal tokens, makers with keys, and
/// helpers that build, sign and settle orders.
abstract contract SettlementBase is Test {
    uint8 internal constant PARTIAL = 1;
    uint8 internal constant SELL_INTERNAL = 2;
    uint8 internal constant BUY_INTERNAL = 4;
    uint8 internal constant SCHEME_ECDSA = 0;
    uint8 internal constant SCHEME_1271 = 1;
    uint8 internal constant SCHEME_PRESIGN = 2;

    /// @dev secp256k1 curve order.
    uint256 internal constant N =
        0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    bytes32 internal constant ORDER_TYPE_HASH = keccak256(
        "Order(address owner,address receiver,address sellToken,address buyToken,uint256 sellAmount,uint256 buyAmount,uint256 feeAmount,uint32 validTo,uint256 nonce,uint8 flags)"
    );

    Settlement internal settlement;
    MockERC20 internal tokenA;
    MockERC20 internal tokenB;

    address internal admin = makeAddr("admin");
    address internal guardianAccount = makeAddr("guardian");
    address internal fees = makeAddr("feeRecipient");
    address internal relayer = makeAddr("relayer");

    address internal alice;
    uint256 internal alicePk;
    address internal bob;
    uint256 internal bobPk;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        settlement = new Settlement(admin, fees);
        vm.startPrank(admin);
        settlement.setRelayer(relayer, true);
        settlement.setGuardian(guardianAccount);
        vm.stopPrank();

        tokenA = new MockERC20("Token A", "A", 18);
        tokenB = new MockERC20("Token B", "B", 18);
        (alice, alicePk) = makeAddrAndKey("alice");
        (bob, bobPk) = makeAddrAndKey("bob");
        _fund(alice, address(tokenA), 1_000e18);
        _fund(bob, address(tokenB), 1_000e18);
    }

    // ------------------------------- helpers -------------------------------

    function _fund(address who, address token, uint256 amount) internal {
        MockERC20(token).mint(who, amount);
        vm.prank(who);
        MockERC20(token).approve(address(settlement), type(uint256).max);
    }

    function _order(
        address owner,
        address sellToken,
        address buyToken,
        uint256 sellAmount,
        uint256 buyAmount,
        uint256 feeAmount,
        uint256 nonce,
        uint8 flags
    ) internal view returns (ISettlement.Order memory order) {
        order = ISettlement.Order({
            owner: owner,
            receiver: address(0),
            sellToken: sellToken,
            buyToken: buyToken,
            sellAmount: sellAmount,
            buyAmount: buyAmount,
            feeAmount: feeAmount,
            validTo: uint32(block.timestamp + 1 hours),
            nonce: nonce,
            flags: flags
        });
    }

    /// @dev The uid computed independently of the contract (domain built by hand).
    function _uid(ISettlement.Order memory o, address verifyingContract)
        internal
        view
        returns (bytes32)
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("crossbook"),
                keccak256("1"),
                block.chainid,
                verifyingContract
            )
        );
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
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _uid(ISettlement.Order memory o) internal view returns (bytes32) {
        return _uid(o, address(settlement));
    }

    function _sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _sign(uint256 pk, ISettlement.Order memory o) internal view returns (bytes memory) {
        return _sign(pk, _uid(o));
    }

    /// @dev A trade before encoding (as Python's `Fill`): the order fields, the scheme, the
    /// signature bytes and the optional direct payee (1 + trade index, 0 = none).
    struct TradeSpec {
        uint8 sellTokenIndex;
        uint8 buyTokenIndex;
        address owner;
        address receiver;
        uint256 sellAmount;
        uint256 buyAmount;
        uint256 feeAmount;
        uint32 validTo;
        uint256 nonce;
        uint8 flags;
        uint8 signingScheme;
        uint256 executedSellAmount;
        bytes signature;
        uint16 payee;
    }

    function _trade(
        ISettlement.Order memory o,
        uint8 sellIndex,
        uint8 buyIndex,
        uint256 executed,
        uint8 scheme,
        bytes memory signature
    ) internal pure returns (TradeSpec memory) {
        return TradeSpec({
            sellTokenIndex: sellIndex,
            buyTokenIndex: buyIndex,
            owner: o.owner,
            receiver: o.receiver,
            sellAmount: o.sellAmount,
            buyAmount: o.buyAmount,
            feeAmount: o.feeAmount,
            validTo: o.validTo,
            nonce: o.nonce,
            flags: o.flags,
            signingScheme: scheme,
            executedSellAmount: executed,
            signature: signature,
            payee: 0
        });
    }

    /// @dev The packed word of `ISettlement.TradeData` (see its NatSpec for the layout).
    function _packed(TradeSpec memory t, uint8 v) internal pure returns (uint256) {
        return uint256(uint160(t.owner)) | (uint256(t.validTo) << 160)
            | (uint256(t.sellTokenIndex) << 192) | (uint256(t.buyTokenIndex) << 200)
            | (uint256(t.flags) << 208) | (uint256(t.signingScheme) << 216) | (uint256(v) << 224)
            | (uint256(t.payee) << 232);
    }

    /// @dev The calldata encoding of `specs`, as `crossbook.settlement.build_batch` builds it:
    /// ECDSA 65-byte signatures split into (r, s, v); EIP-1271 bytes go to `signatures` with
    /// their index in `r`; anything else (a pre-sign with bytes, a 64-byte ECDSA form) is
    /// carried as raw words so tests can show the contract rejects it.
    function _encode(TradeSpec[] memory specs)
        internal
        pure
        returns (ISettlement.TradeData[] memory trades, bytes[] memory signatures)
    {
        trades = new ISettlement.TradeData[](specs.length);
        uint256 count;
        for (uint256 i; i < specs.length; ++i) {
            if (specs[i].signingScheme == SCHEME_1271) ++count;
        }
        signatures = new bytes[](count);
        count = 0;
        for (uint256 i; i < specs.length; ++i) {
            TradeSpec memory t = specs[i];
            bytes memory sig = t.signature;
            bytes32 r;
            bytes32 s;
            uint8 v;
            if (t.signingScheme == SCHEME_1271) {
                r = bytes32(count);
                signatures[count++] = sig;
            } else {
                // Reads only inside `sig` (each word guarded by its length).
                assembly ("memory-safe") {
                    let len := mload(sig)
                    if gt(len, 0) { r := mload(add(sig, 0x20)) }
                    if gt(len, 32) { s := mload(add(sig, 0x40)) }
                    if gt(len, 64) { v := byte(0, mload(add(sig, 0x60))) }
                }
            }
            trades[i] = ISettlement.TradeData({
                packed: _packed(t, v),
                receiver: t.receiver,
                sellAmount: t.sellAmount,
                buyAmount: t.buyAmount,
                feeAmount: t.feeAmount,
                nonce: t.nonce,
                executedSellAmount: t.executedSellAmount,
                r: r,
                s: s
            });
        }
    }

    function _trades(TradeSpec[] memory specs)
        internal
        pure
        returns (ISettlement.TradeData[] memory trades)
    {
        (trades,) = _encode(specs);
    }

    function _sigs(TradeSpec[] memory specs) internal pure returns (bytes[] memory signatures) {
        (, signatures) = _encode(specs);
    }

    /// @dev An ECDSA-signed trade that fully executes `o` (tokens [A, B]).
    function _signedTrade(ISettlement.Order memory o, uint256 pk, uint256 executed)
        internal
        view
        returns (TradeSpec memory)
    {
        (uint8 sellIndex, uint8 buyIndex) = o.sellToken == address(tokenA) ? (0, 1) : (1, 0);
        return _trade(o, sellIndex, buyIndex, executed, SCHEME_ECDSA, _sign(pk, o));
    }

    function _tokensAB() internal view returns (address[] memory tokens) {
        tokens = new address[](2);
        tokens[0] = address(tokenA);
        tokens[1] = address(tokenB);
    }

    function _prices(uint256 priceA, uint256 priceB)
        internal
        pure
        returns (uint256[] memory prices)
    {
        prices = new uint256[](2);
        prices[0] = priceA;
        prices[1] = priceB;
    }

    function _one(TradeSpec memory t) internal pure returns (TradeSpec[] memory trades) {
        trades = new TradeSpec[](1);
        trades[0] = t;
    }

    function _two(TradeSpec memory t0, TradeSpec memory t1)
        internal
        pure
        returns (TradeSpec[] memory trades)
    {
        trades = new TradeSpec[](2);
        trades[0] = t0;
        trades[1] = t1;
    }

    function _settle(address[] memory tokens, uint256[] memory prices, TradeSpec[] memory trades)
        internal
    {
        vm.prank(relayer);
        _settleAs(tokens, prices, trades);
    }

    /// @dev `settlement.settle` with `specs` encoded; the caller pranks (and expects reverts).
    function _settleAs(address[] memory tokens, uint256[] memory prices, TradeSpec[] memory specs)
        internal
    {
        (ISettlement.TradeData[] memory trades, bytes[] memory signatures) = _encode(specs);
        settlement.settle(tokens, prices, trades, signatures);
    }

    /// @dev Pairs trades `i` and `j` (a crossing pair) for direct owner-to-receiver payment.
    function _pairDirect(TradeSpec[] memory trades, uint256 i, uint256 j) internal pure {
        trades[i].payee = uint16(j + 1);
        trades[j].payee = uint16(i + 1);
    }

    /// @dev Alice sells 100 A for >= 100 B; Bob sells 100 B for >= 100 A; both fill at 1:1.
    function _crossingPair(uint8 aliceFlags, uint8 bobFlags)
        internal
        view
        returns (TradeSpec[] memory trades, ISettlement.Order memory a, ISettlement.Order memory b)
    {
        a = _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 1e18, 1, aliceFlags);
        b = _order(bob, address(tokenB), address(tokenA), 100e18, 99e18, 0, 1, bobFlags);
        trades = _two(_signedTrade(a, alicePk, 100e18), _signedTrade(b, bobPk, 100e18));
    }
}
