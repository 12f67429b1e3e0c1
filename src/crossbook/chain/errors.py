"""Errors of the chain layer: what a node, a token or a transaction can refuse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crossbook.errors import CrossbookError

if TYPE_CHECKING:
    from crossbook.chain.revert import ContractError


class ChainError(CrossbookError):
    """Root of the errors raised while talking to a node."""


class NodeUnreachable(ChainError, ConnectionError):
    """No Ethereum node answers at the RPC URL."""


class WrongNetwork(ChainError, ValueError):
    """The node, the manifest and the relayer do not agree on the chain or the deployment."""


class UnknownToken(ChainError, LookupError):
    """A token is neither a symbol of the deployment manifest nor an ERC-20 address."""


class InvalidAmount(ChainError, ValueError):
    """An amount is not a positive number with at most the token's decimals."""


class TransactionFailed(ChainError, RuntimeError):
    """A transaction would revert (simulated; nothing was sent), reverted on chain, or could
    not be paid for. `error` is the contract's typed error when the revert carried one of ours:
    `name` and `error_args` repeat it for `except TransactionFailed as e: e.name == ...`."""

    def __init__(
        self, message: str, *, error: ContractError | None = None, tx_hash: str | None = None
    ) -> None:
        super().__init__(message)
        self.error = error
        self.tx_hash = tx_hash

    @property
    def name(self) -> str | None:
        return self.error.name if self.error is not None else None

    @property
    def error_args(self) -> tuple[object, ...]:
        return self.error.args if self.error is not None else ()


class NoEtherForGas(TransactionFailed):
    """The sender holds no ether to pay for the transaction's gas; nothing was sent."""


class ReceiptTimeout(TransactionFailed):
    """A sent transaction was not mined within the receipt timeout (it may still be)."""
