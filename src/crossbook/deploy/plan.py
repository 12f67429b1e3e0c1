"""The suite plan: every contract of a deployment and every call that wires them, in order.

`suite_plan(config)` is what the devnet harness, `crossbook deploy` and `ape run deploy` all
execute (`crossbook.deploy.execute`):

1. the contracts, each at its CREATE2 address: the config's mock tokens (devnets only), then
   Settlement, the AMM Factory and Router, the BookFactory and the HybridRouter;
2. the calls that wire them: the relayer allow-list, guardian and fee recipient of Settlement,
   its liquidity sources (the two factories, which `settleWithLiquidity` trades against), the
   book fees and fee recipient of the BookFactory, the config's pools and books, and, for an
   owner other than the deployer, the proposed (two-step) ownership transfers.

Constructors take the deployer and fixed defaults only; every role and fee is set by a call.
So the addresses depend on the deployer and the code alone, and changing a role later is one
more call, never a second suite. Each call names the views that show its effect on chain
(`Check`): an executor skips what is already done, so a re-run sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address

from crossbook.artifacts import load_artifact
from crossbook.book.client import book_key
from crossbook.deploy.create2 import create2_address
from crossbook.errors import DeploymentError
from crossbook.hashing import keccak


class PlanError(DeploymentError, ValueError):
    """A suite config that cannot be planned: a pool or market names a token it lacks."""


# ----------------------------------------------------------------------------- config


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
    """An argument that is the address of a contract of the plan, by its plan name."""

    name: str


class _NonZero:
    def __repr__(self) -> str:
        return "NONZERO"


#: `Check.expect` for a view that answers an address: any but the zero address.
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
        args = [
            (addresses or {})[a.name] if isinstance(a, Ref) else a for a in self.constructor_args
        ]
        return code + encode(list(self.constructor_types), args)


@dataclass(frozen=True)
class Check:
    """A view of the called contract whose answer shows the call's effect is on chain."""

    function: str
    args: tuple[Any, ...] = ()
    expect: Any = NONZERO


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
    return str(value)


Step = PlannedContract | PlannedCall


@dataclass(frozen=True)
class SuitePlan:
    """The planned contracts (with their init code and CREATE2 address) and calls."""

    config: SuiteConfig
    contracts: tuple[PlannedContract, ...]
    calls: tuple[PlannedCall, ...]
    initcodes: Mapping[str, bytes] = field(repr=False)
    addresses: Mapping[str, str]

    @property
    def steps(self) -> tuple[Step, ...]:
        return (*self.contracts, *self.calls)

    def contract(self, name: str) -> PlannedContract:
        return next(c for c in self.contracts if c.name == name)

    def resolve(self, value: Any) -> Any:
        """`value`, with a `Ref` replaced by the planned address."""
        return self.addresses[value.name] if isinstance(value, Ref) else value

    def token_addresses(self) -> dict[str, str]:
        return {t.symbol: _token_address(t, self.addresses) for t in self.config.tokens}


def _token_address(token: MockToken | ExistingToken, addresses: Mapping[str, str]) -> str:
    if isinstance(token, ExistingToken):
        return to_checksum_address(token.address)
    return addresses[token_key(token.symbol)]


def token_key(symbol: str) -> str:
    """The manifest entry of a token the plan deploys, e.g. ``token:WETH``."""
    return f"token:{symbol}"


def market_id(base: str, quote: str, tick_size: int, lot_size: int, min_lots: int) -> bytes:
    """`BookFactory.marketId`: the hash of the market's parameters."""
    types = ["address", "address", "uint256", "uint256", "uint256"]
    return keccak(encode(types, [base, quote, tick_size, lot_size, min_lots]))


# ------------------------------------------------------------------------------ plan


def _contracts(config: SuiteConfig) -> list[PlannedContract]:
    deployer = config.deployer
    tokens = [
        PlannedContract(
            token_key(t.symbol),
            ("string", "string", "uint8"),
            (t.name, t.symbol, t.decimals),
            artifact="MockERC20",
        )
        for t in config.tokens
        if isinstance(t, MockToken)
    ]
    return [
        *tokens,
        PlannedContract("Settlement", ("address", "address"), (deployer, deployer)),
        PlannedContract("Factory", ("address",), (deployer,)),
        PlannedContract("Router", ("address",), (Ref("Factory"),)),
        PlannedContract(
            "BookFactory",
            ("address", "address", "uint24", "int24"),
            (deployer, deployer, BOOK_TAKER_FEE_PPM, BOOK_MAKER_FEE_PPM),
        ),
        PlannedContract(
            "HybridRouter", ("address", "address"), (Ref("Factory"), Ref("BookFactory"))
        ),
    ]


def _settlement_calls(config: SuiteConfig) -> list[PlannedCall]:
    calls = [
        PlannedCall(
            "allow-list a relayer",
            "Settlement",
            "setRelayer",
            (relayer, True),
            (Check("isRelayer", (relayer,), True),),
        )
        for relayer in config.relayers
    ]
    factories = (Ref("Factory"), Ref("BookFactory"))
    return [
        *calls,
        PlannedCall(
            "set the guardian",
            "Settlement",
            "setGuardian",
            (config.guardian,),
            (Check("guardian", (), config.guardian),),
        ),
        PlannedCall(
            "set the settlement's fee recipient",
            "Settlement",
            "setFeeRecipient",
            (config.fee_recipient,),
            (Check("feeRecipient", (), config.fee_recipient),),
        ),
        PlannedCall(
            "set the liquidity sources",
            "Settlement",
            "setLiquiditySources",
            factories,
            (Check("ammFactory", (), factories[0]), Check("bookFactory", (), factories[1])),
        ),
    ]


def _venue_calls(config: SuiteConfig, tokens: Mapping[str, str]) -> list[PlannedCall]:
    taker, maker = config.book_taker_fee_ppm, config.book_maker_fee_ppm
    calls = [
        PlannedCall(
            "set the book fees (ppm)",
            "BookFactory",
            "setFees",
            (taker, maker),
            (Check("takerFeePpm", (), taker), Check("makerFeePpm", (), maker)),
        ),
        PlannedCall(
            "set the books' fee recipient",
            "BookFactory",
            "setFeeRecipient",
            (config.fee_recipient,),
            (Check("feeRecipient", (), config.fee_recipient),),
        ),
    ]
    pools, markets = config.venues()
    for pool in pools:
        a, b = _tokens_of(tokens, pool.key, pool.token_a, pool.token_b)
        calls.append(
            PlannedCall(
                f"create pool {pool.token_a}/{pool.token_b}/{pool.fee}",
                "Factory",
                "createPool",
                (a, b, pool.fee),
                (Check("getPool", (a, b, pool.fee)),),
                creates=pool.key,
            )
        )
    for market in markets:
        base, quote = _tokens_of(tokens, market.key, market.base, market.quote)
        grid = (market.tick_size, market.lot_size, market.min_lots)
        calls.append(
            PlannedCall(
                f"create book {market.base}/{market.quote}",
                "BookFactory",
                "createBook",
                (base, quote, *grid),
                (Check("bookOf", (market_id(base, quote, *grid),)),),
                creates=market.key,
            )
        )
    return calls


def _tokens_of(tokens: Mapping[str, str], what: str, *symbols: str) -> tuple[str, ...]:
    missing = [s for s in symbols if s not in tokens]
    if missing:
        known = ", ".join(sorted(tokens)) or "none"
        raise PlanError(
            f"{what} needs token(s) {', '.join(missing)}, which the config does not have "
            f"(tokens: {known}); add them (`--token SYMBOL=0x...`) or drop the {what}"
        )
    return tuple(tokens[s] for s in symbols)


def _ownership_calls(config: SuiteConfig) -> list[PlannedCall]:
    owner = config.owner
    if to_checksum_address(owner) == to_checksum_address(config.deployer):
        return []
    return [
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
    bytecode = bytecode_of or (lambda name: load_artifact(name).bytecode)
    symbols = [t.symbol for t in config.tokens]
    if len(set(symbols)) != len(symbols):
        raise PlanError(f"the config names a token symbol twice: {', '.join(symbols)}")
    contracts = _contracts(config)
    addresses: dict[str, str] = {}
    initcodes: dict[str, bytes] = {}
    for planned in contracts:
        initcodes[planned.name] = planned.initcode(bytecode(planned.contract), addresses)
        addresses[planned.name] = create2_address(initcodes[planned.name])
    tokens = {t.symbol: _token_address(t, addresses) for t in config.tokens}
    calls = [
        *_settlement_calls(config),
        *_venue_calls(config, tokens),
        *_ownership_calls(config),
    ]
    return SuitePlan(config, tuple(contracts), tuple(calls), initcodes, addresses)
