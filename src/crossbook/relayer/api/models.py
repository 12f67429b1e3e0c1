"""The API's request and response bodies, as the OpenAPI document shows them.

Responses are checked against these models as they leave (FastAPI's `response_model`), so
the document cannot drift from what the relayer sends. The order body is parsed by hand on
the ingest path (`crossbook.relayer.validation`, for speed); `OrderIn` describes the same
rules for the document.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crossbook.order import UINT32_MAX, UINT256_MAX

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
UID_PATTERN = r"^0x[0-9a-fA-F]{64}$"
HEX_PATTERN = r"^0x([0-9a-fA-F]{2})*$"
#: the largest batch id: batches.id is a 32-bit integer column
MAX_BATCH_ID = 2**31 - 1

Address = Annotated[
    str,
    Field(
        pattern=ADDRESS_PATTERN,
        description="0x and 40 hex digits; mixed case must be a valid EIP-55 checksum",
        examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
    ),
]
OrderUid = Annotated[
    str,
    Field(
        pattern=UID_PATTERN,
        description="the order's EIP-712 digest: 0x and 64 hex digits",
    ),
]
DecimalAmount = Annotated[
    str,
    Field(pattern=r"^[0-9]+$", description="a uint256 as a string of decimal digits"),
]
HexBytes = Annotated[str, Field(pattern=HEX_PATTERN, description="0x and hex bytes")]
SigningSchemeName = Literal["eip712", "eip1271", "presign"]
OrderStatusName = Literal["open", "pending", "filled", "cancelled", "expired", "invalid"]


# The order body's numbers: a JSON integer or a string of decimal digits (docs/orders.md).
# strict ints: a string is only ever read as the str branch, with its pattern and length
Uint256 = Annotated[
    Annotated[int, Field(strict=True, ge=0, le=UINT256_MAX)]
    | Annotated[str, Field(pattern=r"^[0-9]+$", max_length=78)],
    Field(description="a uint256: a JSON integer or decimal digits, at most 2**256 - 1"),
]
NonZeroUint256 = Annotated[
    Annotated[int, Field(strict=True, ge=1, le=UINT256_MAX)]
    | Annotated[str, Field(pattern=r"^0*[1-9][0-9]*$", max_length=78)],
    Field(description="a uint256 above 0: a JSON integer or decimal digits"),
]
Uint32 = Annotated[
    Annotated[int, Field(ge=0, le=UINT32_MAX)]
    | Annotated[str, Field(pattern=r"^0*[0-9]{1,10}$", max_length=78)],
    Field(description="a uint32: a JSON integer or decimal digits, at most 2**32 - 1"),
]
OrderFlags = Annotated[
    Annotated[int, Field(ge=0, le=7)] | Annotated[str, Field(pattern=r"^0*[0-7]$", max_length=78)],
    Field(description="bit 0 partially fillable, bit 1 sell from internal, bit 2 buy to internal"),
]


class OrderIn(BaseModel):
    """A signed order (docs/orders.md): the EIP-712 `Order` fields, the signature and its
    scheme. Beyond this shape the relayer checks the checksums, the token pair, `validTo`
    against its clock, the signature and (for eip1271 and presign, and funds) the chain."""

    model_config = ConfigDict(extra="forbid")

    owner: Address
    receiver: Annotated[Address, Field(description="who receives; the zero address: the owner")]
    sellToken: Address
    buyToken: Address
    sellAmount: NonZeroUint256
    buyAmount: NonZeroUint256
    feeAmount: Uint256
    validTo: Annotated[Uint32, Field(description="unix seconds, at least MIN_VALID_FOR_S ahead")]
    nonce: Uint256
    flags: OrderFlags
    signature: Annotated[
        str,
        Field(
            pattern=HEX_PATTERN,
            description="eip712: 65 bytes r, s, v (low s); eip1271: the wallet's; presign: 0x",
        ),
    ]
    signingScheme: SigningSchemeName = "eip712"


class OrderPosted(BaseModel):
    """An accepted order: `created` is false when it was already stored (idempotent)."""

    uid: OrderUid
    created: bool


class CancellationIn(BaseModel):
    """An EIP-712 `OrderCancellation(bytes32 orderUid)` signature by the order's owner."""

    signature: HexBytes


class OrderOut(BaseModel):
    uid: OrderUid
    owner: Address
    receiver: Address
    sellToken: Address
    buyToken: Address
    sellAmount: DecimalAmount
    buyAmount: DecimalAmount
    feeAmount: DecimalAmount
    validTo: int
    nonce: DecimalAmount
    flags: int
    signingScheme: SigningSchemeName
    signature: HexBytes
    market: str
    status: OrderStatusName
    executedSellAmount: DecimalAmount
    executedBuyAmount: DecimalAmount
    executedFeeAmount: DecimalAmount
    reason: str | None
    createdAt: float = Field(description="unix seconds")


class OrderStatusOut(BaseModel):
    uid: OrderUid
    status: OrderStatusName
    executedSellAmount: DecimalAmount
    executedBuyAmount: DecimalAmount
    reason: str | None


class MarketOut(BaseModel):
    market: str = Field(examples=["WETH-USDC"])
    base: Address
    quote: Address
    baseSymbol: str | None
    quoteSymbol: str | None
    baseDecimals: int | None = Field(description="the token's decimals(); null: not read")
    quoteDecimals: int | None = Field(description="the token's decimals(); null: not read")


class DepthLevelOut(BaseModel):
    price: str = Field(description='quote per base, an exact fraction "num/den"')
    priceApprox: float
    baseAmount: DecimalAmount
    quoteAmount: DecimalAmount
    orders: int


class BookOut(BaseModel):
    market: str
    bids: list[DepthLevelOut]
    asks: list[DepthLevelOut]


class PoolOut(BaseModel):
    """The market's deepest AMM pool of ours."""

    fee: int = Field(description="fee tier, basis points")
    reserveBase: DecimalAmount
    reserveQuote: DecimalAmount
    price: str = Field(description='reserveQuote/reserveBase, quote per base, "num/den"')


class OnChainLevelOut(BaseModel):
    price: str = Field(description='quote per base before the taker fee, "num/den"')
    lots: DecimalAmount
    baseAmount: DecimalAmount


class OnChainBookOut(BaseModel):
    """The market's deepest on-chain order book of ours: its top levels, best first."""

    tickSize: DecimalAmount
    lotSize: DecimalAmount
    takerFeePpm: int
    bids: list[OnChainLevelOut]
    asks: list[OnChainLevelOut]


class LiquidityOut(BaseModel):
    market: str
    pool: PoolOut | None = Field(description="null: the market has no pool")
    book: OnChainBookOut | None = Field(description="null: the market has no on-chain book")


class TradeOut(BaseModel):
    orderUid: OrderUid
    owner: Address
    sellToken: Address
    buyToken: Address
    soldAmount: DecimalAmount
    boughtAmount: DecimalAmount
    feeAmount: DecimalAmount
    txHash: str
    logIndex: int
    blockNumber: int
    batchId: int | None


class PoolLegOut(BaseModel):
    """A sale into our AMM pool inside the batch."""

    tokenIn: Address
    tokenOut: Address
    fee: int
    amountIn: DecimalAmount
    minAmountOut: DecimalAmount


class BookLegOut(BaseModel):
    """A market order on our on-chain book inside the batch (side 0 buys base)."""

    base: Address
    quote: Address
    tickSize: DecimalAmount
    lotSize: DecimalAmount
    minLots: DecimalAmount
    feePpm: int
    side: int
    limitTick: int
    lots: DecimalAmount
    maxSteps: int
    amountIn: DecimalAmount
    minAmountOut: DecimalAmount


class FillOut(BaseModel):
    orderUid: OrderUid
    executedSellAmount: DecimalAmount


class BatchOut(BaseModel):
    id: int
    market: str
    status: str
    tokens: list[Address]
    clearingPrices: list[DecimalAmount]
    clearingPrice: str = Field(description='quote per base, "num/den"')
    poolLegs: list[PoolLegOut]
    bookLegs: list[BookLegOut]
    txHashes: list[str]
    minedTx: str | None
    blockNumber: int | None
    gasUsed: int | None
    reason: str | None
    fills: list[FillOut]


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    chainId: int
    settlement: Address = Field(description="the EIP-712 verifyingContract orders are signed for")
    orders: dict[str, int] | None = Field(None, description="orders by status")
    database: str | None = Field(None, description="the error, when the database is down")
    worker: Literal["stopped"] | None = None


class TypedDataMember(BaseModel):
    name: str
    type: str


class Eip712DomainOut(BaseModel):
    name: str
    version: str
    chainId: int
    verifyingContract: Address


class PermitSigningOut(BaseModel):
    """What a wallet signs an EIP-2612 permit with, for POST /v1/permits."""

    spender: Address = Field(description="the permit's spender: the settlement contract")
    types: dict[str, list[TypedDataMember]] = Field(
        description="EIP712Domain and Permit, members in type-string order"
    )
    domains: dict[str, Eip712DomainOut] = Field(
        description="token address -> its permit domain, for the traded tokens that have one"
    )


class SigningOut(BaseModel):
    """What a wallet signs with: the `domain` and `types` of `eth_signTypedData_v4` for an
    `Order` and an `OrderCancellation`, the chain a wallet must be on, and the permits the
    relayer pays for."""

    domain: Eip712DomainOut
    types: dict[str, list[TypedDataMember]] = Field(
        description="EIP712Domain, Order and OrderCancellation, members in type-string order"
    )
    chainId: int
    rpcUrl: str | None = Field(
        description="an RPC URL a wallet may add the chain with (wallet_addEthereumChain); "
        "null: none is offered"
    )
    permit: PermitSigningOut | None = Field(
        description="EIP-2612 permits the relayer submits and pays for (POST /v1/permits); "
        "null: none are offered"
    )


class PermitIn(BaseModel):
    """An EIP-2612 permit of `token` signed by `owner` for the settlement contract (the
    spender): `Permit(owner, spender, value, nonce, deadline)` in the token's domain
    (GET /v1/signing, `permit`)."""

    model_config = ConfigDict(extra="forbid")

    owner: Address
    token: Address
    value: NonZeroUint256
    nonce: Annotated[Uint256, Field(description="the token's nonces(owner) when signed")]
    deadline: Annotated[
        int,
        Field(
            strict=True,
            ge=0,
            le=UINT256_MAX,
            description="unix seconds (a JSON integer), at least MIN_VALID_FOR_S ahead",
        ),
    ]
    signature: Annotated[str, Field(pattern=HEX_PATTERN, description="65 bytes r, s, v (low s)")]


class PermitOut(BaseModel):
    """A sponsored permit: `txHash` null when the allowance already covered `value`."""

    txHash: HexBytes | None
    allowance: DecimalAmount = Field(description="the settlement contract's allowance now")
