"""Where a signing key comes from, and what a user is told when it cannot be used: key files,
keystores and ape accounts on disk, and signatures pasted from an outside wallet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from crossbook.client import ExternalSigner, LocalSigner
from crossbook.client.errors import SignatureRequired, SignerError
from crossbook.client.signers import normalize_signature

TYPED_DATA = {
    "types": {
        "EIP712Domain": [{"name": "name", "type": "string"}],
        "Note": [{"name": "text", "type": "string"}],
    },
    "primaryType": "Note",
    "domain": {"name": "crossbook"},
    "message": {"text": "hello"},
}


def keystore_of(account: Any, passphrase: str) -> str:
    """A keystore JSON; pbkdf2 with few rounds (eth-account's default scrypt takes seconds)."""
    return json.dumps(Account.encrypt(account.key, passphrase, kdf="pbkdf2", iterations=1024))


def recovered(signature: bytes) -> str:
    return str(
        Account.recover_message(encode_typed_data(full_message=TYPED_DATA), signature=signature)
    )


def test_a_pasted_signature_is_normalised_or_refused() -> None:
    account = Account.create()
    signature = LocalSigner(account.key).sign_typed_data(TYPED_DATA)
    assert recovered(signature) == account.address
    assert normalize_signature("0x" + signature.hex()) == signature
    assert normalize_signature(" " + signature.hex().upper() + "\n") == signature
    # some wallets return v as 0/1: it becomes 27/28 and still recovers the signer
    low_v = signature[:64] + bytes((signature[64] - 27,))
    assert normalize_signature(low_v) == signature
    with pytest.raises(SignerError, match="the signature is not hex"):
        normalize_signature("0xnot-hex")
    with pytest.raises(SignerError, match=r"the signature is 64 bytes; .* returns 65"):
        normalize_signature(signature[:64])


def test_key_files(tmp_path: Path) -> None:
    account = Account.create()
    key_file = tmp_path / "key"
    key_file.write_text(f"  {account.key.hex()}\n")  # without 0x, with whitespace
    signer = LocalSigner.from_key_file(key_file)
    assert signer.address == account.address and signer.private_key == bytes(account.key)
    assert account.key.hex() not in repr(signer)
    keystore = tmp_path / "keystore.json"
    keystore.write_text(keystore_of(account, "secret"))
    with pytest.raises(SignerError, match=r"is a keystore \(JSON\), not a hex key"):
        LocalSigner.from_key_file(keystore)
    with pytest.raises(SignerError, match=r"cannot read the key file .*: No such file"):
        LocalSigner.from_key_file(tmp_path / "missing")
    key_file.write_text("0x1234")
    with pytest.raises(SignerError):
        LocalSigner.from_key_file(key_file)


def test_keystores(tmp_path: Path) -> None:
    account = Account.create()
    keystore = tmp_path / "keystore.json"
    keystore.write_text(keystore_of(account, "secret"))
    assert LocalSigner.from_keystore(keystore, "secret").address == account.address
    with pytest.raises(SignerError, match="wrong passphrase for the keystore"):
        LocalSigner.from_keystore(keystore, "guess")
    with pytest.raises(SignerError, match="cannot read the keystore"):
        LocalSigner.from_keystore(tmp_path / "missing.json", "secret")
    keystore.write_text("not json")
    with pytest.raises(SignerError, match="is not a keystore JSON file"):
        LocalSigner.from_keystore(keystore, "secret")


def test_ape_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    account = Account.create()
    folder = tmp_path / "ape" / "accounts"
    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path / "ape"))
    monkeypatch.delenv("APE_ACCOUNTS_maker_PASSPHRASE", raising=False)
    with pytest.raises(SignerError, match=r"no ape account 'maker' in .* \(accounts: none\)"):
        LocalSigner.from_ape_alias("maker")
    folder.mkdir(parents=True)
    (folder / "maker.json").write_text(keystore_of(account, "secret"))
    with pytest.raises(SignerError, match=r"no ape account 'taker' .* \(accounts: maker\)"):
        LocalSigner.from_ape_alias("taker")
    with pytest.raises(SignerError, match="set APE_ACCOUNTS_maker_PASSPHRASE"):
        LocalSigner.from_ape_alias("maker")
    asked: list[str] = []

    def prompt(question: str) -> str:
        asked.append(question)
        return "secret"

    assert LocalSigner.from_ape_alias("maker", prompt=prompt).address == account.address
    assert asked == ["passphrase of the ape account 'maker'"]
    monkeypatch.setenv("APE_ACCOUNTS_maker_PASSPHRASE", "secret")
    assert LocalSigner.from_ape_alias("maker").address == account.address


def test_an_external_signer_hands_out_the_typed_data() -> None:
    with pytest.raises(SignerError, match="'0x1234' is not an address"):
        ExternalSigner("0x1234")
    address = Account.create().address
    signer = ExternalSigner(address.lower())
    assert signer.address == address
    with pytest.raises(SignatureRequired) as required:
        signer.sign_typed_data(TYPED_DATA)
    assert required.value.typed_data == TYPED_DATA
