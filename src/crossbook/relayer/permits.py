"""`PermitSponsor`: wallets approve the settlement contract with a signed EIP-2612 permit and
the relayer submits it, paying the gas from a key of its own (POST /v1/permits).

A wallet with no allowance would otherwise send an `approve` transaction, and pay its gas,
before its first order. The sponsor only pays for permits that make an order possible: a
token the relayer trades, the settlement contract as spender, an owner who holds the token
and whose allowance is below the permit's value, a deadline far enough ahead, the owner's
signature over the token's current nonce, and at most `permits_per_owner_per_hour` per owner
(counted once the signature is the owner's, so nobody can use up another owner's).
Each permit is simulated before it is sent, so a bad one costs nothing.

The sponsor's key is not the submitter's: the submitter owns that key's nonces. Sends are
serialised in this process; a nonce taken meanwhile by another process of the relayer (or
another user of the key) is retried at a fresh nonce.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import Web3RPCError

from crossbook.chain import (
    NoEtherForGas,
    ReceiptTimeout,
    TransactionFailed,
    broadcast,
    contract_at,
    wait_for_receipt,
)
from crossbook.chain.permit import permit_digest, permit_domain
from crossbook.client.signers import LocalSigner
from crossbook.errors import BadSignature
from crossbook.order import Domain
from crossbook.relayer.ratelimit import RateLimiter, limit
from crossbook.relayer.validation import ApiError
from crossbook.signing import recover_address

log = logging.getLogger("crossbook.relayer.permits")
#: how many times a send is tried again when its nonce was taken in the meantime
NONCE_RETRIES: Final = 3


@dataclass(frozen=True)
class PermitRequest:
    owner: str
    token: str
    value: int
    nonce: int
    deadline: int
    signature: bytes


@dataclass(frozen=True)
class SponsoredPermit:
    """What a sponsored permit did: `tx_hash` None when the allowance already sufficed."""

    tx_hash: str | None
    allowance: int


class PermitSponsor:
    def __init__(
        self,
        w3: Web3,
        key: bytes,
        settlement: str,
        tokens: list[str],
        *,
        min_valid_for_s: int,
        per_owner_per_hour: int,
    ) -> None:
        self.w3 = w3
        self.account = LocalSigner(key)
        self.settlement = to_checksum_address(settlement)
        self.min_valid_for_s = min_valid_for_s
        chain_id = int(w3.eth.chain_id)
        #: token address -> its permit domain, for the tokens that have one
        self.domains: dict[str, Domain] = {}
        for token in tokens:
            domain = permit_domain(w3, token, chain_id)
            if domain is not None:
                self.domains[to_checksum_address(token)] = domain
        self._send_lock = threading.Lock()
        self._limiter = RateLimiter(per_owner_per_hour / 3600, per_owner_per_hour)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def sponsor(self, request: PermitRequest, now: float | None = None) -> SponsoredPermit:
        """Check the permit, then submit it and wait for its receipt. Raises `ApiError`."""
        token = to_checksum_address(request.token)
        owner = to_checksum_address(request.owner)
        domain = self.domains.get(token)
        if domain is None:
            raise ApiError(
                "TokenHasNoPermit",
                f"{token} has no EIP-2612 permit the relayer can submit: approve the "
                f"settlement contract {self.settlement} with a transaction instead",
            )
        now = time.time() if now is None else now
        if request.deadline < now + self.min_valid_for_s:
            raise ApiError(
                "InsufficientDeadline",
                f"the permit's deadline must be at least {self.min_valid_for_s} s in the future",
            )
        try:
            signer = recover_address(
                permit_digest(
                    domain,
                    owner,
                    self.settlement,
                    request.value,
                    request.nonce,
                    request.deadline,
                ),
                request.signature,
            )
        except BadSignature as exc:
            raise ApiError("InvalidSignature", str(exc)) from None
        if signer != bytes.fromhex(owner[2:]):
            raise ApiError(
                "WrongOwner",
                f"the permit's signature recovers to {to_checksum_address(signer)}, not the owner "
                f"{owner}: sign Permit(owner, spender={self.settlement}, value, nonce, deadline) "
                f"in the domain of {token} ({domain.name!r}, version {domain.version!r})",
            )
        erc20 = contract_at(self.w3, "MockERC20", token)
        try:
            current_nonce = int(erc20.functions.nonces(owner).call())
            allowance = int(erc20.functions.allowance(owner, self.settlement).call())
            held = int(erc20.functions.balanceOf(owner).call())
        except Exception as exc:
            raise _chain_unavailable(exc) from None
        if request.nonce != current_nonce:
            raise ApiError(
                "StalePermit",
                f"the permit is signed for nonce {request.nonce}, but {token}'s next permit "
                f"nonce for {owner} is {current_nonce}: sign it again",
            )
        if allowance >= request.value:
            return SponsoredPermit(None, allowance)  # nothing to pay for
        if held == 0:
            raise ApiError(
                "InsufficientBalance",
                f"{owner} holds no {token}: the relayer sponsors permits for the tokens a wallet "
                "holds",
            )
        limit(self._limiter, owner, "owner's sponsored permits (an hour)")
        v, r, s = request.signature[64], request.signature[:32], request.signature[32:64]
        fn = erc20.functions.permit(
            owner, self.settlement, request.value, request.deadline, v, r, s
        )
        try:
            receipt = self._send(fn)
        except TransactionFailed as exc:  # it reverted: was it submitted by someone else?
            try:
                allowance = int(erc20.functions.allowance(owner, self.settlement).call())
            except Exception:
                allowance = 0
            if allowance >= request.value:
                return SponsoredPermit(None, allowance)
            raise ApiError("PermitRejected", f"the token refused the permit: {exc}") from None
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        log.info("sponsored a permit of %s for %s: tx %s", token, owner, tx_hash)
        return SponsoredPermit(tx_hash, request.value)

    def _send(self, fn: Any) -> dict[str, Any]:
        """Broadcast under the lock (one pending nonce at a time), wait for the receipt
        outside it."""
        for attempt in range(NONCE_RETRIES + 1):
            try:
                with self._send_lock:
                    _, tx_hash = broadcast(self.w3, fn, self.account, "permit")
                return wait_for_receipt(self.w3, tx_hash, "permit")
            except NoEtherForGas:
                log.error("the permit sponsor %s has no ether for gas", self.address)
                raise ApiError(
                    "PermitsUnavailable",
                    "the relayer cannot pay for permits right now: approve the settlement "
                    "contract with a transaction instead",
                    503,
                ) from None
            except ReceiptTimeout as exc:
                raise ApiError(
                    "ChainUnavailable",
                    f"{exc}; the allowance shows once it is mined",
                    503,
                    {"Retry-After": "1"},
                ) from None
            except Web3RPCError as exc:  # the node refused the raw transaction
                if "nonce" in str(exc).lower() and attempt < NONCE_RETRIES:
                    log.warning("permit sponsor nonce taken meanwhile; retrying: %s", exc)
                    continue
                raise _chain_unavailable(exc) from None
            except OSError as exc:
                raise _chain_unavailable(exc) from None
        raise AssertionError("unreachable")

    def signing(self) -> dict[str, Any]:
        """What `GET /v1/signing` shows of permits: the spender and each token's domain."""
        return {
            "spender": self.settlement,
            "domains": {token: domain.typed_data() for token, domain in self.domains.items()},
        }


def _chain_unavailable(exc: BaseException) -> ApiError:
    return ApiError(
        "ChainUnavailable",
        f"the relayer cannot reach the chain right now ({exc}); retry shortly",
        503,
        {"Retry-After": "1"},
    )
