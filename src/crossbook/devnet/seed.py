"""Fill a devnet with activity: tokens for the dev accounts, liquidity in every pool, a ladder of
resting orders on each on-chain book and (given a relayer) on the relayer's book.

Used by `ape run seed` (scripts/seed.py). Devnet only: it mints mock tokens (anyone can on a
devnet) and sends from the node's unlocked dev accounts. Every ladder rests around a reference
price (quote per base) without crossing, so nothing trades until a taker comes.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from web3 import Web3

from crossbook.amm.client import AmmClient
from crossbook.amm.errors import PoolExists
from crossbook.book import BookClient, Kind, Side
from crossbook.chain import MAX_UINT, connect, contract_at, wait_for_receipt
from crossbook.devnet.accounts import DevAccount
from crossbook.errors import CrossbookError
from crossbook.manifest import Manifest

log = logging.getLogger(__name__)

#: Reference prices in USD per whole token; pools and ladders are built around them.
USD_PRICES = {"WETH": Decimal(2000), "USDC": Decimal(1), "DAI": Decimal(1)}
#: Pools: (token A, token B, fee tier bps, USD worth of each side).
POOLS = (
    ("WETH", "USDC", 30, Decimal(200_000)),
    ("WETH", "DAI", 30, Decimal(100_000)),
    ("USDC", "DAI", 5, Decimal(500_000)),
)


class SeedError(CrossbookError, RuntimeError):
    """The chain cannot be seeded (not a devnet, tokens missing from the manifest)."""


@dataclass
class SeedReport:
    minted: dict[str, int] = field(default_factory=dict)  # symbol -> whole tokens per account
    pools: list[str] = field(default_factory=list)
    book_orders: list[str] = field(default_factory=list)
    relayer_orders: list[str] = field(default_factory=list)


def seed_devnet(
    rpc_url: str,
    manifest: Manifest,
    accounts: list[DevAccount],
    *,
    maker: DevAccount,
    mint_usd: int = 2_000_000,
    levels: int = 3,
    relayer_url: str | None = None,
    echo: Callable[[str], Any] = print,
) -> SeedReport:
    """Mint `mint_usd` worth of each token to `accounts`, add pool liquidity and rest `levels`
    bids and asks per book from `maker` (an unlocked dev account whose key is known) on the
    node at `rpc_url`."""
    w3, _ = connect(rpc_url)
    report = SeedReport()
    _mint(w3, manifest, accounts, mint_usd, report, echo)
    _pools(w3, manifest, maker.address, report, echo)
    _books(w3, manifest, maker.address, levels, report, echo)
    if relayer_url:
        _relayer_ladder(rpc_url, manifest, maker, levels, relayer_url, report, echo)
    return report


def _mint(
    w3: Web3,
    manifest: Manifest,
    accounts: list[DevAccount],
    usd: int,
    report: SeedReport,
    echo: Callable[[str], Any],
) -> None:
    funder = accounts[0].address
    for symbol, info in manifest.tokens.items():
        units = int(Decimal(usd) / USD_PRICES.get(symbol, Decimal(1)))
        token = contract_at(w3, "MockERC20", info.address)
        for account in accounts:
            tx = token.functions.mint(account.address, units * 10**info.decimals).transact(
                {"from": funder}
            )
            wait_for_receipt(w3, tx, f"minting {symbol}")
        report.minted[symbol] = units
        echo(f"minted {units:,} {symbol} to each of {len(accounts)} accounts")


def _pools(
    w3: Web3, manifest: Manifest, maker: str, report: SeedReport, echo: Callable[[str], Any]
) -> None:
    if "Factory" not in manifest.contracts:
        echo("no AMM Factory in the manifest: pools skipped")
        return
    amm = AmmClient(w3, manifest)
    for sym_a, sym_b, fee, usd in POOLS:
        if sym_a not in manifest.tokens or sym_b not in manifest.tokens:
            continue
        a, b = amm.token(sym_a), amm.token(sym_b)
        with contextlib.suppress(PoolExists):  # seeding again adds to the existing pool
            amm.create_pool(a, b, fee, maker)
        state = amm.pool(a, b, fee)
        amount_a = _units(a.decimals, usd / USD_PRICES[sym_a])
        if state.reserve0 and state.reserve1:  # follow the pool's own ratio
            reserve_a, reserve_b = state.reserves_for(a)
            amount_b = amount_a * reserve_b // reserve_a + 1
        else:
            amount_b = _units(b.decimals, usd / USD_PRICES[sym_b])
        added = amm.add_liquidity(a, b, fee, amount_a, amount_b, maker, slippage_bps=100)
        line = (
            f"pool {sym_a}/{sym_b} {fee} bps: +{a.from_units(added['amount_a']):f} {sym_a}, "
            f"+{b.from_units(added['amount_b']):f} {sym_b}"
        )
        report.pools.append(line)
        echo(line)


def _units(decimals: int, amount: Decimal) -> int:
    """`amount` in base units, cut (not rounded) to the token's decimals."""
    return int(amount.scaleb(decimals))


def _books(
    w3: Web3,
    manifest: Manifest,
    maker: str,
    levels: int,
    report: SeedReport,
    echo: Callable[[str], Any],
) -> None:
    for key in sorted(manifest.contracts):
        if not key.startswith("book:"):
            continue
        symbol = key.removeprefix("book:")
        base_sym, quote_sym = symbol.split("/")
        if base_sym not in USD_PRICES or quote_sym not in USD_PRICES:
            continue
        book = BookClient.from_manifest(w3, manifest, symbol)
        book.approve(maker)
        spec = book.spec
        mid = USD_PRICES[base_sym] / USD_PRICES[quote_sym]
        mid_tick = spec.tick_for(mid)
        step = max(1, mid_tick // 200)  # 0.5% apart
        lots = max(spec.min_lots, spec.lots_of(Decimal("0.5")))
        for i in range(1, levels + 1):
            for side, tick in ((Side.BID, mid_tick - i * step), (Side.ASK, mid_tick + i * step)):
                placed = book.place(maker, side, tick, lots, Kind.GTC)
                line = (
                    f"book {symbol} {side.name.lower()} {spec.human_base(lots)} {base_sym} "
                    f"at {spec.human_price(tick)} {quote_sym} (id {placed.order_id})"
                )
                report.book_orders.append(line)
                echo(line)


def _relayer_ladder(
    rpc_url: str,
    manifest: Manifest,
    maker: DevAccount,
    levels: int,
    relayer_url: str,
    report: SeedReport,
    echo: Callable[[str], Any],
) -> None:
    from crossbook.client import LocalSigner, Wallet

    signer = LocalSigner(maker.private_key)
    with Wallet.connect(
        signer, rpc_url=rpc_url, relayer_url=relayer_url, manifest=manifest
    ) as wallet:
        for market in wallet.relayer.markets():
            base, quote = wallet.token(market["base"]), wallet.token(market["quote"])
            if base.symbol not in USD_PRICES or quote.symbol not in USD_PRICES:
                continue
            mid = USD_PRICES[base.symbol] / USD_PRICES[quote.symbol]
            for row in wallet.balances([base.address, quote.address]):
                if row["allowance"] < MAX_UINT // 2:
                    wallet.approve(row["token"])
            size = Decimal("0.5") if base.symbol == "WETH" else Decimal(500)
            valid_to = int(time.time()) + 86_400
            for i in range(1, levels + 1):
                ask = mid * (1 + Decimal(i) / 100)
                bid = mid * (1 - Decimal(i) / 100)
                asked = wallet.place(
                    base,
                    _q(size, base.decimals),
                    quote,
                    _q(size * ask, quote.decimals),
                    partially_fillable=True,
                    valid_to=valid_to,
                )
                bidded = wallet.place(
                    quote,
                    _q(size * bid, quote.decimals),
                    base,
                    _q(size, base.decimals),
                    partially_fillable=True,
                    valid_to=valid_to,
                )
                for uid, what in ((asked.uid, f"ask {ask:f}"), (bidded.uid, f"bid {bid:f}")):
                    line = f"relayer {market['market']} {what} {size} {base.symbol}: {uid}"
                    report.relayer_orders.append(line)
                    echo(line)


def _q(amount: Decimal, decimals: int) -> str:
    """`amount` cut to the token's decimals, as a string of token units."""
    return str(amount.quantize(Decimal(1).scaleb(-decimals)))
