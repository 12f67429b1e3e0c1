"""The one executor of a suite plan, for every deploy path.

`plan_status` reads which steps are already on chain; `execute_plan` runs the others in plan
order through the chain layer's one transaction path (`send_transaction`): a contract goes to
the CREATE2 deployment proxy, a call to its target. A step whose effect is on chain is
skipped, so a re-run sends nothing. A step that would revert stops the run with `StepFailed`,
which names the step and the contract's typed error; nothing of that step is broadcast.

The sender is an address the node signs for (a devnet account) or any `TransactionSigner`
(the ape deploy script wraps the ape account it was given).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from web3 import Web3
from web3.contract import Contract

from crossbook.chain import (
    ContractError,
    RawCall,
    Sender,
    TransactionFailed,
    contract_at,
    send_transaction,
    sender_address,
)
from crossbook.deploy.create2 import DETERMINISTIC_DEPLOYER, deploy_calldata
from crossbook.deploy.plan import (
    NONZERO,
    Check,
    PlannedCall,
    PlannedContract,
    Step,
    SuitePlan,
)
from crossbook.errors import DeploymentError
from crossbook.manifest import DeployedContract, Manifest, TokenInfo, new_manifest

Echo = Callable[[str], None]


class StepFailed(DeploymentError):
    """A step of the plan would revert or failed on chain: `number` (1-based) of `total`, the
    step, and the contract's typed error when the revert carried one (`error`)."""

    def __init__(self, number: int, total: int, step: Step, cause: Exception) -> None:
        super().__init__(f"step {number} of {total} ({step.label}): {cause}")
        self.number = number
        self.total = total
        self.step = step
        self.error: ContractError | None = getattr(cause, "error", None)


@dataclass(frozen=True)
class StepStatus:
    """A step and whether its effect is already on chain: `done` is None for a call whose
    contract is not deployed yet (its constructor may already do what the call would)."""

    number: int
    step: Step
    address: str  # the contract's address (a deployment), else the called contract's
    done: bool | None

    def line(self) -> str:
        """One line of the plan as the deploy script shows it."""
        if isinstance(self.step, PlannedContract):
            state = "already deployed, skip" if self.done else "deploy"
            return f"  {self.step.name:<12} {self.address}  {state}"
        state = {True: "done, skip", False: "call", None: "call if still needed"}[self.done]
        return f"  {self.step.label:<34} {self.step.signature()}  {state}"


def _binding(w3: Web3, plan: SuitePlan, name: str) -> Contract:
    return contract_at(w3, plan.contract(name).contract, plan.addresses[name])


def _same(answer: Any, expected: Any) -> bool:
    if expected is NONZERO:
        return isinstance(answer, str) and int(answer, 16) != 0
    if isinstance(expected, str) and is_address(expected):
        return isinstance(answer, str) and answer.lower() == expected.lower()
    return bool(answer == expected)


def _view(w3: Web3, plan: SuitePlan, call: PlannedCall, check: Check) -> Any:
    fn = getattr(_binding(w3, plan, call.target).functions, check.function)
    return fn(*(plan.resolve(a) for a in check.args)).call()


def _has_code(w3: Web3, address: str) -> bool:
    return len(w3.eth.get_code(to_checksum_address(address))) > 0


def call_done(w3: Web3, plan: SuitePlan, call: PlannedCall) -> bool:
    """Whether `call`'s effect is on chain (false while its target is not deployed)."""
    if not _has_code(w3, plan.addresses[call.target]):
        return False
    held = (_same(_view(w3, plan, call, c), plan.resolve(c.expect)) for c in call.done_when)
    return any(held) if call.any_check else all(held)


def plan_status(w3: Web3, plan: SuitePlan) -> list[StepStatus]:
    """Every step of `plan`, in order, with whether it is already on chain."""
    out = []
    for number, step in enumerate(plan.steps, 1):
        if isinstance(step, PlannedContract):
            address = plan.addresses[step.name]
            out.append(StepStatus(number, step, address, _has_code(w3, address)))
        else:
            address = plan.addresses[step.target]
            done = call_done(w3, plan, step) if _has_code(w3, address) else None
            out.append(StepStatus(number, step, address, done))
    return out


def _record(manifest: Manifest, name: str, address: str, receipt: dict[str, Any] | None) -> None:
    if receipt is not None:
        manifest.contracts[name] = DeployedContract(
            address=address,
            block=int(receipt["blockNumber"]),
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        )
        return
    known = manifest.contracts.get(name)
    if known is None or known.address.lower() != address.lower():
        # on chain from an earlier run this manifest does not remember: block unknown
        manifest.contracts[name] = DeployedContract(address=address, block=0)


def _deploy(
    w3: Web3, plan: SuitePlan, step: PlannedContract, sender: Sender
) -> dict[str, Any] | None:
    address = plan.addresses[step.name]
    if _has_code(w3, address):
        return None
    data = deploy_calldata(plan.initcodes[step.name])
    sent = send_transaction(w3, RawCall(DETERMINISTIC_DEPLOYER, data), sender, step.label)
    if not _has_code(w3, address):
        raise DeploymentError(f"the deployment proxy left no code at {address}")
    return sent.receipt


def _call(w3: Web3, plan: SuitePlan, step: PlannedCall, sender: Sender) -> dict[str, Any] | None:
    if call_done(w3, plan, step):
        return None
    fn = getattr(_binding(w3, plan, step.target).functions, step.function)
    args = tuple(plan.resolve(a) for a in step.args)
    return send_transaction(w3, fn(*args), sender, step.signature()).receipt


def execute_plan(
    w3: Web3,
    plan: SuitePlan,
    sender: Sender,
    manifest: Manifest | None = None,
    *,
    echo: Echo | None = None,
    save: Callable[[Manifest], object] | None = None,
) -> Manifest:
    """Run every step of `plan` not yet on chain, in order, from `sender` (the plan's
    deployer); record the contracts, tokens and roles in `manifest` (a new one by default).
    `echo` hears one line per step sent; `save` gets the manifest after each."""
    deployer = plan.config.deployer
    if sender_address(sender) != to_checksum_address(deployer):
        raise DeploymentError(
            f"the plan is for deployer {deployer}, but {sender_address(sender)} would send it"
        )
    chain_id = int(w3.eth.chain_id)
    manifest = manifest or new_manifest(chain_id)
    if manifest.chain_id != chain_id:
        raise DeploymentError(
            f"the manifest is for chain {manifest.chain_id}, but the node is chain {chain_id}"
        )
    if not _has_code(w3, DETERMINISTIC_DEPLOYER):
        raise DeploymentError(
            f"chain {chain_id} has no deterministic deployment proxy at {DETERMINISTIC_DEPLOYER}"
        )
    steps = plan.steps
    for number, step in enumerate(steps, 1):
        try:
            if isinstance(step, PlannedContract):
                receipt = _deploy(w3, plan, step, sender)
                _record(manifest, step.name, plan.addresses[step.name], receipt)
            else:
                receipt = _call(w3, plan, step, sender)
                if step.creates is not None:
                    created = _view(w3, plan, step, step.done_when[0])
                    _record(manifest, step.creates, to_checksum_address(created), receipt)
        except (TransactionFailed, DeploymentError) as exc:
            raise StepFailed(number, len(steps), step, exc) from None
        if receipt is not None:
            if echo is not None:
                tx = "0x" + bytes(receipt["transactionHash"]).hex()
                echo(f"step {number}/{len(steps)}: {step.label} (tx {tx})")
            if save is not None:
                save(manifest)
    _record_tokens_and_roles(plan, manifest)
    return manifest


def _record_tokens_and_roles(plan: SuitePlan, manifest: Manifest) -> None:
    addresses = plan.token_addresses()
    for token in plan.config.tokens:
        manifest.tokens[token.symbol] = TokenInfo(
            address=addresses[token.symbol], symbol=token.symbol, decimals=token.decimals
        )
    config = plan.config
    manifest.roles = {
        "owner": config.owner,
        "guardian": config.guardian,
        "relayer": config.relayers[0] if config.relayers else "",
        "fee_recipient": config.fee_recipient,
    }
