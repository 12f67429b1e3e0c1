// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Settlement} from "../../../contracts/Settlement.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {
    ERC1271GasBomb,
    ERC1271Reverting,
    ERC1271ReturnBomb,
    ERC1271Wallet,
    ERC1271WrongMagic
} from "../../../contracts/test/ERC1271Wallets.sol";
import {SettlementBase} from "./SettlementBase.sol";

/// @notice Order uid, domain separation and the three signing schemes.
contract SettlementSignaturesTest is SettlementBase {
    ISettlement.Order internal bobOrder;

    function setUp() public override {
        super.setUp();
        bobOrder = _order(bob, address(tokenB), address(tokenA), 100e18, 100e18, 0, 1, 0);
    }

    /// @dev Settles `a` (selling A) against Bob's ECDSA order with the given scheme/signature.
    function _settleWith(ISettlement.Order memory a, uint8 scheme, bytes memory sig) internal {
        _settle(
            _tokensAB(),
            _prices(1, 1),
            _two(_trade(a, 0, 1, a.sellAmount, scheme, sig), _signedTrade(bobOrder, bobPk, 100e18))
        );
    }

    function _expectSettleRevert(
        ISettlement.Order memory a,
        uint8 scheme,
        bytes memory sig,
        bytes memory err
    ) internal {
        TradeSpec[] memory trades = _two(
            _trade(a, 0, 1, a.sellAmount, scheme, sig), _signedTrade(bobOrder, bobPk, 100e18)
        );
        vm.prank(relayer);
        vm.expectRevert(err);
        _settleAs(_tokensAB(), _prices(1, 1), trades);
    }

    function _aliceOrder() internal view returns (ISettlement.Order memory) {
        return _order(alice, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
    }

    // ------------------------------ order uid ------------------------------

    function test_orderUid_matchesHandComputedDigest() public view {
        ISettlement.Order memory a = _aliceOrder();
        a.receiver = address(0xBEEF);
        a.flags = PARTIAL | BUY_INTERNAL;
        assertEq(settlement.orderUid(a), _uid(a));
    }

    function test_orderUid_matchesForgeEip712Cheatcode() public view {
        ISettlement.Order memory a = _aliceOrder();
        string memory json = string.concat(
            '{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},',
            '{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],',
            '"Order":[{"name":"owner","type":"address"},{"name":"receiver","type":"address"},',
            '{"name":"sellToken","type":"address"},{"name":"buyToken","type":"address"},',
            '{"name":"sellAmount","type":"uint256"},{"name":"buyAmount","type":"uint256"},',
            '{"name":"feeAmount","type":"uint256"},{"name":"validTo","type":"uint32"},',
            '{"name":"nonce","type":"uint256"},{"name":"flags","type":"uint8"}]},'
        );
        json = string.concat(
            json,
            '"primaryType":"Order","domain":{"name":"crossbook","version":"1","chainId":',
            vm.toString(block.chainid),
            ',"verifyingContract":"',
            vm.toString(address(settlement)),
            '"},"message":{"owner":"',
            vm.toString(a.owner),
            '","receiver":"0x0000000000000000000000000000000000000000","sellToken":"',
            vm.toString(a.sellToken),
            '","buyToken":"',
            vm.toString(a.buyToken)
        );
        json = string.concat(
            json,
            '","sellAmount":"100000000000000000000","buyAmount":"100000000000000000000","feeAmount":"0",',
            '"validTo":',
            vm.toString(uint256(a.validTo)),
            ',"nonce":"1","flags":0}}'
        );
        assertEq(settlement.orderUid(a), vm.eip712HashTypedData(json));
    }

    function test_orderUid_typeHash() public pure {
        assertEq(
            ORDER_TYPE_HASH,
            vm.eip712HashType(
                "Order(address owner,address receiver,address sellToken,address buyToken,uint256 sellAmount,uint256 buyAmount,uint256 feeAmount,uint32 validTo,uint256 nonce,uint8 flags)"
            )
        );
    }

    function testFuzz_orderUid_matchesHandComputedDigest(ISettlement.Order memory o) public view {
        assertEq(settlement.orderUid(o), _uid(o));
    }

    function test_domainSeparator_rebuiltOnChainIdChange() public {
        bytes32 before = settlement.domainSeparator();
        vm.chainId(block.chainid + 1);
        assertTrue(settlement.domainSeparator() != before);
    }

    // ------------------------------ replay ------------------------------

    function test_settle_signatureReplayOnOtherChainRejected() public {
        ISettlement.Order memory a = _aliceOrder();
        bytes memory sig = _sign(alicePk, a); // signed for the current chain id
        vm.chainId(block.chainid + 1);
        bytes32 newUid = settlement.orderUid(a);
        (address recovered,,) = _recover(newUid, sig);
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            sig,
            abi.encodeWithSelector(ISettlement.InvalidSigner.selector, newUid, recovered)
        );
    }

    function test_settle_signatureReplayOnOtherContractRejected() public {
        Settlement other = new Settlement(admin, fees);
        ISettlement.Order memory a = _aliceOrder();
        bytes memory sig = _sign(alicePk, _uid(a, address(other))); // signed for another deployment
        bytes32 uid = _uid(a);
        (address recovered,,) = _recover(uid, sig);
        assertTrue(recovered != alice);
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            sig,
            abi.encodeWithSelector(ISettlement.InvalidSigner.selector, uid, recovered)
        );
    }

    // ------------------------------ ECDSA ------------------------------

    function test_settle_ecdsaValid() public {
        ISettlement.Order memory a = _aliceOrder();
        _settleWith(a, SCHEME_ECDSA, _sign(alicePk, a));
        assertEq(tokenB.balanceOf(alice), 100e18);
    }

    function test_settle_ecdsaHighSRejected() public {
        ISettlement.Order memory a = _aliceOrder();
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(alicePk, _uid(a));
        bytes memory malleable =
            abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            malleable,
            abi.encodeWithSelector(ISettlement.SignatureHighS.selector, _uid(a))
        );
    }

    /// @dev The calldata has one ECDSA form, separate `r`, `s`, `v` words: an EIP-2098 compact
    /// signature (`r`, `vs`) carried in it has no valid `v`, or a high `s` when its parity bit
    /// is set, so it never verifies.
    function test_settle_ecdsaCompactFormRejected() public {
        ISettlement.Order memory a = _aliceOrder();
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(alicePk, _uid(a));
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            abi.encodePacked(r, vs),
            abi.encodeWithSelector(ISettlement.InvalidSignatureV.selector, _uid(a), 0)
        );
        bytes32 highVs = bytes32(uint256(s) | (1 << 255));
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            abi.encodePacked(r, highVs, v),
            abi.encodeWithSelector(ISettlement.SignatureHighS.selector, _uid(a))
        );
    }

    function test_settle_ecdsaV0Rejected() public {
        ISettlement.Order memory a = _aliceOrder();
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(alicePk, _uid(a));
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            abi.encodePacked(r, s, v - 27),
            abi.encodeWithSelector(ISettlement.InvalidSignatureV.selector, _uid(a), v - 27)
        );
    }

    function test_settle_ecdsaV1Rejected() public {
        ISettlement.Order memory a = _aliceOrder();
        (, bytes32 r, bytes32 s) = vm.sign(alicePk, _uid(a));
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            abi.encodePacked(r, s, uint8(1)),
            abi.encodeWithSelector(ISettlement.InvalidSignatureV.selector, _uid(a), 1)
        );
    }

    function test_settle_ecdsaWrongSigner() public {
        ISettlement.Order memory a = _aliceOrder();
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            _sign(bobPk, a),
            abi.encodeWithSelector(ISettlement.InvalidSigner.selector, _uid(a), bob)
        );
    }

    function test_settle_ecdsaUnrecoverableRejectedForZeroOwner() public {
        ISettlement.Order memory a =
            _order(address(0), address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        bytes memory garbage = abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27));
        _expectSettleRevert(
            a,
            SCHEME_ECDSA,
            garbage,
            abi.encodeWithSelector(ISettlement.InvalidSigner.selector, _uid(a), address(0))
        );
    }

    function test_settle_unknownScheme() public {
        ISettlement.Order memory a = _aliceOrder();
        _expectSettleRevert(
            a, 3, "", abi.encodeWithSelector(ISettlement.InvalidSigningScheme.selector, _uid(a), 3)
        );
    }

    // ------------------------------ EIP-1271 ------------------------------

    function _walletOrder(address wallet) internal returns (ISettlement.Order memory a) {
        tokenA.mint(wallet, 100e18);
        vm.prank(wallet);
        tokenA.approve(address(settlement), type(uint256).max);
        a = _order(wallet, address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
    }

    function test_settle_eip1271Valid() public {
        ERC1271Wallet wallet = new ERC1271Wallet(alice);
        ISettlement.Order memory a = _walletOrder(address(wallet));
        _settleWith(a, SCHEME_1271, _sign(alicePk, a));
        assertEq(tokenB.balanceOf(address(wallet)), 100e18);
    }

    function test_settle_eip1271SignatureIndexOutOfRange() public {
        ERC1271Wallet wallet = new ERC1271Wallet(alice);
        ISettlement.Order memory a =
            _order(address(wallet), address(tokenA), address(tokenB), 100e18, 100e18, 0, 1, 0);
        TradeSpec[] memory specs =
            _two(_trade(a, 0, 1, 100e18, SCHEME_1271, ""), _signedTrade(bobOrder, bobPk, 100e18));
        (ISettlement.TradeData[] memory trades,) = _encode(specs);
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.SignatureIndexOutOfRange.selector, _uid(a), 0)
        );
        settlement.settle(_tokensAB(), _prices(1, 1), trades, new bytes[](0));
    }

    function test_settle_eip1271WrongSigner() public {
        ERC1271Wallet wallet = new ERC1271Wallet(alice);
        ISettlement.Order memory a = _walletOrder(address(wallet));
        _expectSettleRevert(
            a,
            SCHEME_1271,
            _sign(bobPk, a),
            abi.encodeWithSelector(
                ISettlement.InvalidContractSignature.selector, _uid(a), address(wallet)
            )
        );
    }

    function test_settle_eip1271WrongMagic() public {
        address wallet = address(new ERC1271WrongMagic());
        ISettlement.Order memory a = _walletOrder(wallet);
        _expectSettleRevert(
            a,
            SCHEME_1271,
            hex"01",
            abi.encodeWithSelector(ISettlement.InvalidContractSignature.selector, _uid(a), wallet)
        );
    }

    function test_settle_eip1271Reverting() public {
        address wallet = address(new ERC1271Reverting());
        ISettlement.Order memory a = _walletOrder(wallet);
        _expectSettleRevert(
            a,
            SCHEME_1271,
            hex"01",
            abi.encodeWithSelector(ISettlement.InvalidContractSignature.selector, _uid(a), wallet)
        );
    }

    function test_settle_eip1271GasBombBounded() public {
        address wallet = address(new ERC1271GasBomb());
        ISettlement.Order memory a = _walletOrder(wallet);
        TradeSpec[] memory trades = _two(
            _trade(a, 0, 1, 100e18, SCHEME_1271, hex"01"), _signedTrade(bobOrder, bobPk, 100e18)
        );
        vm.prank(relayer);
        uint256 g = gasleft();
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.InvalidContractSignature.selector, _uid(a), wallet)
        );
        settlement.settle{gas: 5_000_000}(
            _tokensAB(), _prices(1, 1), _trades(trades), _sigs(trades)
        );
        // The bomb can burn the stipend, never the whole transaction.
        assertLt(g - gasleft(), 400_000);
    }

    function test_settle_eip1271CodelessOwnerRejected() public {
        ISettlement.Order memory a = _aliceOrder(); // alice is an EOA
        _expectSettleRevert(
            a,
            SCHEME_1271,
            _sign(alicePk, a),
            abi.encodeWithSelector(ISettlement.SignerHasNoCode.selector, _uid(a), alice)
        );
    }

    function test_settle_eip1271ReturnDataBombNotCopied() public {
        address wallet = address(new ERC1271ReturnBomb());
        ISettlement.Order memory a = _walletOrder(wallet);
        TradeSpec[] memory trades = _two(
            _trade(a, 0, 1, 100e18, SCHEME_1271, hex"01"), _signedTrade(bobOrder, bobPk, 100e18)
        );
        vm.prank(relayer);
        uint256 g = gasleft();
        _settleAs(_tokensAB(), _prices(1, 1), trades);
        // Copying 200 KB into our memory would cost millions; we copy 32 bytes.
        assertLt(g - gasleft(), 500_000);
        assertEq(tokenB.balanceOf(wallet), 100e18);
    }

    // ------------------------------ pre-sign ------------------------------

    function test_settle_presigned() public {
        ISettlement.Order memory a = _aliceOrder();
        vm.expectEmit(address(settlement));
        emit ISettlement.PreSignatureSet(alice, _uid(a), true);
        vm.prank(alice);
        settlement.setPreSignature(_uid(a), true);
        _settleWith(a, SCHEME_PRESIGN, "");
        assertEq(tokenB.balanceOf(alice), 100e18);
    }

    function test_settle_presignMissing() public {
        ISettlement.Order memory a = _aliceOrder();
        _expectSettleRevert(
            a,
            SCHEME_PRESIGN,
            "",
            abi.encodeWithSelector(ISettlement.NotPreSigned.selector, _uid(a), alice)
        );
    }

    function test_settle_presignRevoked() public {
        ISettlement.Order memory a = _aliceOrder();
        vm.startPrank(alice);
        settlement.setPreSignature(_uid(a), true);
        settlement.setPreSignature(_uid(a), false);
        vm.stopPrank();
        _expectSettleRevert(
            a,
            SCHEME_PRESIGN,
            "",
            abi.encodeWithSelector(ISettlement.NotPreSigned.selector, _uid(a), alice)
        );
    }

    function test_settle_presignByOtherAccountIgnored() public {
        ISettlement.Order memory a = _aliceOrder();
        vm.prank(bob);
        settlement.setPreSignature(_uid(a), true);
        _expectSettleRevert(
            a,
            SCHEME_PRESIGN,
            "",
            abi.encodeWithSelector(ISettlement.NotPreSigned.selector, _uid(a), alice)
        );
    }

    function test_settle_presignWithSignatureBytesRejected() public {
        ISettlement.Order memory a = _aliceOrder();
        vm.prank(alice);
        settlement.setPreSignature(_uid(a), true);
        _expectSettleRevert(
            a,
            SCHEME_PRESIGN,
            hex"01",
            abi.encodeWithSelector(ISettlement.SignatureNotEmpty.selector, _uid(a))
        );
    }

    function _recover(bytes32 digest, bytes memory sig)
        internal
        pure
        returns (address, bytes32, bytes32)
    {
        bytes32 r;
        bytes32 s;
        uint8 v;
        // `sig` is a 65-byte `_sign` signature: the reads stay inside it.
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return (ecrecover(digest, v, r, s), r, s);
    }
}
