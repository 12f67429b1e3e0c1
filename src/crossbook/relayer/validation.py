"""Order validation before anything is stored; every failure is an `ApiError` with a typed,
machine-readable code and an HTTP 4xx status (docs/relayer.md lists them)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from eth_utils.address import to_checksum_address

from crossbook.errors import BadSignature, CrossbookError, InvalidOrder
from crossbook.order import ORDER_EIP712_FIELDS, Domain, Order, checked_address
from crossbook.relayer.chain import ChainReader, ChainReadError
from crossbook.relayer.matching import Market
from crossbook.signing import SigningScheme, recover_address

ORDER_KEYS: Final = tuple(k for k, _ in ORDER_EIP712_FIELDS)
SCHEMES: Final = {
    "eip712": SigningScheme.ECDSA,
    "eip1271": SigningScheme.EIP1271,
    "presign": SigningScheme.PRESIGN,
}


class ApiError(CrossbookError, ValueError):
    """A request the relayer refuses: `code` is machine-readable, `status` the HTTP status."""

    def __init__(
        self, code: str, description: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {"errorType": self.code, "description": self.description}


@dataclass(frozen=True)
class ValidOrder:
    order: Order
    uid: bytes
    uid_hex: str
    signature: bytes
    scheme: SigningScheme
    market: Market


def _is_zero(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool) and value == 0) or (
        isinstance(value, str) and value.strip("0") == "" and value != ""
    )


def address_field(value: object, name: str) -> str:
    """A request's address field, checksummed; InvalidAddress when it is not an address, is
    the zero address or has a wrong EIP-55 checksum (crossbook.order.checked_address)."""
    try:
        return checked_address(value, name, allow_zero=False)
    except InvalidOrder as exc:
        raise ApiError("InvalidAddress", str(exc)) from None


def _signature(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ApiError("InvalidSignature", "signature must be a 0x-prefixed hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ApiError("InvalidSignature", "signature is not valid hex") from None


class OrderValidator:
    def __init__(
        self,
        domain: Domain,
        markets: list[Market],
        chain: ChainReader | None,
        *,
        min_valid_for_s: int = 60,
        check_balances: bool = True,
    ) -> None:
        self.domain = domain
        self.chain = chain
        self.min_valid_for_s = min_valid_for_s
        self.check_balances = check_balances and chain is not None
        self.markets = {frozenset((m.base, m.quote)): m for m in markets}
        self.tokens = {t for m in markets for t in (m.base, m.quote)}

    # ------------------------------------------------------------ stateless checks

    def require_traded(self, token: str) -> None:
        """UnsupportedToken unless a market trades `token` (a checksummed address)."""
        if token not in self.tokens:
            raise ApiError(
                "UnsupportedToken",
                f"this relayer trades {', '.join(sorted(self.tokens))}; see GET /v1/markets",
            )

    def parse(self, body: Any, now: float | None = None) -> ValidOrder:
        """Shape, fields, limits and (ECDSA) signature: CPU only, no I/O."""
        if not isinstance(body, Mapping):
            raise ApiError(
                "MalformedOrder",
                "an order must be a JSON object with the order fields, signature and signingScheme",
            )
        unknown = sorted(
            str(k) for k in body if k not in ORDER_KEYS and k not in ("signature", "signingScheme")
        )
        if unknown:
            raise ApiError("MalformedOrder", f"unknown fields: {', '.join(unknown)[:200]}")
        missing = [k for k in (*ORDER_KEYS, "signature") if k not in body]
        if missing:
            raise ApiError("MalformedOrder", f"missing fields: {', '.join(missing)}")
        scheme_name = body.get("signingScheme", "eip712")
        if not isinstance(scheme_name, str) or scheme_name not in SCHEMES:
            raise ApiError(
                "UnsupportedSigningScheme", "signingScheme must be eip712, eip1271 or presign"
            )
        scheme = SCHEMES[scheme_name]
        if _is_zero(body["sellAmount"]) or _is_zero(body["buyAmount"]):
            raise ApiError("ZeroAmount", "sellAmount and buyAmount must both be > 0")
        sell, buy = body["sellToken"], body["buyToken"]
        if isinstance(sell, str) and isinstance(buy, str) and sell.lower() == buy.lower():
            raise ApiError("SameBuyAndSellToken", "sellToken and buyToken must differ")
        try:
            order = Order.from_json_dict({k: body[k] for k in ORDER_KEYS})
        except InvalidOrder as exc:
            raise ApiError("InvalidOrderField", str(exc)) from None
        self.require_traded(order.sell_token)
        self.require_traded(order.buy_token)
        market = self.markets.get(frozenset((order.sell_token, order.buy_token)))
        if market is None:
            raise ApiError("UnsupportedToken", "no market for this token pair")
        now = time.time() if now is None else now
        if order.valid_to < now + self.min_valid_for_s:
            raise ApiError(
                "InsufficientValidTo",
                f"validTo must be at least {self.min_valid_for_s} s in the future",
            )
        signature = _signature(body["signature"])
        uid = order.uid(self.domain)
        if scheme is SigningScheme.ECDSA:
            try:
                signer = recover_address(uid, signature)
            except BadSignature as exc:
                raise ApiError("InvalidSignature", str(exc)) from None
            if signer != bytes.fromhex(order.owner[2:]):
                raise ApiError(
                    "WrongOwner",
                    f"the signature recovers to {to_checksum_address(signer)}, not the owner "
                    f"{order.owner}: sign "
                    f"for chain {self.domain.chain_id} and settlement "
                    f"{self.domain.verifying_contract}",
                )
        elif scheme is SigningScheme.PRESIGN and signature:
            raise ApiError("InvalidSignature", "a pre-signed order's signature must be 0x")
        return ValidOrder(order, uid, "0x" + uid.hex(), signature, scheme, market)

    # ------------------------------------------------------------ chain checks

    def needs_chain(self, valid: ValidOrder) -> bool:
        return self.chain is not None and (
            self.check_balances or valid.scheme is not SigningScheme.ECDSA
        )

    def check_cached(self, valid: ValidOrder) -> bool:
        """Decide the chain checks from cached reads alone, with no I/O: True when they
        passed, False when a read is needed (call `check_chain` off the event loop).
        Raises `ApiError` when cached values already refuse the order."""
        chain = self.chain
        if chain is None:
            return True
        if valid.scheme is not SigningScheme.ECDSA:
            return False  # EIP-1271 and pre-signatures are read every time
        return not self.check_balances or self._check_funds(valid.order, chain.peek)

    def check_chain(self, valid: ValidOrder) -> None:
        """Signatures that need the chain (EIP-1271, pre-sign) and funds; blocking RPC."""
        chain = self.chain
        if chain is None:
            return
        try:
            self._check_chain(valid, chain)
        except ChainReadError as exc:
            raise ApiError(
                "ChainUnavailable",
                f"the relayer cannot read the chain right now ({exc}); retry shortly",
                503,
                {"Retry-After": "1"},
            ) from None

    def _check_chain(self, valid: ValidOrder, chain: ChainReader) -> None:
        order = valid.order
        if valid.scheme is SigningScheme.EIP1271 and not chain.is_valid_1271(
            order.owner, valid.uid, valid.signature
        ):
            raise ApiError(
                "InvalidEip1271Signature",
                f"{order.owner}.isValidSignature did not return 0x1626ba7e (or has no code)",
            )
        if valid.scheme is SigningScheme.PRESIGN and not chain.presigned(order.owner, valid.uid):
            raise ApiError(
                "InvalidSignature",
                "the owner has not called setPreSignature(uid, true) on the settlement contract",
            )
        if self.check_balances:
            readers: dict[str, Callable[[str, str], int]] = {
                "balance": chain.balance,
                "allowance": chain.allowance,
                "internal": chain.internal_balance,
            }
            self._check_funds(order, lambda kind, owner, token: readers[kind](owner, token))

    def _check_funds(self, order: Order, read: Callable[[str, str, str], int | None]) -> bool:
        """False if `read` could not say (None); raises ApiError if the funds fall short."""
        needed = 1 if order.partially_fillable else order.sell_amount + order.fee_amount
        if order.sell_from_internal:
            internal = read("internal", order.owner, order.sell_token)
            if internal is None:
                return False
            if internal < needed:
                raise ApiError(
                    "InsufficientBalance",
                    f"internal balance of {order.sell_token} is below {needed}",
                )
            return True
        balance = read("balance", order.owner, order.sell_token)
        if balance is None:
            return False
        if balance < needed:
            raise ApiError(
                "InsufficientBalance", f"balance of {order.sell_token} is below {needed}"
            )
        allowance = read("allowance", order.owner, order.sell_token)
        if allowance is None:
            return False
        if allowance < needed:
            raise ApiError(
                "InsufficientAllowance",
                f"approve the settlement contract {self.domain.verifying_contract} for at least "
                f"{needed} of {order.sell_token}",
            )
        return True
