"""Errors of the wallet SDK: one class per relayer error code (docs/relayer.md), plus the
mistakes the SDK catches before anything is sent, plus the chain layer's errors
(`crossbook.chain.errors`: node, token, amount, transaction) re-exported.

A relayer reply `{"errorType": "InsufficientBalance", ...}` raises `InsufficientBalance`;
`except RelayerError` catches every code, `except ClientError` the SDK's own checks,
`except ChainError` what the node or a contract refused, and `except CrossbookError` all of it.
"""

from __future__ import annotations

from typing import Final

# What the SDK raises from the chain layer, re-exported: one definition, in crossbook.chain.
from crossbook.chain.errors import ChainError as ChainError
from crossbook.chain.errors import InvalidAmount as InvalidAmount
from crossbook.chain.errors import NodeUnreachable as NodeUnreachable
from crossbook.chain.errors import TransactionFailed as TransactionFailed
from crossbook.chain.errors import UnknownToken as UnknownToken
from crossbook.chain.errors import WrongNetwork as WrongNetwork
from crossbook.errors import CrossbookError


class ClientError(CrossbookError):
    """Root of the wallet SDK's errors."""


# ---------------------------------------------------------------- before anything is sent


class RelayerUnreachable(ClientError, ConnectionError):
    """No relayer answers at the URL (not running, wrong --relayer-url, network down)."""


class SignerError(ClientError, ValueError):
    """No usable signing key: missing, unreadable, wrong passphrase, or of the wrong kind."""


class WellKnownKeyRefused(SignerError):
    """A key of the public test mnemonic (Anvil, Hardhat) on a chain that is not a devnet."""


class SignatureRequired(ClientError, RuntimeError):
    """An external signer must sign `typed_data` (eth_signTypedData_v4) and hand the signature
    back; raised by `ExternalSigner` with the payload attached."""

    def __init__(self, message: str, typed_data: dict[str, object]) -> None:
        super().__init__(message)
        self.typed_data = typed_data


class PermitUnsupported(ClientError, ValueError):
    """The token has no EIP-2612 `permit` (or one with an unexpected domain): approve instead."""


class Timeout(ClientError, TimeoutError):
    """An order did not reach the awaited status in time."""


# ---------------------------------------------------------------- relayer error codes


class RelayerError(ClientError):
    """The relayer refused a request. `code` is its `errorType`, `status` the HTTP status
    (0 when the SDK found the same problem before sending), `retry_after` seconds for 429."""

    code: str = "RelayerError"

    def __init__(
        self, description: str, *, status: int = 0, retry_after: float | None = None
    ) -> None:
        super().__init__(description)
        self.description = description
        self.status = status
        self.retry_after = retry_after


class MalformedRequest(RelayerError, ValueError):
    code = "MalformedRequest"


class MalformedOrder(RelayerError, ValueError):
    code = "MalformedOrder"


class InvalidOrderField(RelayerError, ValueError):
    code = "InvalidOrderField"


class ZeroAmount(RelayerError, ValueError):
    code = "ZeroAmount"


class SameBuyAndSellToken(RelayerError, ValueError):
    code = "SameBuyAndSellToken"


class UnsupportedToken(RelayerError, ValueError):
    code = "UnsupportedToken"


class InsufficientValidTo(RelayerError, ValueError):
    code = "InsufficientValidTo"


class UnsupportedSigningScheme(RelayerError, ValueError):
    code = "UnsupportedSigningScheme"


class InvalidSignature(RelayerError, ValueError):
    code = "InvalidSignature"


class WrongOwner(RelayerError, PermissionError):
    code = "WrongOwner"


class InvalidEip1271Signature(RelayerError, ValueError):
    code = "InvalidEip1271Signature"


class InsufficientBalance(RelayerError, ValueError):
    code = "InsufficientBalance"


class InsufficientAllowance(RelayerError, ValueError):
    code = "InsufficientAllowance"


class TooManyOpenOrders(RelayerError, ValueError):
    code = "TooManyOpenOrders"


class DuplicatedOrder(RelayerError, ValueError):
    code = "DuplicatedOrder"


class OrderNotCancellable(RelayerError, ValueError):
    code = "OrderNotCancellable"


class InvalidOrderUid(RelayerError, ValueError):
    code = "InvalidOrderUid"


class InvalidAddress(RelayerError, ValueError):
    code = "InvalidAddress"


class InvalidBatchId(RelayerError, ValueError):
    code = "InvalidBatchId"


class OrderNotFound(RelayerError, LookupError):
    code = "OrderNotFound"


class BatchNotFound(RelayerError, LookupError):
    code = "BatchNotFound"


class UnknownMarket(RelayerError, LookupError):
    code = "UnknownMarket"


class NotFound(RelayerError, LookupError):
    code = "NotFound"


class MethodNotAllowed(RelayerError, ValueError):
    code = "MethodNotAllowed"


class PayloadTooLarge(RelayerError, ValueError):
    code = "PayloadTooLarge"


class TooManyRequests(RelayerError, RuntimeError):
    code = "TooManyRequests"


class InternalError(RelayerError, RuntimeError):
    code = "InternalError"


class ChainUnavailable(RelayerError, RuntimeError):
    """The relayer's node did not answer a read the order needs; retry after `retry_after`."""

    code = "ChainUnavailable"


class PermitsNotOffered(RelayerError, LookupError):
    """The relayer does not pay for permits (POST /v1/permits): approve with a transaction."""

    code = "PermitsNotOffered"


class TokenHasNoPermit(RelayerError, ValueError):
    code = "TokenHasNoPermit"


class InsufficientDeadline(RelayerError, ValueError):
    code = "InsufficientDeadline"


class StalePermit(RelayerError, ValueError):
    """The permit was signed for a nonce the token has moved past: sign it again."""

    code = "StalePermit"


class PermitRejected(RelayerError, ValueError):
    code = "PermitRejected"


class PermitsUnavailable(RelayerError, RuntimeError):
    code = "PermitsUnavailable"


#: errorType -> exception class, for every code in docs/relayer.md.
RELAYER_ERRORS: Final[dict[str, type[RelayerError]]] = {
    cls.code: cls
    for cls in (
        MalformedRequest,
        MalformedOrder,
        InvalidOrderField,
        ZeroAmount,
        SameBuyAndSellToken,
        UnsupportedToken,
        InsufficientValidTo,
        UnsupportedSigningScheme,
        InvalidSignature,
        WrongOwner,
        InvalidEip1271Signature,
        InsufficientBalance,
        InsufficientAllowance,
        TooManyOpenOrders,
        DuplicatedOrder,
        OrderNotCancellable,
        InvalidOrderUid,
        InvalidAddress,
        InvalidBatchId,
        OrderNotFound,
        BatchNotFound,
        UnknownMarket,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        TooManyRequests,
        InternalError,
        ChainUnavailable,
        PermitsNotOffered,
        TokenHasNoPermit,
        InsufficientDeadline,
        StalePermit,
        PermitRejected,
        PermitsUnavailable,
    )
}


def relayer_error(
    code: str, description: str, status: int, retry_after: float | None = None
) -> RelayerError:
    """The typed exception for a relayer error body; an unknown code gives `RelayerError`
    with `code` set (a newer relayer may add codes)."""
    cls = RELAYER_ERRORS.get(code)
    if cls is None:
        error = RelayerError(f"{code}: {description}", status=status, retry_after=retry_after)
        error.code = code
        return error
    return cls(description, status=status, retry_after=retry_after)
