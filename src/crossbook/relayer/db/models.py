"""Storage tables. uint256 values are stored as decimal strings: SQLite has no exact 256-bit
number type, and the relayer does its arithmetic in Python integers anyway."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

U256 = String(78)
ADDRESS = String(42)


class Base(DeclarativeBase):
    pass


class OrderStatus:
    OPEN = "open"  # matchable
    PENDING = "pending"  # in a batch that is planned or on its way on chain
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    INVALID = "invalid"  # dropped: the chain refused it (simulation) or funds went missing

    FINAL = frozenset({FILLED, CANCELLED, EXPIRED, INVALID})


class OrderRow(Base):
    __tablename__ = "orders"

    uid: Mapped[str] = mapped_column(String(66), primary_key=True)
    owner: Mapped[str] = mapped_column(ADDRESS)
    receiver: Mapped[str] = mapped_column(ADDRESS)
    sell_token: Mapped[str] = mapped_column(ADDRESS)
    buy_token: Mapped[str] = mapped_column(ADDRESS)
    sell_amount: Mapped[str] = mapped_column(U256)
    buy_amount: Mapped[str] = mapped_column(U256)
    fee_amount: Mapped[str] = mapped_column(U256)
    valid_to: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(U256)
    flags: Mapped[int] = mapped_column(Integer)
    signing_scheme: Mapped[int] = mapped_column(Integer)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    market: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    executed_sell: Mapped[str] = mapped_column(U256, default="0")
    executed_buy: Mapped[str] = mapped_column(U256, default="0")
    executed_fee: Mapped[str] = mapped_column(U256, default="0")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    seq: Mapped[int] = mapped_column(BigInteger)  # arrival order: time priority

    __table_args__ = (
        Index("ix_orders_owner_status", "owner", "status"),
        Index("ix_orders_market_status", "market", "status"),
        Index("ix_orders_status", "status"),
    )


class BatchStatus:
    PLANNED = "planned"  # persisted, not yet broadcast
    SUBMITTED = "submitted"  # signed and broadcast; tx hashes recorded
    MINED = "mined"  # receipt seen, waiting for the confirmation depth
    FINAL = "final"  # confirmed; fills reconciled from Trade events
    FAILED = "failed"  # reverted or abandoned; its orders went back to open

    ACTIVE = frozenset({PLANNED, SUBMITTED, MINED})


class BatchRow(Base):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    market: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)
    tokens: Mapped[str] = mapped_column(Text)  # JSON list of addresses
    prices: Mapped[str] = mapped_column(Text)  # JSON list of decimal strings
    clearing_price: Mapped[str] = mapped_column(Text)  # quote per base, "num/den"
    #: JSON list of AMM pool legs: {tokenIn, tokenOut, fee, amountIn, minAmountOut}
    legs: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    tx_nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tx_hashes: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, newest last
    raw_tx: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    max_fee: Mapped[str | None] = mapped_column(U256, nullable=True)
    priority_fee: Mapped[str | None] = mapped_column(U256, nullable=True)
    mined_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    block_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    submitted_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class BatchOrderRow(Base):
    __tablename__ = "batch_orders"

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    order_uid: Mapped[str] = mapped_column(ForeignKey("orders.uid"), primary_key=True)
    executed_sell: Mapped[str] = mapped_column(U256)

    __table_args__ = (Index("ix_batch_orders_order", "order_uid"),)


class TradeRow(Base):
    """One `Trade` event of the settlement contract (the chain's record of a fill)."""

    __tablename__ = "trades"

    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_uid: Mapped[str] = mapped_column(String(66), index=True)
    batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner: Mapped[str] = mapped_column(ADDRESS, index=True)
    sell_token: Mapped[str] = mapped_column(ADDRESS)
    buy_token: Mapped[str] = mapped_column(ADDRESS)
    sold: Mapped[str] = mapped_column(U256)
    bought: Mapped[str] = mapped_column(U256)
    fee: Mapped[str] = mapped_column(U256)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[float] = mapped_column(Float)


class ChainCursorRow(Base):
    """How far the event follower has applied the settlement contract's logs: the last block
    applied and its hash (a different hash at that height later means a reorg under it)."""

    __tablename__ = "chain_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)


class ChainCancellationRow(Base):
    """An order the event follower cancelled because of an on-chain event, with the event's
    place on chain: a rewind past that block (a reorg) reopens the order, and applying the
    same event again finds the row and changes nothing."""

    __tablename__ = "chain_cancellations"

    order_uid: Mapped[str] = mapped_column(String(66), primary_key=True)
    #: "order" (OrderCancelled), "nonce" (NonceInvalidated), "floor" (NonceFloorRaised),
    #: "presign" (PreSignatureSet revoked)
    kind: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[float] = mapped_column(Float)
