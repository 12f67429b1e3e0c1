"""Deploying the suite: one plan (`plan`), one executor (`execute`), CREATE2 addresses
(`create2`). The devnet harness, `crossbook deploy` and `ape run deploy` all run
`execute_plan(w3, suite_plan(config), sender)`."""

from __future__ import annotations

from crossbook.deploy.create2 import (
    DETERMINISTIC_DEPLOYER,
    SALT,
    create2_address,
    deploy_calldata,
)
from crossbook.deploy.execute import StepFailed, StepStatus, call_done, execute_plan, plan_status
from crossbook.deploy.plan import (
    BOOK_MAKER_FEE_PPM,
    BOOK_TAKER_FEE_PPM,
    DEFAULT_MARKETS,
    DEFAULT_POOLS,
    NONZERO,
    Check,
    ExistingToken,
    MarketParams,
    MockToken,
    PlanError,
    PlannedCall,
    PlannedContract,
    PoolParams,
    Ref,
    SuiteConfig,
    SuitePlan,
    market_id,
    suite_plan,
    token_key,
)

__all__ = [
    "BOOK_MAKER_FEE_PPM",
    "BOOK_TAKER_FEE_PPM",
    "DEFAULT_MARKETS",
    "DEFAULT_POOLS",
    "DETERMINISTIC_DEPLOYER",
    "NONZERO",
    "SALT",
    "Check",
    "ExistingToken",
    "MarketParams",
    "MockToken",
    "PlanError",
    "PlannedCall",
    "PlannedContract",
    "PoolParams",
    "Ref",
    "StepFailed",
    "StepStatus",
    "SuiteConfig",
    "SuitePlan",
    "call_done",
    "create2_address",
    "deploy_calldata",
    "execute_plan",
    "market_id",
    "plan_status",
    "suite_plan",
    "token_key",
]
