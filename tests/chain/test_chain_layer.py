"""The chain layer on ape's Anvil: the revert decoder, the transaction path (node-signed and
locally signed), the receipt timeout, token amounts and the node connection."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from eth_abi.abi import encode
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractCustomError

import crossbook.chain.abi
from crossbook.artifacts import load_artifact
from crossbook.chain import (
    InvalidAmount,
    NodeUnreachable,
    Token,
    TransactionFailed,
    WrongNetwork,
    connect,
    contract_at,
    decode_revert,
    parse_units,
    receipt_timeout,
    send_transaction,
    wait_for_receipt,
)
from crossbook.chain.abi import (
    SUITE_CONTRACTS,
    abi_file_text,
    canonical_type,
    contract_abi,
    write_shipped_abis,
)
from crossbook.chain.revert import error_table
from crossbook.client import LocalSigner
from crossbook.errors import ToolchainError
from crossbook.hashing import keccak


@pytest.fixture
def w3(chain):
    return Web3(Web3.HTTPProvider(chain.provider.uri))


@pytest.fixture
def token(create_token, deployer):
    erc20 = create_token("USDC", 6)
    erc20.mint(deployer, 1_000 * 10**6, sender=deployer)
    return erc20


# -- revert decoder -------------------------------------------------------------------------------


def test_error_table_covers_every_contract_error_and_library_errors():
    names = {spec.name for spec in error_table().values()}
    # one from each contract family, and solady's / Solidity's own
    for name in (
        "LimitPriceNotMet",
        "InsufficientOutput",
        "PostOnlyWouldCross",
        "Reentrancy",
        "TransferFromFailed",
        "Error",
        "Panic",
    ):
        assert name in names, name


def test_canonical_type_spells_out_tuples_and_arrays_of_tuples():
    param = {
        "type": "tuple[]",
        "components": [
            {"type": "address"},
            {"type": "tuple", "components": [{"type": "uint256"}, {"type": "bytes32[2]"}]},
        ],
    }
    assert canonical_type(param) == "(address,(uint256,bytes32[2]))[]"


def test_decode_revert_decodes_arguments_from_raw_data():
    selector = keccak(b"Panic(uint256)")[:4]
    error = decode_revert(selector + encode(["uint256"], [0x11]))
    assert error is not None and error.name == "Panic" and error.args == (0x11,)
    assert str(error) == "Panic(17)"
    assert decode_revert(b"\xde\xad\xbe\xef") is None  # not one of ours
    assert decode_revert(selector + b"\x01") is None  # truncated arguments


def test_revert_data_is_read_from_each_shape_a_web3_error_takes():
    uid = bytes(range(32))
    data = keccak(b"CancelledOrder(bytes32)")[:4] + encode(["bytes32"], [uid])
    shapes = (
        ContractCustomError("0x" + data.hex(), data="0x" + data.hex()),  # web3's own
        ValueError({"code": 3, "message": "execution reverted", "data": "0x" + data.hex()}),
        ValueError(data),
        ValueError("0xnot-hex", "0X" + data.hex()),  # the first hex-looking argument is not
    )
    for exc in shapes:
        error = decode_revert(exc)
        assert error is not None, exc
        assert (error.name, error.arg("orderUid")) == ("CancelledOrder", uid)
        assert str(error) == f"CancelledOrder(0x{uid.hex()})"
    assert decode_revert(ValueError("execution reverted")) is None  # no data at all
    assert decode_revert(b"\x01\x02") is None


def test_whole_words_that_do_not_fit_the_error_types_are_not_decoded():
    # InvalidFlags(bytes32,uint8) with a flags word above 255: not what Solidity encodes
    selector = keccak(b"InvalidFlags(bytes32,uint8)")[:4]
    assert decode_revert(selector + encode(["bytes32", "uint256"], [b"\x00" * 32, 7])) is not None
    assert decode_revert(selector + encode(["bytes32", "uint256"], [b"\x00" * 32, 256])) is None


# -- transaction path ---------------------------------------------------------------------------


def test_a_revert_is_typed_and_nothing_is_broadcast(w3, token, deployer, taker):
    erc20 = contract_at(w3, "MockERC20", token.address)
    nonce = w3.eth.get_transaction_count(taker.address)
    fn = erc20.functions.transfer(deployer.address, 1)  # the taker holds none
    with pytest.raises(TransactionFailed) as raised:
        send_transaction(w3, fn, taker.address, "transfer")
    assert raised.value.name is not None
    assert str(raised.value).startswith(f"transfer would revert: {raised.value.name}(")
    assert w3.eth.get_transaction_count(taker.address) == nonce


def test_node_signed_send_returns_result_and_receipt(w3, token, deployer, maker):
    erc20 = contract_at(w3, "MockERC20", token.address)
    sent = send_transaction(w3, erc20.functions.transfer(maker.address, 5), deployer.address)
    assert sent.result is True and sent.receipt["status"] == 1
    assert sent.gas_used > 21_000 and sent.tx_hash.startswith("0x")
    assert int(token.balanceOf(maker)) >= 5


def test_local_signer_pays_gas_and_a_penniless_key_is_refused_before_sending(w3, token, deployer):
    signer = LocalSigner(Account.create().key)
    erc20 = contract_at(w3, "MockERC20", token.address)
    with pytest.raises(TransactionFailed, match="has no ether for gas"):
        send_transaction(w3, erc20.functions.approve(deployer.address, 1), signer, "approve")
    assert w3.eth.get_transaction_count(signer.address) == 0
    w3.eth.send_transaction({"from": deployer.address, "to": signer.address, "value": 10**18})
    sent = send_transaction(w3, erc20.functions.approve(deployer.address, 7), signer, "approve")
    assert sent.receipt["from"] == signer.address
    assert int(token.allowance(signer.address, deployer)) == 7


def test_receipt_wait_is_bounded_by_one_setting(w3, chain, deployer, monkeypatch):
    monkeypatch.setenv("CROSSBOOK_RECEIPT_TIMEOUT", "1.5")
    assert receipt_timeout() == 1.5
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        tx = w3.eth.send_transaction({"from": deployer.address, "to": deployer.address})
        with pytest.raises(TransactionFailed, match=r"was not mined within 1.5 s") as raised:
            wait_for_receipt(w3, tx, "self-transfer")
        assert raised.value.tx_hash == "0x" + bytes(tx).hex()
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
        w3.provider.make_request("evm_mine", [])
    monkeypatch.setenv("CROSSBOOK_RECEIPT_TIMEOUT", "not a number")
    assert receipt_timeout() == 120.0


# -- tokens and amounts -------------------------------------------------------------------------


def test_amounts_are_exact_with_separators_and_zero_only_when_allowed():
    usdc = Token("0x" + "11" * 20, "USDC", 6)
    assert usdc.to_units("1_000.5") == 1_000_500_000
    assert usdc.to_units(" 0.000001 ") == 1
    assert usdc.to_units("0", allow_zero=True) == 0
    assert usdc.format(1_500_000) == "1.5" and usdc.format(2_000_000) == "2"
    with pytest.raises(InvalidAmount, match="more than 6 decimals"):
        usdc.to_units("0.0000001")
    with pytest.raises(InvalidAmount, match="must be positive"):
        usdc.to_units("0")
    with pytest.raises(InvalidAmount, match="must be positive"):
        usdc.to_units("-1")
    with pytest.raises(InvalidAmount, match="is not a number"):
        parse_units("1e", 18, "WETH")
    with pytest.raises(InvalidAmount, match="must be positive"):
        parse_units("NaN", 18, "WETH")


# -- connection ---------------------------------------------------------------------------------


def test_connect_reports_a_silent_port_and_a_wrong_chain(chain):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        NodeUnreachable, match=f"no Ethereum node answers at http://127.0.0.1:{port}"
    ):
        connect(f"http://127.0.0.1:{port}", timeout=2)
    w3, chain_id = connect(chain.provider.uri)
    assert chain_id == int(w3.eth.chain_id)
    with pytest.raises(WrongNetwork, match=f"is chain {chain_id}, not the expected 5"):
        connect(chain.provider.uri, expected_chain_id=5)


# -- shipped ABIs -------------------------------------------------------------------------------


def test_shipped_abis_are_the_compiled_ones():
    """The ABIs in the package equal the compile's: a contract change without `make build`
    (which rewrites them) fails here."""
    for name in SUITE_CONTRACTS:
        assert contract_abi(name) == load_artifact(name).abi, f"{name}: run `make build`"
        shipped = Path(crossbook.chain.abi.__file__).parent / "abis" / f"{name}.json"
        assert shipped.read_text() == abi_file_text(load_artifact(name).abi)


def test_make_build_writes_only_the_abis_that_changed(tmp_path: Path):
    """`write_shipped_abis` (run by `make build`) into an empty folder writes every suite ABI as
    shipped; run again it writes nothing, and it rewrites a file that drifted."""
    shipped = Path(crossbook.chain.abi.__file__).parent / "abis"
    folder = tmp_path / "abis"
    written = write_shipped_abis(folder)
    assert sorted(p.name for p in written) == sorted(f"{n}.json" for n in SUITE_CONTRACTS)
    for path in written:
        assert path.read_text() == (shipped / path.name).read_text()
    assert write_shipped_abis(folder) == []
    drifted = folder / f"{SUITE_CONTRACTS[0]}.json"
    drifted.write_text("[]\n")
    assert write_shipped_abis(folder) == [drifted]
    assert drifted.read_text() == (shipped / drifted.name).read_text()


def test_an_abi_that_does_not_ship_is_a_clear_error():
    with pytest.raises(ToolchainError, match="no ABI for 'Nope' ships with crossbook"):
        contract_abi("Nope")
