"""Wiring: settings -> chain, manifest, database (migrated), validator, worker, app; and
`run`, which serves the API with uvicorn beside the worker and shuts down gracefully
(SIGTERM/SIGINT: stop accepting, drain in-flight batches, then exit)."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from web3 import Web3

from crossbook.chain import contract_abi, contract_at, web3_for
from crossbook.manifest import read_manifest
from crossbook.order import Domain
from crossbook.relayer.api import create_app
from crossbook.relayer.book_quotes import BookQuotes
from crossbook.relayer.chain import Web3Chain
from crossbook.relayer.context import RelayerContext
from crossbook.relayer.db import create_db_engine, migrate
from crossbook.relayer.liquidity import LiquidityReader
from crossbook.relayer.lock import SubmitterLock
from crossbook.relayer.matching import markets_for
from crossbook.relayer.permits import PermitSponsor
from crossbook.relayer.pool_quotes import PoolQuotes
from crossbook.relayer.reconcile import EventFollower
from crossbook.relayer.settings import (
    RelayerSettings,
    load_permit_sponsor_key,
    load_relayer_key,
)
from crossbook.relayer.store import Store
from crossbook.relayer.submitter import BatchWorker
from crossbook.relayer.validation import OrderValidator

log = logging.getLogger("crossbook.relayer")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (+ exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@dataclass
class Relayer:
    settings: RelayerSettings
    ctx: RelayerContext
    app: ASGIApp


def genesis_hash(w3: Web3) -> str:
    """The hash of the node's block 0: with the chain id, the chain's identity."""
    return "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()


def build(settings: RelayerSettings) -> Relayer:
    w3 = web3_for(settings.rpc_url, timeout=30)
    chain_id = settings.chain_id or int(w3.eth.chain_id)
    key = load_relayer_key(settings, chain_id)  # refuses devnet keys on a real chain, early
    tokens: list[tuple[str, str]]
    deployment_block: int | None = None
    if settings.settlement_address and settings.tokens:
        settlement_address = settings.settlement_address
        tokens = list(settings.tokens.items())
    else:
        manifest = read_manifest(chain_id, settings.manifest_dir)
        settlement_address = settings.settlement_address or manifest.address("Settlement")
        if settlement_address.lower() == manifest.address("Settlement").lower():
            deployment_block = manifest.contracts["Settlement"].block
        tokens = list(settings.tokens.items()) or [
            (symbol, info.address) for symbol, info in manifest.tokens.items()
        ]
    tokens = [(s, Web3.to_checksum_address(a)) for s, a in tokens]
    domain = Domain(chain_id=chain_id, verifying_contract=settlement_address)
    engine = create_db_engine(settings.database_for(chain_id, genesis_hash(w3), settlement_address))
    migrate(engine)
    store = Store(engine)
    markets = markets_for(tokens)
    chain = Web3Chain(w3, settlement_address, ttl=settings.balance_cache_s)
    validator = OrderValidator(
        domain,
        markets,
        chain,
        min_valid_for_s=settings.min_valid_for_s,
        check_balances=settings.check_balances,
    )
    settlement = w3.eth.contract(
        address=Web3.to_checksum_address(settlement_address), abi=contract_abi("Settlement")
    )
    ctx = RelayerContext(
        settings=settings,
        domain=domain,
        markets=markets,
        symbols={a: s for s, a in tokens},
        store=store,
        validator=validator,
        liquidity=LiquidityReader(PoolQuotes(w3, settlement), BookQuotes(w3, settlement)),
        decimals={
            a: int(contract_at(w3, "MockERC20", a).functions.decimals().call()) for _, a in tokens
        },
    )
    sponsor_key = load_permit_sponsor_key(settings, chain_id, key)
    if sponsor_key is not None:
        ctx.permits = PermitSponsor(
            w3,
            sponsor_key,
            settlement_address,
            [a for _, a in tokens],
            min_valid_for_s=settings.min_valid_for_s,
            per_owner_per_hour=settings.permits_per_owner_per_hour,
        )
    if settings.run_worker:
        follower = (
            EventFollower(ctx, w3, settlement_address, deployment_block)
            if settings.reconcile_events
            else None
        )
        ctx.worker = BatchWorker(
            ctx, w3, settlement, key, SubmitterLock(engine, settings.lock_file), follower
        )
    log.info(
        "relayer for chain %d, settlement %s, markets %s, database %s, permits %s",
        chain_id,
        settlement_address,
        [m.name for m in markets],
        engine.url.render_as_string(),
        f"paid by {ctx.permits.address}" if ctx.permits else "not offered",
    )
    return Relayer(settings, ctx, create_app(ctx))


def run(settings: RelayerSettings) -> None:
    if settings.workers > 1:
        _run_workers(settings)
        return
    relayer = build(settings)
    config = uvicorn.Config(
        relayer.app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our JSON logging
        access_log=False,
        timeout_graceful_shutdown=int(settings.drain_timeout_s) + 5,
    )
    uvicorn.Server(config).run()


_WORKER_SETTINGS_ENV = "CROSSBOOK_WORKER_SETTINGS_JSON"
_WORKER_LOG_LEVEL_ENV = "CROSSBOOK_WORKER_LOG_LEVEL"


def _settings_json(settings: RelayerSettings) -> str:
    values = settings.model_dump()
    for name in ("relayer_key", "permit_sponsor_key"):  # model_dump keeps SecretStr; JSON
        secret = getattr(settings, name)  # would mask it
        if secret is not None:
            values[name] = secret.get_secret_value()
    return json.dumps(values, default=str)


def _run_workers(settings: RelayerSettings) -> None:
    """`settings.workers` uvicorn processes on one socket. The checks that can fail (node,
    key, schema) run once here, before any worker starts, so a misconfiguration is one clear
    error instead of N crashing children; the workers build their own relayer (engines,
    web3 sessions and threads must not cross a fork)."""
    w3 = web3_for(settings.rpc_url, timeout=30)
    chain_id = settings.chain_id or int(w3.eth.chain_id)
    load_permit_sponsor_key(settings, chain_id, load_relayer_key(settings, chain_id))
    settlement = settings.settlement_address or read_manifest(
        chain_id, settings.manifest_dir
    ).address("Settlement")
    database = settings.database_for(chain_id, genesis_hash(w3), settlement)
    settings = settings.model_copy(update={"database_url": database})
    engine = create_db_engine(settings.database_url or "")
    migrate(engine)
    engine.dispose()
    os.environ[_WORKER_SETTINGS_ENV] = _settings_json(settings)
    os.environ[_WORKER_LOG_LEVEL_ENV] = str(logging.getLogger().level)
    uvicorn.run(
        "crossbook.relayer.service:worker_app",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.drain_timeout_s) + 5,
    )


def worker_app() -> ASGIApp:
    """The app of one uvicorn worker process (`CROSSBOOK_WORKERS` > 1)."""
    configure_logging(int(os.environ.get(_WORKER_LOG_LEVEL_ENV, logging.INFO)))
    settings = RelayerSettings.model_validate(json.loads(os.environ[_WORKER_SETTINGS_ENV]))
    return build(settings).app
