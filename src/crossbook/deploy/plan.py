"""The suite plan: every contract of a deployment and every call that wires it, in order.

`suite_plan(config)` is what the devnet harness, `crossbook deploy` and `ape run deploy` all
execute (`crossbook.deploy.execute`). Its steps, in order:

1. Settlement, then its relayer allow-list, guardian and fee recipient;
2. the config's mock tokens (devnets only), each followed by its mints to the funded holders;
3. the AMM Factory and Router, the config's pools (the seeded one followed by the deployer's
   approvals and its liquidity, devnets only);
4. the BookFactory, its fees and fee recipient, the config's books;
5. the HybridRouter, the settlement's liquidity sources (the two factories, which
   `settleWithLiquidity` trades against) and, for an owner other than the deployer, the
   proposed (two-step) ownership transfers.

Where a contract lands (`Placement`): with CREATE2 through the deterministic deployment proxy,
its address depends on its init code alone and is known before anything is sent; with plain
CREATE from the deployer, on the deployer's nonce alone: a devnet deploys so, and on a fresh
chain every step of its plan is one transaction, so its addresses never move with the bytecode.

Constructors take the deployer and fixed defaults only; every other role and fee is set by a
call, so a role never moves an address, and a call the constructors already did is not planned:
on a fresh chain each step is one transaction. Each call names the views that show its effect
on chain (`Check`): an executor skips what is already done, so a re-run sends nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address

from crossbook.artifacts import load_artifact
from crossbook.book.client import book_key
from crossbook.deploy.addresses import create2_address
from crossbook.errors import DeploymentError
from crossbook.hashing import keccak


class PlanError(DeploymentError, ValueError):
    """A suite config that cannot be planned: a pool or market names a token it lacks."""


# ----------------------------------------------------------------------------- config


class Placement(enum.StrEnum):
    """How a contract of the plan gets its address."""

    CREATE2 = "create2"  # the deployment proxy: from the init code, known before sending
    CREATE = "create"  # from the deployer's nonce: independent of the bytecode


@dataclass(frozen=True)
class MockToken:
    """A free-mint ERC-20 (`MockERC20`) the plan deploys: devnets only, anyone can mint it."""

    symbol: str
    name: str
    decimals: int


@dataclass(frozen=True)
class ExistingToken:
    """An ERC-20 already on the chain; the plan records it and may build venues on it."""

    symbol: str
    address: str
    decimals: int


@dataclass(frozen=True)
class PoolParams:
    """An AMM pool of two config tokens (by symbol) at a fee tier in basis points."""

    token_a: str
    token_b: str
    fee: int

    @property
    def key(self) -> str:
        """The manifest entry of the pool, e.g. ``pool:WETH/USDC/30``."""
        return f"pool:{self.token_a}/{self.token_b}/{self.fee}"


@dataclass(frozen=True)
class MarketParams:
    """An on-chain book of two config tokens (by symbol) and its price grid."""

    base: str
    quote: str
    tick_size: int  # quote units per lot per tick
    lot_size: int  # base units per lot
    min_lots: int

    @property
    def key(self) -> str:
        """The manifest entry of the book, e.g. ``book:WETH/USDC``."""
        return book_key(f"{self.base}/{self.quote}")


@dataclass(frozen=True)
class Funding:
    """Devnet funding, part of the plan: `mints` (symbol, base units) of each mock token to
    every holder, right after the token; the deployer's liquidity in the `seed` pool (base
    units of its token A and B), right after the pool."""

    holders: tuple[str, ...]
    mints: tuple[tuple[str, int], ...]
    seed: PoolParams
    seed_amounts: tuple[int, int]


#: The WETH/USDC pool at the 0.30% tier.
DEFAULT_POOLS: Final = (PoolParams("WETH", "USDC", 30),)
#: WETH/USDC: a lot is 0.001 WETH, a tick 0.1 USDC per WETH (tick 20,000 = 2,000 USDC), the
#: minimum order 0.01 WETH.
DEFAULT_MARKETS: Final = (
    MarketParams("WETH", "USDC", tick_size=100, lot_size=10**15, min_lots=10),
)
#: Fees of the books the BookFactory creates: 0.05% taker, 0.01% maker rebate (ppm).
BOOK_TAKER_FEE_PPM: Final = 500
BOOK_MAKER_FEE_PPM: Final = -100
#: The deadline of the seed liquidity (the largest uint32: none).
NO_DEADLINE: Final = 2**32 - 1
MAX_UINT: Final = 2**256 - 1


@dataclass(frozen=True)
class SuiteConfig:
    """What to deploy and how to wire it. The deployer sends every transaction and is each
    contract's first owner; `owner`, when another address, is proposed as the final one.
    `pools` and `markets` left at None are the defaults (`DEFAULT_POOLS`, `DEFAULT_MARKETS`)
    whose tokens the config has; given, each must name tokens of the config."""

    deployer: str
    owner: str
    fee_recipient: str
    guardian: str
    relayers: tuple[str, ...] = ()
    tokens: tuple[MockToken | ExistingToken, ...] = ()
    pools: tuple[PoolParams, ...] | None = None
    markets: tuple[MarketParams, ...] | None = None
    book_taker_fee_ppm: int = BOOK_TAKER_FEE_PPM
    book_maker_fee_ppm: int = BOOK_MAKER_FEE_PPM
    placement: Placement = Placement.CREATE2
    funding: Funding | None = None

    def venues(self) -> tuple[tuple[PoolParams, ...], tuple[MarketParams, ...]]:
        """The pools and markets to create."""
        default_pools, default_markets = _default_venues({t.symbol for t in self.tokens})
        return (
            default_pools if self.pools is None else self.pools,
            default_markets if self.markets is None else self.markets,
        )


def _default_venues(symbols: set[str]) -> tuple[tuple[PoolParams, ...], tuple[MarketParams, ...]]:
    """The default pools and markets whose tokens are all among `symbols`."""
    pools = tuple(p for p in DEFAULT_POOLS if {p.token_a, p.token_b} <= symbols)
    markets = tuple(m for m in DEFAULT_MARKETS if {m.base, m.quote} <= symbols)
    return pools, markets


# ------------------------------------------------------------------------------ steps


@dataclass(frozen=True)
class Ref:
    """A value that is the address of a contract of the plan or of a venue it creates, by its
    manifest entry (``Settlement``, ``token:WETH``, ``pool:WETH/USDC/30``)."""

    name: str


@dataclass(frozen=True)
class Computed:
    """A value computed from others once they are known (`fn(*args)`, `Ref`s resolved)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]


class _NonZero:
    def __repr__(self) -> str:
        return "NONZERO"


#: `Check.expect` for a view that answers an address or an amount: anything but zero.
NONZERO: Final = _NonZero()


@dataclass(frozen=True)
class PlannedContract:
    """One contract of the suite: its plan name (the manifest entry), the compiled contract,
    and its constructor."""

    name: str
    constructor_types: tuple[str, ...]
    constructor_args: tuple[Any, ...]
    artifact: str = ""  # the compiled contract; the plan name when empty

    @property
    def contract(self) -> str:
        return self.artifact or self.name

    @property
    def label(self) -> str:
        return f"deploy {self.name}"

    def initcode(self, bytecode: str | bytes, addresses: Mapping[str, str] | None = None) -> bytes:
        """Bytecode plus the encoded arguments; a `Ref` becomes `addresses[ref.name]`."""
        code = bytes.fromhex(bytecode[2:]) if isinstance(bytecode, str) else bytes(bytecode)
        args = [resolve(a, addresses or {}) for a in self.constructor_args]
        return code + encode(list(self.constructor_types), args)


@dataclass(frozen=True)
class Check:
    """A view whose answer shows a call's effect is on chain: of the called contract, or of
    the contract of the plan named `on`."""

    function: str
    args: tuple[Any, ...] = ()
    expect: Any = NONZERO
    on: str | None = None


@dataclass(frozen=True)
class PlannedCall:
    """One wiring call: `target.function(*args)` from the deployer, skipped when its checks
    hold (all of them, or any one with `any_check`). A call that creates a contract (a pool,
    a book) names its manifest entry in `creates`; the first check's view answers its address."""

    label: str
    target: str
    function: str
    args: tuple[Any, ...]
    done_when: tuple[Check, ...]
    any_check: bool = False
    creates: str | None = None

    def signature(self) -> str:
        """`Target.function(args)` with plan contracts by name, for people."""
        shown = ", ".join(_show(a) for a in self.args)
        return f"{self.target}.{self.function}({shown})"


def _show(value: Any) -> str:
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return str(value)


def resolve(value: Any, addresses: Mapping[str, str]) -> Any:
    """`value` with every `Ref` replaced by its address in `addresses` and every `Computed`
    computed (inside tuples too)."""
    if isinstance(value, Ref):
        try:
            return addresses[value.name]
        except KeyError:
            raise PlanError(f"{value.name} is not deployed yet") from None
    if isinstance(value, Computed):
        return value.fn(*(resolve(a, addresses) for a in value.args))
    if isinstance(value, tuple):
        return tuple(resolve(v, addresses) for v in value)
    return value


Step = PlannedContract | PlannedCall


@dataclass(frozen=True)
class SuitePlan:
    """The planned steps in order. With CREATE2 placement, `addresses` holds every planned
    contract's address and `initcodes` its init code; with CREATE, both are learnt as the
    executor deploys (`bytecodes` holds what it deploys)."""

    config: SuiteConfig
    steps: tuple[Step, ...]
    bytecodes: Mapping[str, bytes] = field(repr=False)
    initcodes: Mapping[str, bytes] = field(repr=False)
    addresses: Mapping[str, str]

    @property
    def contracts(self) -> tuple[PlannedContract, ...]:
        return tuple(s for s in self.steps if isinstance(s, PlannedContract))

    @property
    def calls(self) -> tuple[PlannedCall, ...]:
        return tuple(s for s in self.steps if isinstance(s, PlannedCall))

    def contract(self, name: str) -> PlannedContract:
        return next(c for c in self.contracts if c.name == name)

    def token_addresses(self, addresses: Mapping[str, str] | None = None) -> dict[str, str]:
        """Each config token's address (a mock token's from `addresses`, default the plan's)."""
        where = self.addresses if addresses is None else addresses
        return {t.symbol: resolve(_token_ref(t), where) for t in self.config.tokens}


def _token_ref(token: MockToken | ExistingToken) -> str | Ref:
    if isinstance(token, ExistingToken):
        return to_checksum_address(token.address)
    return Ref(token_key(token.symbol))


def artifact_of(name: str) -> str:
    """The compiled contract behind manifest entry `name` (a plan contract, a mock token, a
    pool or book a factory created)."""
    if name.startswith("pool:"):
        return "Pool"
    if name.startswith("book:"):
        return "OrderBook"
    if name.startswith("token:"):
        return "MockERC20"
    return name


def token_key(symbol: str) -> str:
    """The manifest entry of a token the plan deploys, e.g. ``token:WETH``."""
    return f"token:{symbol}"


def market_id(base: str, quote: str, tick_size: int, lot_size: int, min_lots: int) -> bytes:
    """`BookFactory.marketId`: the hash of the market's parameters."""
    types = ["address", "address", "uint256", "uint256", "uint256"]
    return keccak(encode(types, [base, quote, tick_size, lot_size, min_lots]))


# ------------------------------------------------------------------------------ plan


def _settlement_steps(config: SuiteConfig) -> list[Step]:
    deployer = config.deployer
    steps: list[Step] = [
        PlannedContract("Settlement", ("address", "address"), (deployer, deployer)),
    ]
    steps += [
        PlannedCall(
            "allow-list a relayer",
            "Settlement",
            "setRelayer",
            (relayer, True),
            (Check("isRelayer", (relayer,), True),),
        )
        for relayer in config.relayers
    ]
    steps.append(
        PlannedCall(
            "set the guardian",
            "Settlement",
            "setGuardian",
            (config.guardian,),
            (Check("guardian", (), config.guardian),),
        )
    )
    if not _same_address(config.fee_recipient, deployer):
        steps.append(
            PlannedCall(
                "set the settlement's fee recipient",
                "Settlement",
                "setFeeRecipient",
                (config.fee_recipient,),
                (Check("feeRecipient", (), config.fee_recipient),),
            )
        )
    return steps


def _same_address(a: str, b: str) -> bool:
    return to_checksum_address(a) == to_checksum_address(b)


def _token_steps(config: SuiteConfig) -> list[Step]:
    mints = dict(config.funding.mints) if config.funding else {}
    holders = config.funding.holders if config.funding else ()
    steps: list[Step] = []
    for token in config.tokens:
        if not isinstance(token, MockToken):
            continue
        key = token_key(token.symbol)
        steps.append(
            PlannedContract(
                key,
                ("string", "string", "uint8"),
                (token.name, token.symbol, token.decimals),
                artifact="MockERC20",
            )
        )
        amount = mints.get(token.symbol, 0)
        steps += [
            PlannedCall(
                f"mint {token.symbol} to {holder}",
                key,
                "mint",
                (holder, amount),
                (Check("balanceOf", (holder,)),),
            )
            for holder in (holders if amount else ())
        ]
    return steps


def _seed_steps(config: SuiteConfig, pool: PoolParams, tokens: Mapping[str, Any]) -> list[Step]:
    """The deployer's liquidity in `pool` (devnet funding)."""
    assert config.funding is not None
    deployer, router = config.deployer, Ref("Router")
    steps: list[Step] = [
        PlannedCall(
            f"approve {symbol} for the router",
            token_key(symbol),
            "approve",
            (router, MAX_UINT),
            (Check("allowance", (deployer, router)),),
        )
        for symbol in (pool.token_a, pool.token_b)
    ]
    a, b = config.funding.seed_amounts
    params = (tokens[pool.token_a], tokens[pool.token_b], pool.fee, a, b, a, b, deployer)
    steps.append(
        PlannedCall(
            f"seed pool {pool.token_a}/{pool.token_b}/{pool.fee}",
            "Router",
            "addLiquidity",
            ((*params, NO_DEADLINE),),
            (Check("totalSupply", on=pool.key),),
        )
    )
    return steps


def _amm_steps(config: SuiteConfig, tokens: Mapping[str, Any]) -> list[Step]:
    steps: list[Step] = [
        PlannedContract("Factory", ("address",), (config.deployer,)),
        PlannedContract("Router", ("address",), (Ref("Factory"),)),
    ]
    for pool in config.venues()[0]:
        a, b = _tokens_of(tokens, pool.key, pool.token_a, pool.token_b)
        steps.append(
            PlannedCall(
                f"create pool {pool.token_a}/{pool.token_b}/{pool.fee}",
                "Factory",
                "createPool",
                (a, b, pool.fee),
                (Check("getPool", (a, b, pool.fee)),),
                creates=pool.key,
            )
        )
        if config.funding is not None and config.funding.seed == pool:
            steps += _seed_steps(config, pool, tokens)
    return steps


def _book_steps(config: SuiteConfig, tokens: Mapping[str, Any]) -> list[Step]:
    deployer = config.deployer
    taker, maker = config.book_taker_fee_ppm, config.book_maker_fee_ppm
    steps: list[Step] = [
        PlannedContract(
            "BookFactory",
            ("address", "address", "uint24", "int24"),
            (deployer, deployer, BOOK_TAKER_FEE_PPM, BOOK_MAKER_FEE_PPM),
        )
    ]
    if (taker, maker) != (BOOK_TAKER_FEE_PPM, BOOK_MAKER_FEE_PPM):
        steps.append(
            PlannedCall(
                "set the book fees (ppm)",
                "BookFactory",
                "setFees",
                (taker, maker),
                (Check("takerFeePpm", (), taker), Check("makerFeePpm", (), maker)),
            )
        )
    if not _same_address(config.fee_recipient, deployer):
        steps.append(
            PlannedCall(
                "set the books' fee recipient",
                "BookFactory",
                "setFeeRecipient",
                (config.fee_recipient,),
                (Check("feeRecipient", (), config.fee_recipient),),
            )
        )
    for market in config.venues()[1]:
        base, quote = _tokens_of(tokens, market.key, market.base, market.quote)
        grid = (market.tick_size, market.lot_size, market.min_lots)
        steps.append(
            PlannedCall(
                f"create book {market.base}/{market.quote}",
                "BookFactory",
                "createBook",
                (base, quote, *grid),
                (Check("bookOf", (Computed(market_id, (base, quote, *grid)),)),),
                creates=market.key,
            )
        )
    return steps


def _tokens_of(tokens: Mapping[str, Any], what: str, *symbols: str) -> tuple[Any, ...]:
    missing = [s for s in symbols if s not in tokens]
    if missing:
        known = ", ".join(sorted(tokens)) or "none"
        raise PlanError(
            f"{what} needs token(s) {', '.join(missing)}, which the config does not have "
            f"(tokens: {known}); add them (`--token SYMBOL=0x...`) or drop the {what}"
        )
    return tuple(tokens[s] for s in symbols)


def _final_steps(config: SuiteConfig) -> list[Step]:
    factories = (Ref("Factory"), Ref("BookFactory"))
    steps: list[Step] = [
        PlannedContract("HybridRouter", ("address", "address"), factories),
        PlannedCall(
            "set the liquidity sources",
            "Settlement",
            "setLiquiditySources",
            factories,
            (Check("ammFactory", (), factories[0]), Check("bookFactory", (), factories[1])),
        ),
    ]
    owner = config.owner
    if _same_address(owner, config.deployer):
        return steps
    return steps + [
        PlannedCall(
            f"propose the owner of {name}",
            name,
            "transferOwnership",
            (owner,),
            (Check("pendingOwner", (), owner), Check("owner", (), owner)),
            any_check=True,
        )
        for name in ("Settlement", "Factory", "BookFactory")
    ]


def suite_plan(
    config: SuiteConfig, bytecode_of: Callable[[str], str | bytes] | None = None
) -> SuitePlan:
    """The plan for `config`; `bytecode_of(contract)` gives the deployment bytecode (default:
    the compiled artifacts)."""
    symbols = [t.symbol for t in config.tokens]
    if len(set(symbols)) != len(symbols):
        raise PlanError(f"the config names a token symbol twice: {', '.join(symbols)}")
    if config.funding is not None and config.funding.seed not in config.venues()[0]:
        raise PlanError(f"the seeded {config.funding.seed.key} is not among the plan's pools")
    tokens = {t.symbol: _token_ref(t) for t in config.tokens}
    steps = (
        *_settlement_steps(config),
        *_token_steps(config),
        *_amm_steps(config, tokens),
        *_book_steps(config, tokens),
        *_final_steps(config),
    )
    read = bytecode_of or (lambda name: load_artifact(name).bytecode)
    bytecodes: dict[str, bytes] = {}
    for step in steps:
        if isinstance(step, PlannedContract) and step.contract not in bytecodes:
            code = read(step.contract)
            bytecodes[step.contract] = bytes.fromhex(code[2:]) if isinstance(code, str) else code
    addresses: dict[str, str] = {}
    initcodes: dict[str, bytes] = {}
    if config.placement is Placement.CREATE2:
        for step in steps:
            if isinstance(step, PlannedContract):
                initcodes[step.name] = step.initcode(bytecodes[step.contract], addresses)
                addresses[step.name] = create2_address(initcodes[step.name])
    return SuitePlan(config, steps, bytecodes, initcodes, addresses)
