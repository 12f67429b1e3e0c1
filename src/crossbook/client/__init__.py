"""The wallet SDK: sign and submit orders, cancel them, follow their status, quote, approve
(EIP-2612 permit where the token has it), deposit and withdraw internal balances.

- `Wallet` — one signer on one deployment (read from `deployments/<chain-id>.json`) through
  one relayer;
- signers — `LocalSigner` (a private key, a key file, a keystore, an ape account's keystore),
  `ApeAccountSigner` (a live ape account), `ExternalSigner` (eth_signTypedData_v4 elsewhere);
- `RelayerClient` — the relayer's HTTP API with typed errors (`crossbook.client.errors`);
- `ChainClient` — tokens, balances, approvals, permits, deposits, on-chain cancellation.
"""

from __future__ import annotations

from crossbook.chain import Token, TransactionSigner, connect
from crossbook.client import errors
from crossbook.client.chain import ChainClient, PermitSignature
from crossbook.client.errors import ClientError, RelayerError
from crossbook.client.relayer import DEFAULT_RELAYER_URL, FINAL_STATUSES, RelayerClient
from crossbook.client.signers import (
    ApeAccountSigner,
    ExternalSigner,
    LocalSigner,
    Signer,
    normalize_signature,
)
from crossbook.client.wallet import Placed, Quote, Wallet

__all__ = [
    "DEFAULT_RELAYER_URL",
    "FINAL_STATUSES",
    "ApeAccountSigner",
    "ChainClient",
    "ClientError",
    "ExternalSigner",
    "LocalSigner",
    "PermitSignature",
    "Placed",
    "Quote",
    "RelayerClient",
    "RelayerError",
    "Signer",
    "Token",
    "TransactionSigner",
    "Wallet",
    "connect",
    "errors",
    "normalize_signature",
]
