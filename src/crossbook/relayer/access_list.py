"""EIP-2930 access lists for the relayer's settle transactions.

A settle batch touches a few cold storage slots per fill (the owner's nonce head, plus a nonce
bitmap word for a nonce outside it; the token's seller balance, allowance and receiver balance,
or the internal balances).
Listing a slot in the transaction costs 1,900 gas up front and makes its first access warm
(100) instead of cold (2,100): 100 gas saved per slot that is used. Listing an account costs
2,400 and saves its cold access (2,600 instead of 100 + 2,400): 100 more, but only for an
account that is not warm anyway, which the transaction's sender and recipient and the
precompiles always are (EIP-2929). `eth_createAccessList` returns every account and slot the
simulated call touched; `worthwhile` keeps the entries that pay for themselves. Dropping an
entry never makes the transaction dearer than the simulation with the whole list (an account
dropped for want of slots saves its 2,400 and loses at most 100 per slot, 24 of them), so the
simulated gas stays an upper bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ACCOUNT_COST = 2_400  # intrinsic gas per listed account (EIP-2930)
SLOT_SAVING = 100  # cold SLOAD 2,100 - (listed 1,900 + warm 100)
_PRECOMPILES = frozenset(range(1, 0x12))  # 0x01..0x11 (Prague's BLS ones included)

AccessList = list[dict[str, Any]]


def worthwhile(access_list: Sequence[Mapping[str, Any]], *, to: str, sender: str) -> AccessList:
    """The entries of `access_list` that save more gas than they cost: an account that is
    warm anyway (sender, recipient, precompile) only for its slots, and only when they save
    more than the account's 2,400; any other account always (it and each slot save 100)."""
    warm = {to.lower(), sender.lower()}
    kept: AccessList = []
    for entry in access_list:
        address = str(entry["address"])
        keys = [str(k) for k in entry.get("storageKeys", [])]
        warm_anyway = address.lower() in warm or int(address, 16) in _PRECOMPILES
        if warm_anyway and len(keys) * SLOT_SAVING <= ACCOUNT_COST:
            continue
        kept.append({"address": address, "storageKeys": keys})
    return kept
