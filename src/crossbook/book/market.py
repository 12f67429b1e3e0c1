"""Market parameters and the price grid: lots, ticks and token amounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from crossbook.errors import InvalidOrder

MAX_TICK = 2**16 - 1
MAX_ORDER_LOTS = 2**32 - 1


class Side(IntEnum):
    """Bid buys base with quote; Ask sells base. The same numbering as `IOrderBook.Side`."""

    BID = 0
    ASK = 1


class Kind(IntEnum):
    """`IOrderBook.OrderKind`."""

    GTC = 0
    POST_ONLY = 1
    IOC = 2
    FOK = 3


@dataclass(frozen=True)
class MarketSpec:
    """One book's grid: a lot is `lot_size` base units; a lot at tick `t` costs `t * tick_size`
    quote units. Human prices are quote tokens per whole base token."""

    symbol: str  # "WETH/USDC"
    base: str
    quote: str
    base_decimals: int
    quote_decimals: int
    tick_size: int
    lot_size: int
    min_lots: int

    def price_per_lot(self, tick: int) -> int:
        check_tick(tick)
        return tick * self.tick_size

    def human_price(self, tick: int) -> Decimal:
        """Quote tokens per whole base token at `tick`."""
        per_lot = Decimal(self.price_per_lot(tick)) / Decimal(10**self.quote_decimals)
        return per_lot * Decimal(10**self.base_decimals) / Decimal(self.lot_size)

    def tick_for(self, price: Decimal) -> int:
        """The tick of a human price; it must lie on the grid exactly."""
        per_lot = price * Decimal(10**self.quote_decimals) * self.lot_size
        units = per_lot / Decimal(10**self.base_decimals)
        tick = units / self.tick_size
        if tick != tick.to_integral_value():
            step = self.human_price(1)
            raise InvalidOrder(f"price {price} is not on the {self.symbol} grid (step {step})")
        result = int(tick)
        check_tick(result)
        return result

    def lots_of(self, base_amount: Decimal) -> int:
        """Whole lots in a human base amount; it must be a multiple of the lot."""
        units = base_amount * Decimal(10**self.base_decimals)
        lots = units / self.lot_size
        if lots != lots.to_integral_value():
            raise InvalidOrder(
                f"{base_amount} is not a whole number of {self.symbol} lots "
                f"({Decimal(self.lot_size) / Decimal(10**self.base_decimals)} base each)"
            )
        return int(lots)

    def human_base(self, lots: int) -> Decimal:
        return Decimal(lots * self.lot_size) / Decimal(10**self.base_decimals)


def check_tick(tick: int) -> None:
    if not 1 <= tick <= MAX_TICK:
        raise InvalidOrder(f"tick {tick} is outside 1..{MAX_TICK}")


def check_lots(lots: int, *, resting: bool, min_lots: int) -> None:
    if not 1 <= lots <= MAX_ORDER_LOTS:
        raise InvalidOrder(f"lots {lots} is outside 1..{MAX_ORDER_LOTS}")
    if resting and lots < min_lots:
        raise InvalidOrder(f"a resting order needs at least {min_lots} lots, got {lots}")


def order_id(side: Side, tick: int, index: int) -> int:
    """`OrderId`: `side << 48 | tick << 32 | index`."""
    return (int(side) << 48) | (tick << 32) | index


def split_order_id(oid: int) -> tuple[Side, int, int]:
    return Side(oid >> 48), (oid >> 32) & 0xFFFF, oid & 0xFFFFFFFF
