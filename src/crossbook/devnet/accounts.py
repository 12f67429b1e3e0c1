"""The Anvil dev accounts (the standard test mnemonic): devnet-only keys."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from eth_account import Account

from crossbook.devnet.anvil import ANVIL_MNEMONIC


@dataclass(frozen=True)
class DevAccount:
    index: int
    address: str
    private_key: bytes


@lru_cache(maxsize=4)
def dev_accounts(count: int = 10, mnemonic: str = ANVIL_MNEMONIC) -> tuple[DevAccount, ...]:
    Account.enable_unaudited_hdwallet_features()
    result = []
    for i in range(count):
        acct = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}")
        result.append(DevAccount(i, acct.address, bytes(acct.key)))
    return tuple(result)
