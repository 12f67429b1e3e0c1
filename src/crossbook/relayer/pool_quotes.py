"""What the router knows about our AMM pools: a market's pool quote (fee tier and reserves),
read from the factory the settlement contract routes pool legs into."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3
from web3.contract import Contract

from crossbook.chain import contract_abi
from crossbook.relayer.matching import Market


@dataclass(frozen=True, slots=True)
class PoolQuote:
    """What the router knows about one pool of a market: its fee tier and reserves."""

    fee: int  # bps
    reserve_base: int
    reserve_quote: int


_FEE_TIERS = (5, 30, 100)  # the factory's fee tiers (bps), shallowest fee first


class PoolQuotes:
    """Reads our AMM pools' reserves for the router: the factory the settlement contract
    routes legs into (`Settlement.ammFactory`), the deepest pool of a market over the fee
    tiers; addresses cached, reserves read fresh on every call."""

    def __init__(self, w3: Web3, settlement: Contract) -> None:
        self.w3 = w3
        self.settlement = settlement
        self._factory: Contract | None = None
        self._pools: dict[tuple[str, str], list[tuple[int, Contract, str]]] = {}

    def _factory_contract(self) -> Contract | None:
        if self._factory is None:
            address = str(self.settlement.functions.ammFactory().call())
            if int(address, 16) == 0:
                return None  # no liquidity sources set: nothing to route into
            self._factory = self.w3.eth.contract(
                address=Web3.to_checksum_address(address), abi=contract_abi("Factory")
            )
        return self._factory

    def quote(self, market: Market) -> PoolQuote | None:
        factory = self._factory_contract()
        if factory is None:
            return None
        key = (market.base, market.quote)
        if key not in self._pools:
            pools = []
            for fee in _FEE_TIERS:
                address = str(factory.functions.getPool(market.base, market.quote, fee).call())
                if int(address, 16) == 0:
                    continue
                pool = self.w3.eth.contract(
                    address=Web3.to_checksum_address(address), abi=contract_abi("Pool")
                )
                pools.append((fee, pool, str(pool.functions.token0().call())))
            self._pools[key] = pools  # a pool created later is seen after a restart
        best: PoolQuote | None = None
        for fee, pool, token0 in self._pools[key]:
            r0, r1, _ = pool.functions.getReserves().call()
            base_first = token0.lower() == market.base.lower()
            quote = PoolQuote(fee, int(r0 if base_first else r1), int(r1 if base_first else r0))
            if best is None or quote.reserve_quote > best.reserve_quote:
                best = quote
        return best
