"""The chain layer every client stands on: contract ABIs and bindings, one revert decoder, one
transaction path, one `Token`, one node connection.

- `connect` — a web3 for an RPC URL and the node's chain id (`NodeUnreachable` otherwise);
- `contract_at` / `contract_abi` — a binding of one of our contracts at an address;
- `decode_revert` — the typed custom error inside a web3 exception, from every ABI we ship;
- `send_transaction` — simulate, sign or let the node sign, broadcast, wait, check status
  (a function of one of our contracts, or `RawCall` calldata);
  a revert raises `TransactionFailed` naming the contract error, and nothing is broadcast;
- `Token`, `Tokens` — a token by manifest symbol or address, exact human amounts.
"""

from __future__ import annotations

from crossbook.chain.abi import contract_abi, contract_at
from crossbook.chain.connection import DEFAULT_RPC_URL, connect, default_rpc_url, web3_for
from crossbook.chain.errors import (
    ChainError,
    InvalidAmount,
    NodeUnreachable,
    NoEtherForGas,
    ReceiptTimeout,
    TransactionFailed,
    UnknownToken,
    WrongNetwork,
)
from crossbook.chain.revert import ContractError, decode_revert, revert_data
from crossbook.chain.token import Token, Tokens, parse_units
from crossbook.chain.transaction import (
    MAX_UINT,
    RawCall,
    Sender,
    SentTransaction,
    TransactionSigner,
    broadcast,
    receipt_timeout,
    send_transaction,
    sender_address,
    wait_for_receipt,
)

__all__ = [
    "DEFAULT_RPC_URL",
    "MAX_UINT",
    "ChainError",
    "ContractError",
    "InvalidAmount",
    "NoEtherForGas",
    "NodeUnreachable",
    "RawCall",
    "ReceiptTimeout",
    "Sender",
    "SentTransaction",
    "Token",
    "Tokens",
    "TransactionFailed",
    "TransactionSigner",
    "UnknownToken",
    "WrongNetwork",
    "broadcast",
    "connect",
    "contract_abi",
    "contract_at",
    "decode_revert",
    "default_rpc_url",
    "parse_units",
    "receipt_timeout",
    "revert_data",
    "send_transaction",
    "sender_address",
    "wait_for_receipt",
    "web3_for",
]
