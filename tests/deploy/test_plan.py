"""The suite plan and its executor: what the plan holds, that a re-run (or a resumed run) sends
nothing twice, and that a step that would revert is reported by step and typed error."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from web3 import Web3

from crossbook.chain import RawCall, contract_at, send_transaction
from crossbook.deploy import (
    DETERMINISTIC_DEPLOYER,
    ExistingToken,
    Placement,
    PlanError,
    PlannedCall,
    PlannedContract,
    PoolParams,
    Ref,
    StepFailed,
    SuiteConfig,
    create2_address,
    create_address,
    deploy_calldata,
    execute_plan,
    plan_status,
    suite_plan,
)
from crossbook.devnet import AnvilNode, dev_accounts
from crossbook.devnet.deploy import Roles, devnet_config
from crossbook.errors import DeploymentError

pytestmark = pytest.mark.devnet
ACCOUNTS = [a.address for a in dev_accounts()]
DEPLOYER, GUARDIAN, RELAYER, OWNER = ACCOUNTS[0], ACCOUNTS[8], ACCOUNTS[9], ACCOUNTS[7]
ROLES = Roles(DEPLOYER, GUARDIAN, RELAYER, DEPLOYER)


@pytest.fixture
def w3() -> Iterator[Web3]:
    with AnvilNode() as node:
        yield Web3(Web3.HTTPProvider(node.rpc_url))


def sent_by(w3: Web3, address: str) -> int:
    return int(w3.eth.get_transaction_count(Web3.to_checksum_address(address)))


def call_number(plan_steps: tuple[object, ...], function: str) -> int:
    return next(
        i
        for i, step in enumerate(plan_steps, 1)
        if isinstance(step, PlannedCall) and step.function == function
    )


# ------------------------------------------------------------------ the plan itself


def test_plan_holds_every_contract_and_the_wiring_in_order():
    plan = suite_plan(devnet_config(ROLES))
    assert [c.name for c in plan.contracts] == [
        "Settlement",
        "token:WETH",
        "token:USDC",
        "token:DAI",
        "Factory",
        "Router",
        "BookFactory",
        "HybridRouter",
    ]
    assert [(c.target, c.function) for c in plan.calls] == [
        ("Settlement", "setRelayer"),
        ("Settlement", "setGuardian"),
        ("Factory", "createPool"),
        ("BookFactory", "createBook"),
        ("Settlement", "setLiquiditySources"),
    ]
    sources = next(c for c in plan.calls if c.function == "setLiquiditySources")
    assert sources.args == (Ref("Factory"), Ref("BookFactory"))
    assert plan.contract("HybridRouter").constructor_args == (Ref("Factory"), Ref("BookFactory"))
    # a devnet creates from the deployer: no address before the run
    assert plan.config.placement is Placement.CREATE and not plan.addresses
    create2 = suite_plan(replace(devnet_config(ROLES), placement=Placement.CREATE2))
    for contract in create2.contracts:
        assert create2.addresses[contract.name] == create2_address(create2.initcodes[contract.name])


def test_devnet_funding_is_part_of_its_plan():
    holders = (DEPLOYER, ACCOUNTS[1])
    plan = suite_plan(devnet_config(ROLES, holders))
    steps = [s.name if isinstance(s, PlannedContract) else s.label for s in plan.steps]
    weth = steps.index("token:WETH")
    assert steps[weth + 1 : weth + 4] == [
        f"mint WETH to {DEPLOYER}",
        f"mint WETH to {ACCOUNTS[1]}",
        "token:USDC",
    ]
    pool = steps.index("create pool WETH/USDC/30")
    assert steps[pool + 1 : pool + 5] == [
        "approve WETH for the router",
        "approve USDC for the router",
        "seed pool WETH/USDC/30",
        "BookFactory",
    ]


def test_roles_and_fees_are_calls_so_they_never_move_an_address():
    base = suite_plan(replace(devnet_config(ROLES), placement=Placement.CREATE2))
    other = suite_plan(
        SuiteConfig(
            deployer=DEPLOYER,
            owner=OWNER,
            fee_recipient=OWNER,
            guardian=OWNER,
            relayers=(OWNER,),
            tokens=base.config.tokens,
            book_taker_fee_ppm=1_000,
            book_maker_fee_ppm=0,
        )
    )
    assert other.addresses == base.addresses
    proposals = [c for c in other.calls if c.function == "transferOwnership"]
    assert [c.target for c in proposals] == ["Settlement", "Factory", "BookFactory"]
    assert all(c.args == (OWNER,) and c.any_check for c in proposals)
    assert not [c for c in base.calls if c.function == "transferOwnership"]
    # what the constructors already set is no step: the deployer as fee recipient, the
    # default book fees
    assert {c.function for c in other.calls} - {c.function for c in base.calls} == {
        "setFeeRecipient",
        "setFees",
        "transferOwnership",
    }


def test_a_pool_or_book_on_a_missing_token_is_refused_before_anything_is_sent():
    with pytest.raises(PlanError, match="pool:WETH/DAI/30 needs token\\(s\\) DAI"):
        suite_plan(
            SuiteConfig(
                DEPLOYER,
                DEPLOYER,
                DEPLOYER,
                DEPLOYER,
                tokens=(ExistingToken("WETH", ACCOUNTS[5], 18),),
                pools=(PoolParams("WETH", "DAI", 30),),
            )
        )
    # no tokens, no default venues: the plan is the contracts and the roles
    bare = suite_plan(SuiteConfig(DEPLOYER, DEPLOYER, DEPLOYER, DEPLOYER))
    assert not [c for c in bare.calls if c.creates]
    with pytest.raises(PlanError, match="names a token symbol twice"):
        token = ExistingToken("WETH", ACCOUNTS[5], 18)
        suite_plan(SuiteConfig(DEPLOYER, DEPLOYER, DEPLOYER, DEPLOYER, tokens=(token, token)))


# -------------------------------------------------------------------- the executor


@pytest.mark.parametrize("placement", list(Placement))
def test_rerun_sends_nothing(w3, placement):
    plan = suite_plan(replace(devnet_config(ROLES), placement=placement))
    first = execute_plan(w3, plan, DEPLOYER)
    sent = sent_by(w3, DEPLOYER)
    assert sent == len(plan.steps)  # one transaction a step
    assert all(s.done for s in plan_status(w3, plan, first))
    second = execute_plan(w3, plan, DEPLOYER, first.model_copy(deep=True))
    assert sent_by(w3, DEPLOYER) == sent
    assert second.contracts == first.contracts


def test_devnet_addresses_are_the_deployers_nonce_addresses(w3):
    """Creating from the deployer, a fresh chain's plan sends one transaction per step, so its
    status predicts every address before anything is sent; none depends on the bytecode."""
    holders = tuple(ACCOUNTS)
    plan = suite_plan(devnet_config(ROLES, holders))
    predicted = {s.step.name: s.address for s in plan_status(w3, plan) if s.done is False}
    manifest = execute_plan(w3, plan, DEPLOYER)
    deployed = {c.name: manifest.address(c.name) for c in plan.contracts}
    assert deployed == {name: predicted[name] for name in deployed}
    assert deployed["Settlement"] == create_address(DEPLOYER, 0)
    weth = 3  # after Settlement, its relayer and its guardian
    assert deployed["token:WETH"] == create_address(DEPLOYER, weth)
    assert deployed["token:USDC"] == create_address(DEPLOYER, weth + 1 + len(holders))
    assert all(s.done for s in plan_status(w3, plan, manifest))


class Stop(Exception):
    """Stands in for a deploy killed midway."""


@pytest.mark.parametrize("placement", list(Placement))
def test_a_run_stopped_midway_resumes_without_repeating_a_step(w3, placement):
    plan = suite_plan(replace(devnet_config(ROLES), placement=placement))
    saved = []

    def stop_after_the_third_contract(manifest):
        saved.append(manifest.model_copy(deep=True))
        if sum(c.block > 0 for c in manifest.contracts.values()) == 3:
            raise Stop

    with pytest.raises(Stop):
        execute_plan(w3, plan, DEPLOYER, save=stop_after_the_third_contract)
    # Settlement, its relayer and guardian, WETH, USDC
    assert sent_by(w3, DEPLOYER) == 5
    assert list(saved[-1].contracts) == ["Settlement", "token:WETH", "token:USDC"]
    status = plan_status(w3, plan, saved[-1])
    assert [s.done for s in status[:6]] == [True, True, True, True, True, False]  # DAI
    resumed = execute_plan(w3, plan, DEPLOYER, saved[-1])
    assert sent_by(w3, DEPLOYER) == len(plan.steps)
    # what the first run deployed keeps its deploy block
    assert resumed.contracts["token:WETH"] == saved[-1].contracts["token:WETH"]
    assert all(s.done for s in plan_status(w3, plan, resumed))


def test_a_creation_mined_but_not_yet_recorded_is_found_on_resume(w3):
    """Plain CREATE: the manifest holds the nonce address before the deployment is sent, so a
    run stopped between the receipt and the record does not deploy the contract twice."""
    plan = suite_plan(devnet_config(ROLES))
    saved = []

    def stop_once_mined(manifest):
        saved.append(manifest.model_copy(deep=True))
        if "token:WETH" in manifest.contracts and manifest.contracts["token:WETH"].block:
            raise Stop

    with pytest.raises(Stop):
        execute_plan(w3, plan, DEPLOYER, save=stop_once_mined)
    before_receipt = saved[-2]  # the last record before the stop: WETH sent, not yet mined
    assert before_receipt.contracts["token:WETH"].block == 0
    sent = sent_by(w3, DEPLOYER)
    resumed = execute_plan(w3, plan, DEPLOYER, before_receipt)
    assert resumed.address("token:WETH") == saved[-1].address("token:WETH")
    assert sent_by(w3, DEPLOYER) == sent + len(plan.steps) - 4


def test_liquidity_sources_already_set_elsewhere_names_the_step(w3):
    """A Settlement already wired to other factories cannot be rewired: the run stops at that
    step with the contract's error, and nothing after it is sent."""
    plan = suite_plan(replace(devnet_config(ROLES), placement=Placement.CREATE2))
    settlement = plan.addresses["Settlement"]
    send_transaction(
        w3,
        RawCall(DETERMINISTIC_DEPLOYER, deploy_calldata(plan.initcodes["Settlement"])),
        DEPLOYER,
    )
    other = (ACCOUNTS[5], ACCOUNTS[6])
    contract = contract_at(w3, "Settlement", settlement)
    send_transaction(w3, contract.functions.setLiquiditySources(*other), DEPLOYER)
    number = call_number(plan.steps, "setLiquiditySources")

    with pytest.raises(StepFailed) as failed:
        execute_plan(w3, plan, DEPLOYER)
    assert failed.value.number == number
    assert (
        failed.value.error is not None and failed.value.error.name == "LiquiditySourcesAlreadySet"
    )
    assert str(failed.value) == (
        f"step {number} of {len(plan.steps)} (set the liquidity sources): "
        "Settlement.setLiquiditySources(Factory, BookFactory) would revert: "
        "LiquiditySourcesAlreadySet()"
    )
    assert failed.value.number == len(plan.steps)  # the last step: nothing was sent after it
    assert contract.functions.ammFactory().call() == other[0]


def test_a_fee_tier_the_factory_lacks_names_the_step(w3):
    plan = suite_plan(replace(devnet_config(ROLES), pools=(PoolParams("WETH", "USDC", 7),)))
    with pytest.raises(StepFailed, match=r"\(create pool WETH/USDC/7\): Factory\.createPool") as e:
        execute_plan(w3, plan, DEPLOYER)
    assert e.value.error is not None
    assert (e.value.error.name, e.value.error.args) == ("FeeTierNotEnabled", (7,))
    assert isinstance(e.value.step, PlannedCall)


def test_a_deployer_that_no_longer_owns_the_suite_names_the_step(w3):
    """After the owner accepted the suite, a plan that still needs a change (a new relayer)
    stops there: the deployer's call would revert OwnableUnauthorizedAccount."""
    handed_over = replace(devnet_config(ROLES), owner=OWNER)
    plan = suite_plan(handed_over)
    manifest = execute_plan(w3, plan, DEPLOYER)
    for name in ("Settlement", "Factory", "BookFactory"):
        contract = contract_at(w3, name, manifest.address(name))
        assert contract.functions.pendingOwner().call() == OWNER
        send_transaction(w3, contract.functions.acceptOwnership(), OWNER)
    sent = sent_by(w3, DEPLOYER)
    execute_plan(w3, plan, DEPLOYER, manifest)  # everything, the hand-over included, is done
    assert sent_by(w3, DEPLOYER) == sent

    more = suite_plan(replace(handed_over, relayers=(RELAYER, GUARDIAN)))
    with pytest.raises(StepFailed) as failed:
        execute_plan(w3, more, DEPLOYER, manifest)
    assert failed.value.number == 3  # Settlement, the first relayer, the second
    assert failed.value.error is not None
    assert failed.value.error.name == "OwnableUnauthorizedAccount"
    assert failed.value.error.args == (DEPLOYER.lower(),)
    assert "(allow-list a relayer): Settlement.setRelayer(" in str(failed.value)
    assert sent_by(w3, DEPLOYER) == sent


def test_the_sender_must_be_the_plans_deployer(w3):
    plan = suite_plan(devnet_config(ROLES))
    with pytest.raises(DeploymentError, match=f"the plan is for deployer {DEPLOYER}"):
        execute_plan(w3, plan, ACCOUNTS[1])
    assert sent_by(w3, ACCOUNTS[1]) == 0


def test_status_lines_say_what_is_left(w3):
    plan = suite_plan(devnet_config(ROLES))
    before = plan_status(w3, plan)
    assert all(s.done is False for s in before if isinstance(s.step, PlannedContract))
    assert all(s.done is None for s in before if isinstance(s.step, PlannedCall))
    assert before[0].line().endswith(f"{create_address(DEPLOYER, 0)}  deploy")
    manifest = execute_plan(w3, plan, DEPLOYER)
    after = plan_status(w3, plan, manifest)
    assert after[0].line().endswith(f"{manifest.address('Settlement')}  already deployed, skip")
    assert after[-1].line().endswith("done, skip")
