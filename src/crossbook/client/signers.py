"""Who signs: a private key (eth-account), an ape account (its keystore, or a live ape
`AccountAPI` object), or an external wallet that signs `eth_signTypedData_v4` payloads.

Every signer signs EIP-712 typed data (orders, cancellations, EIP-2612 permits).
`LocalSigner` and `ApeAccountSigner` also sign transactions (approve, deposit, withdraw,
on-chain cancel, deployment); `ExternalSigner` signs nothing here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from eth_account import Account
from eth_account.messages import encode_typed_data

from crossbook.client.errors import SignatureRequired, SignerError, WellKnownKeyRefused
from crossbook.signing import address_of

#: Chain ids of local devnets, where the public test mnemonic's keys may sign.
DEVNET_CHAIN_IDS = frozenset({31337, 1337})


@runtime_checkable
class Signer(Protocol):
    """Anything that signs EIP-712 typed data as `address` (65 bytes r ‖ s ‖ v, v in 27/28).
    A signer that also has `sign_transaction` is a `crossbook.chain.TransactionSigner`."""

    @property
    def address(self) -> str: ...

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes: ...


def normalize_signature(signature: bytes | str) -> bytes:
    """65 bytes r ‖ s ‖ v from hex or bytes; a v of 0/1 (some wallets) becomes 27/28."""
    if isinstance(signature, str):
        text = signature.strip()
        try:
            raw = bytes.fromhex(text[2:] if text[:2] in ("0x", "0X") else text)
        except ValueError:
            raise SignerError(
                "the signature is not hex: paste the 0x... string eth_signTypedData_v4 returned"
            ) from None
    else:
        raw = bytes(signature)
    if len(raw) != 65:
        raise SignerError(
            f"the signature is {len(raw)} bytes; eth_signTypedData_v4 returns 65 (130 hex digits)"
        )
    if raw[64] in (0, 1):
        raw = raw[:64] + bytes((raw[64] + 27,))
    return raw


class LocalSigner:
    """A private key held in memory."""

    def __init__(self, private_key: bytes | str) -> None:
        from crossbook.errors import InvalidPrivateKey

        try:
            self._address = address_of(private_key)
        except InvalidPrivateKey as exc:
            raise SignerError(str(exc)) from None
        text = private_key if isinstance(private_key, str) else "0x" + bytes(private_key).hex()
        self._key = bytes.fromhex(text.removeprefix("0x").removeprefix("0X"))

    def __repr__(self) -> str:  # never the key
        return f"LocalSigner({self._address})"

    @property
    def address(self) -> str:
        return self._address

    @property
    def private_key(self) -> bytes:
        return self._key

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        return bytes(Account.sign_typed_data(self._key, full_message=typed_data).signature)

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        return bytes(Account.sign_transaction(tx, self._key).raw_transaction)

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_key_file(cls, path: str | Path) -> LocalSigner:
        """A file holding the hex private key (0x optional, surrounding whitespace ignored)."""
        file = Path(path)
        try:
            text = file.read_text().strip()
        except OSError as exc:
            raise SignerError(f"cannot read the key file {file}: {exc.strerror}") from None
        if text.startswith("{"):
            raise SignerError(
                f"{file} is a keystore (JSON), not a hex key: use LocalSigner.from_keystore "
                "(CLI: --account <ape alias>)"
            )
        return cls(text)

    @classmethod
    def from_keystore(cls, path: str | Path, passphrase: str) -> LocalSigner:
        """An eth-account (web3 secret storage) keystore JSON, e.g. an ape account's file."""
        file = Path(path)
        try:
            keystore = json.loads(file.read_text())
        except OSError as exc:
            raise SignerError(f"cannot read the keystore {file}: {exc.strerror}") from None
        except ValueError:
            raise SignerError(f"{file} is not a keystore JSON file") from None
        try:
            key = Account.decrypt(keystore, passphrase)
        except ValueError:
            raise SignerError(f"wrong passphrase for the keystore {file}") from None
        return cls(bytes(key))

    @classmethod
    def from_ape_alias(
        cls,
        alias: str,
        passphrase: str | None = None,
        prompt: Callable[[str], str] | None = None,
    ) -> LocalSigner:
        """ape's keystore account `alias` (`ape accounts generate|import <alias>`), read from
        `$APE_DATA_FOLDER/accounts/<alias>.json` (default `~/.ape`) without importing ape.
        The passphrase: `passphrase`, else `APE_ACCOUNTS_<alias>_PASSPHRASE` (ape's own
        variable), else `prompt(question)`."""
        folder = Path(os.environ.get("APE_DATA_FOLDER") or Path.home() / ".ape") / "accounts"
        file = folder / f"{alias}.json"
        if not file.is_file():
            known = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
            raise SignerError(
                f"no ape account {alias!r} in {folder} (accounts: {', '.join(known) or 'none'}); "
                f"create one with `ape accounts import {alias}`"
            )
        secret = passphrase or os.environ.get(f"APE_ACCOUNTS_{alias}_PASSPHRASE")
        if secret is None:
            if prompt is None:
                raise SignerError(
                    f"the ape account {alias!r} needs its passphrase: set "
                    f"APE_ACCOUNTS_{alias}_PASSPHRASE"
                )
            secret = prompt(f"passphrase of the ape account {alias!r}")
        return cls.from_keystore(file, secret)


class ApeAccountSigner:
    """A live ape account object (`accounts.load(alias)`, `accounts.test_accounts[0]`):
    signs typed data through its `sign_message`; ape may prompt for the passphrase."""

    def __init__(self, account: Any) -> None:
        self._account = account

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        signed = self._account.sign_message(encode_typed_data(full_message=typed_data))
        if signed is None:
            raise SignerError(f"the ape account {self.address} declined to sign")
        return normalize_signature(signed.encode_rsv())

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        """`tx` (a web3 transaction dict) signed by the ape account, serialized."""
        txn = self._account.provider.network.ecosystem.create_transaction(**tx)
        signed = self._account.sign_transaction(txn)
        if signed is None:
            raise SignerError(f"the ape account {self.address} declined to sign a transaction")
        return bytes(signed.serialize_transaction())


class ExternalSigner:
    """A wallet outside this process (MetaMask, a hardware wallet): signing raises
    `SignatureRequired` carrying the `eth_signTypedData_v4` payload. Use
    `Wallet.prepare_order` + `Wallet.submit_signed` for that flow."""

    def __init__(self, address: str) -> None:
        from eth_utils.address import is_address, to_checksum_address

        if not is_address(address):
            raise SignerError(f"{address!r} is not an address (0x followed by 40 hex digits)")
        self._address = str(to_checksum_address(address))

    @property
    def address(self) -> str:
        return self._address

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        raise SignatureRequired(
            f"{self._address} signs outside this process: pass the typed data to "
            "eth_signTypedData_v4 and submit the signature it returns",
            typed_data,
        )


def well_known_addresses() -> frozenset[str]:
    """Addresses of the public test mnemonic's first 20 keys (Anvil, Hardhat)."""
    from crossbook.devnet.accounts import dev_accounts

    return frozenset(a.address for a in dev_accounts(20))


def refuse_well_known_key(signer: Signer, chain_id: int) -> None:
    """Raise `WellKnownKeyRefused` for a public test key on a chain that is not a devnet."""
    if chain_id not in DEVNET_CHAIN_IDS and signer.address in well_known_addresses():
        raise WellKnownKeyRefused(
            f"{signer.address} is a well-known devnet key (the public test mnemonic) and chain "
            f"{chain_id} is not a devnet: anyone can spend from it. Use a key of your own "
            "(--key-file, --account <ape alias>, CROSSBOOK_PRIVATE_KEY)"
        )
