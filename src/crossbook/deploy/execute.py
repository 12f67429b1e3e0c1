"""The one executor of a suite plan, for every deploy path.

`plan_status` reads which steps are already on chain; `execute_plan` runs the others in plan
order through the chain layer's one transaction path (`send_transaction`): a contract goes to
the CREATE2 deployment proxy or is created from the deployer (`Placement`), a call goes to its
target. A step whose effect is on chain is skipped, so a re-run sends nothing. A step that
would revert stops the run with `StepFailed`, which names the step and the contract's typed
error; nothing of that step is broadcast.

Where the contracts are: a CREATE2 plan knows; a CREATE plan reads them from the manifest, which
records each contract before its deployment is sent (at the address the deployer's nonce gives)
and again with its block once mined. A run stopped anywhere resumes from the manifest: a
recorded contract with code is done, one without is deployed again.

The sender is an address the node signs for (a devnet account) or any `TransactionSigner`
(the ape deploy script wraps the ape account it was given).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from crossbook.deploy.addresses import DETERMINISTIC_DEPLOYER, create_address, deploy_calldata
from crossbook.deploy.plan import (
    NONZERO,
    Check,
    Placement,
    PlanError,
    PlannedCall,
    PlannedContract,
    Step,
    SuitePlan,
    artifact_of,
    resolve,
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
    contract is not deployed yet (its constructor may already do what the call would). A
    contract's `address` is where it is or will be; for CREATE, the address the deployer's
    nonce gives when every step before it sends one transaction."""

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


def _has_code(w3: Web3, address: str) -> bool:
    return len(w3.eth.get_code(to_checksum_address(address))) > 0


def deployed_addresses(w3: Web3, plan: SuitePlan, manifest: Manifest | None) -> dict[str, str]:
    """Where the plan's contracts and venues are on chain: a CREATE2 plan's own addresses,
    and the manifest's entries with code (for CREATE, every contract; else pools and books)."""
    where = {name: a for name, a in plan.addresses.items() if _has_code(w3, a)}
    for name, entry in (manifest.contracts if manifest else {}).items():
        if name not in plan.addresses and _has_code(w3, entry.address):
            where[name] = to_checksum_address(entry.address)
    return where


def _binding(w3: Web3, plan: SuitePlan, name: str, where: Mapping[str, str]) -> Contract:
    return contract_at(w3, artifact_of(name), where[name])


def _same(answer: Any, expected: Any) -> bool:
    if expected is NONZERO:
        if isinstance(answer, str):
            return int(answer, 16) != 0
        return isinstance(answer, int) and answer != 0
    if isinstance(expected, str) and is_address(expected):
        return isinstance(answer, str) and answer.lower() == expected.lower()
    return bool(answer == expected)


def _view(
    w3: Web3, plan: SuitePlan, call: PlannedCall, check: Check, where: Mapping[str, str]
) -> Any:
    fn = getattr(_binding(w3, plan, check.on or call.target, where).functions, check.function)
    return fn(*(resolve(a, where) for a in check.args)).call()


def _check_holds(
    w3: Web3, plan: SuitePlan, call: PlannedCall, check: Check, where: Mapping[str, str]
) -> bool:
    if check.on is not None and check.on not in where:
        return False
    try:
        expected = resolve(check.expect, where)
    except PlanError:  # it names a contract not deployed yet, so the call is not done
        return False
    return _same(_view(w3, plan, call, check, where), expected)


def call_done(
    w3: Web3, plan: SuitePlan, call: PlannedCall, where: Mapping[str, str] | None = None
) -> bool:
    """Whether `call`'s effect is on chain (false while its target is not deployed);
    `where` are the deployed addresses (default: the plan's)."""
    where = plan.addresses if where is None else where
    if call.target not in where or not _has_code(w3, where[call.target]):
        return False
    held = (_check_holds(w3, plan, call, c, where) for c in call.done_when)
    return any(held) if call.any_check else all(held)


def plan_status(w3: Web3, plan: SuitePlan, manifest: Manifest | None = None) -> list[StepStatus]:
    """Every step of `plan`, in order, with whether it is already on chain."""
    where = deployed_addresses(w3, plan, manifest)
    nonce = int(w3.eth.get_transaction_count(to_checksum_address(plan.config.deployer)))
    out = []
    for number, step in enumerate(plan.steps, 1):
        if isinstance(step, PlannedContract):
            address = where.get(step.name) or plan.addresses.get(step.name)
            if address is None:  # CREATE: where the deployer's nonce puts it
                address = create_address(plan.config.deployer, nonce)
            out.append(StepStatus(number, step, address, step.name in where))
        else:
            done = call_done(w3, plan, step, where) if step.target in where else None
            target = where.get(step.target) or plan.addresses.get(step.target, "")
            out.append(StepStatus(number, step, target, done))
        nonce += 0 if out[-1].done else 1
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


@dataclass
class _Run:
    """One execution: the chain, the plan, who sends, what is deployed where, the record."""

    w3: Web3
    plan: SuitePlan
    sender: Sender
    manifest: Manifest
    where: dict[str, str]
    save: Callable[[Manifest], object] | None

    def deploy(self, step: PlannedContract) -> dict[str, Any] | None:
        if step.name in self.where:
            _record(self.manifest, step.name, self.where[step.name], None)
            return None
        if self.plan.config.placement is Placement.CREATE2:
            address = self.plan.addresses[step.name]
            data = deploy_calldata(self.plan.initcodes[step.name])
            call = RawCall(DETERMINISTIC_DEPLOYER, data)
        else:
            deployer = to_checksum_address(self.plan.config.deployer)
            address = create_address(deployer, self.w3.eth.get_transaction_count(deployer))
            initcode = step.initcode(self.plan.bytecodes[step.contract], self.where)
            call = RawCall(None, initcode)
            # recorded before it is sent: a run stopped before the receipt finds it on resume
            self.manifest.contracts[step.name] = DeployedContract(address=address, block=0)
            if self.save is not None:
                self.save(self.manifest)
        receipt = send_transaction(self.w3, call, self.sender, step.label).receipt
        if not _has_code(self.w3, address):
            raise DeploymentError(f"{step.label} left no code at {address}")
        self.where[step.name] = address
        _record(self.manifest, step.name, address, receipt)
        return receipt

    def call(self, step: PlannedCall) -> dict[str, Any] | None:
        receipt = None
        if not call_done(self.w3, self.plan, step, self.where):
            binding = _binding(self.w3, self.plan, step.target, self.where)
            fn = getattr(binding.functions, step.function)
            args = tuple(resolve(a, self.where) for a in step.args)
            receipt = send_transaction(self.w3, fn(*args), self.sender, step.signature()).receipt
        if step.creates is not None:
            created = to_checksum_address(
                _view(self.w3, self.plan, step, step.done_when[0], self.where)
            )
            self.where[step.creates] = created
            _record(self.manifest, step.creates, created, receipt)
        return receipt


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
    if plan.config.placement is Placement.CREATE2 and not _has_code(w3, DETERMINISTIC_DEPLOYER):
        raise DeploymentError(
            f"chain {chain_id} has no deterministic deployment proxy at {DETERMINISTIC_DEPLOYER}"
        )
    run = _Run(w3, plan, sender, manifest, deployed_addresses(w3, plan, manifest), save)
    steps = plan.steps
    for number, step in enumerate(steps, 1):
        try:
            receipt = run.deploy(step) if isinstance(step, PlannedContract) else run.call(step)
        except (TransactionFailed, DeploymentError) as exc:
            raise StepFailed(number, len(steps), step, exc) from None
        if receipt is not None:
            if echo is not None:
                tx = "0x" + bytes(receipt["transactionHash"]).hex()
                echo(f"step {number}/{len(steps)}: {step.label} (tx {tx})")
            if save is not None:
                save(manifest)
    _record_tokens_and_roles(plan, manifest, run.where)
    return manifest


def _record_tokens_and_roles(plan: SuitePlan, manifest: Manifest, where: Mapping[str, str]) -> None:
    addresses = plan.token_addresses(where)
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
