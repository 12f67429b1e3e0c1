"""Roles after deployment: the owner's and the guardian's calls on a deployed suite.

Settlement, Factory and BookFactory are `Ownable2Step`: a transfer only proposes the new owner
(`pendingOwner`), who becomes the owner by calling `acceptOwnership` itself; a Safe multisig
does so by executing the call whose calldata `calldata` gives. `Settlement.pause` is the
guardian's (or the owner's); everything else is the owner's.

Every call is simulated first through the chain layer (`send_transaction`): a key without the
role is refused before anything is sent, with `MissingRole`, which names the role, who holds
it and the contract's decoded error (`OwnableUnauthorizedAccount`, `NotGuardian`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from web3 import Web3

from crossbook.chain import (
    ContractError,
    Sender,
    TransactionFailed,
    contract_at,
    send_transaction,
    sender_address,
)
from crossbook.errors import DeploymentError
from crossbook.manifest import Manifest

#: The contracts with an owner, in the order their ownership moves.
OWNED: Final = ("Settlement", "Factory", "BookFactory")
#: The contracts with a fee recipient.
FEE_RECIPIENTS: Final = ("Settlement", "BookFactory")
#: The contract errors that mean "the sender lacks the role".
_ROLE_ERRORS: Final = frozenset({"OwnableUnauthorizedAccount", "NotGuardian"})


class MissingRole(DeploymentError, PermissionError):
    """The key lacks the role the call needs: `role`, its `holder`, the contract's `error`."""

    def __init__(self, message: str, role: str, holder: str, error: ContractError | None) -> None:
        super().__init__(message)
        self.role = role
        self.holder = holder
        self.error = error


@dataclass(frozen=True)
class AdminCall:
    """`contract.function(*args)`, a call only `role` may make (``owner``, ``guardian``,
    ``pending owner``)."""

    contract: str  # the manifest entry
    function: str
    args: tuple[Any, ...]
    role: str

    def signature(self) -> str:
        return f"{self.contract}.{self.function}({', '.join(str(a) for a in self.args)})"


def pause() -> AdminCall:
    return AdminCall("Settlement", "pause", (), "guardian")


def unpause() -> AdminCall:
    return AdminCall("Settlement", "unpause", (), "owner")


def set_relayer(relayer: str, allowed: bool) -> AdminCall:
    return AdminCall(
        "Settlement", "setRelayer", (Web3.to_checksum_address(relayer), allowed), "owner"
    )


def set_guardian(guardian: str) -> AdminCall:
    return AdminCall("Settlement", "setGuardian", (Web3.to_checksum_address(guardian),), "owner")


def set_fee_recipient(contract: str, recipient: str) -> AdminCall:
    return AdminCall(contract, "setFeeRecipient", (Web3.to_checksum_address(recipient),), "owner")


def transfer_ownership(contract: str, new_owner: str) -> AdminCall:
    return AdminCall(contract, "transferOwnership", (Web3.to_checksum_address(new_owner),), "owner")


def accept_ownership(contract: str) -> AdminCall:
    return AdminCall(contract, "acceptOwnership", (), "pending owner")


def role_holder(w3: Web3, manifest: Manifest, contract: str, role: str) -> str:
    """Who holds `role` on `contract` now (the guardian: the owner may pause too)."""
    binding = contract_at(w3, contract, manifest.address(contract))
    view = {"owner": "owner", "guardian": "guardian", "pending owner": "pendingOwner"}[role]
    return str(getattr(binding.functions, view)().call())


def roles(w3: Web3, manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Each owned contract's owner and pending owner; Settlement's guardian, pause flag and
    fee recipient; the BookFactory's fee recipient."""
    out: dict[str, dict[str, Any]] = {}
    for name in OWNED:
        c = contract_at(w3, name, manifest.address(name)).functions
        out[name] = {"owner": c.owner().call(), "pending_owner": c.pendingOwner().call()}
        if name in FEE_RECIPIENTS:
            out[name]["fee_recipient"] = c.feeRecipient().call()
    settlement = contract_at(w3, "Settlement", manifest.address("Settlement")).functions
    out["Settlement"]["guardian"] = settlement.guardian().call()
    out["Settlement"]["paused"] = settlement.paused().call()
    return out


def calldata(w3: Web3, manifest: Manifest, call: AdminCall) -> dict[str, str]:
    """The transaction that makes `call`, for a wallet that sends it itself (a Safe)."""
    binding = contract_at(w3, call.contract, manifest.address(call.contract))
    return {
        "to": binding.address,
        "data": binding.encode_abi(call.function, list(call.args)),
        "call": call.signature(),
    }


def send_admin(w3: Web3, manifest: Manifest, call: AdminCall, sender: Sender) -> str:
    """Make `call` from `sender`; its transaction hash. `MissingRole` when the sender lacks
    the role (nothing sent)."""
    binding = contract_at(w3, call.contract, manifest.address(call.contract))
    fn = getattr(binding.functions, call.function)(*call.args)
    try:
        return send_transaction(w3, fn, sender, call.signature()).tx_hash
    except TransactionFailed as exc:
        if exc.name not in _ROLE_ERRORS:
            raise
        holder = role_holder(w3, manifest, call.contract, call.role)
        who = sender_address(sender)
        also = " (the owner may too)" if call.role == "guardian" else ""
        raise MissingRole(
            f"{who} is not the {call.role} of {call.contract}: {call.role} {holder}{also}; "
            f"the contract refused {call.signature()} with {exc.error}",
            call.role,
            holder,
            exc.error,
        ) from None
