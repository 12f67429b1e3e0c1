"""The relayer's key (secret file, keystore, env; the well-known devnet keys refused off a
devnet) and the single-submitter lock (PostgreSQL advisory lock, SQLite file lock)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from eth_account import Account

from crossbook.devnet.accounts import dev_accounts
from crossbook.relayer.db import create_db_engine, migrate
from crossbook.relayer.lock import SubmitterLock
from crossbook.relayer.settings import (
    RelayerConfigError,
    RelayerSettings,
    load_permit_sponsor_key,
    load_relayer_key,
)

OWN_KEY = bytes.fromhex("7a" * 32)
DEV_KEY = dev_accounts()[-1].private_key  # Anvil's relayer account: anyone can sign with it
MAINNET, SEPOLIA, ANVIL = 1, 11155111, 31337


def settings(**kw: object) -> RelayerSettings:
    return RelayerSettings(**kw)  # type: ignore[arg-type]


def keystore(tmp_path: Path, key: bytes, password: str = "hunter2") -> RelayerSettings:
    store, secret = tmp_path / "relayer.json", tmp_path / "password"
    store.write_text(json.dumps(Account.encrypt(key, password)))
    secret.write_text(password + "\n")
    return settings(relayer_keystore=store, relayer_keystore_password_file=secret)


def test_key_from_a_secret_file(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("0x" + OWN_KEY.hex() + "\n")
    assert load_relayer_key(settings(relayer_key_file=tmp_path / "key"), MAINNET) == OWN_KEY


def test_key_from_an_ape_style_keystore(tmp_path: Path) -> None:
    assert load_relayer_key(keystore(tmp_path, OWN_KEY), SEPOLIA) == OWN_KEY


def test_keystore_needs_its_password_file(tmp_path: Path) -> None:
    s = keystore(tmp_path, OWN_KEY)
    with pytest.raises(RelayerConfigError, match="PASSWORD_FILE"):
        load_relayer_key(settings(relayer_keystore=s.relayer_keystore), SEPOLIA)


def test_a_wrong_keystore_password_is_refused(tmp_path: Path) -> None:
    s = keystore(tmp_path, OWN_KEY)
    assert s.relayer_keystore_password_file is not None
    s.relayer_keystore_password_file.write_text("wrong")
    with pytest.raises(ValueError, match="MAC mismatch"):
        load_relayer_key(s, SEPOLIA)


@pytest.mark.parametrize("source", ["file", "keystore", "env"])
@pytest.mark.parametrize("chain_id", [MAINNET, SEPOLIA, 10])
def test_well_known_keys_are_refused_off_a_devnet(
    tmp_path: Path, source: str, chain_id: int
) -> None:
    if source == "file":
        (tmp_path / "key").write_text(DEV_KEY.hex())
        s = settings(relayer_key_file=tmp_path / "key")
    elif source == "keystore":
        s = keystore(tmp_path, DEV_KEY)
    else:
        s = settings(relayer_key="0x" + DEV_KEY.hex())
    with pytest.raises(RelayerConfigError, match="well-known devnet key"):
        load_relayer_key(s, chain_id)
    assert load_relayer_key(s, ANVIL) == DEV_KEY  # the same key is fine on a devnet


def test_no_key_off_a_devnet_is_an_error_and_a_devnet_uses_its_relayer_account() -> None:
    with pytest.raises(RelayerConfigError, match="no relayer key for chain 1"):
        load_relayer_key(settings(), MAINNET)
    assert load_relayer_key(settings(), ANVIL) == DEV_KEY


def test_malformed_key_file(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("0x1234")
    with pytest.raises(RelayerConfigError, match="2 bytes"):
        load_relayer_key(settings(relayer_key_file=tmp_path / "key"), MAINNET)


def test_one_submitter_at_a_time(db_url: str, tmp_path: Path) -> None:
    """Two relayers on one database: only one holds the lock; when it lets go (or its
    connection dies), the other takes over."""
    first_engine, second_engine = create_db_engine(db_url), create_db_engine(db_url)
    migrate(first_engine)
    lock_file = tmp_path / "submitter.lock"
    first = SubmitterLock(first_engine, lock_file)
    second = SubmitterLock(second_engine, lock_file)
    try:
        assert first.try_acquire()
        assert first.try_acquire()  # re-entrant for its holder
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
        if first_engine.dialect.name == "postgresql":
            # a crashed holder: its session ends, PostgreSQL frees the advisory lock
            assert second._conn is not None
            second._conn.invalidate()
            second._conn = None
        else:
            assert second._fd is not None
            os.close(second._fd)  # what the kernel does when the holder's process dies
            second._fd = None
        # the server frees the lock once its backend sees the session end, not at once
        deadline = time.monotonic() + 10
        while not first.try_acquire() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.held
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def test_the_permit_key_is_its_own_and_offered_only_with_one(tmp_path: Path) -> None:
    (tmp_path / "permit.key").write_text("0x" + "5b" * 32)
    own = settings(permit_sponsor_key_file=tmp_path / "permit.key")
    assert load_permit_sponsor_key(own, SEPOLIA, OWN_KEY) == bytes.fromhex("5b" * 32)
    # no key off a devnet, or permits switched off: none are offered
    assert load_permit_sponsor_key(settings(), SEPOLIA, OWN_KEY) is None
    assert load_permit_sponsor_key(settings(sponsor_permits=False), ANVIL, DEV_KEY) is None
    # a devnet falls back to dev account 8
    assert load_permit_sponsor_key(settings(), ANVIL, DEV_KEY) == dev_accounts()[8].private_key
    with pytest.raises(RelayerConfigError, match="the relayer's key"):
        load_permit_sponsor_key(settings(permit_sponsor_key="0x" + OWN_KEY.hex()), SEPOLIA, OWN_KEY)
    with pytest.raises(RelayerConfigError, match="permit sponsor key is a well-known devnet key"):
        load_permit_sponsor_key(
            settings(permit_sponsor_key="0x" + dev_accounts()[8].private_key.hex()),
            MAINNET,
            OWN_KEY,
        )
