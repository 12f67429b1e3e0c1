"""Relayer settings from `CROSSBOOK_*` environment variables (or an env file).

Defaults suit a local devnet. The relayer's signing key comes from a secret file, an
eth-account/ape keystore file or (devnet only) the devnet relayer account; a well-known
Anvil key is refused on any chain that is not a devnet.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Final

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from crossbook.errors import CrossbookError

#: Chain ids where the well-known Anvil/Hardhat keys may sign (local devnets only).
DEVNET_CHAIN_IDS: Final = frozenset({31337, 1337})


class RelayerConfigError(CrossbookError, ValueError):
    """A relayer setting is missing or unsafe for the chain it points at."""


def default_data_dir() -> Path:
    """Where the relayer keeps its SQLite database and lock when no database URL is given:
    the user's data directory (`$XDG_DATA_HOME/crossbook`, `~/.local/share/crossbook`;
    `~/Library/Application Support/crossbook` on macOS), never the current folder."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "crossbook"
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".local" / "share") / "crossbook"


class RelayerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSBOOK_", env_file=None, extra="ignore")

    # -- chain
    rpc_url: str = "http://127.0.0.1:8545"
    chain_id: int | None = Field(default=None, description="read from the node when unset")
    settlement_address: str | None = Field(
        default=None, description="read from deployments/<chain-id>.json when unset"
    )
    manifest_dir: Path | None = None
    #: token symbol=address pairs the relayer trades; empty: the manifest's token list
    tokens: dict[str, str] = {}

    # -- key (one of; devnet falls back to the devnet relayer account)
    relayer_key_file: Path | None = None
    relayer_keystore: Path | None = None
    relayer_keystore_password_file: Path | None = None
    relayer_key: SecretStr | None = None
    #: pay the gas of wallets' EIP-2612 permits for the settlement contract (POST /v1/permits),
    #: from a key of its own (one of; devnet falls back to dev account 8). Off, or no key on a
    #: chain that is not a devnet: permits are not offered.
    sponsor_permits: bool = True
    permit_sponsor_key_file: Path | None = None
    permit_sponsor_key: SecretStr | None = None
    #: permits one owner may have sponsored per hour (each costs the sponsor gas)
    permits_per_owner_per_hour: int = Field(default=20, ge=1)

    # -- storage
    #: unset: SQLite at <data_dir>/<chain id>-<genesis hash>/<settlement>/relayer.db
    database_url: str | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    lock_file: Path | None = Field(
        default=None, description="SQLite single-submitter lock (default: <db>.submitter.lock)"
    )

    # -- API
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65_535)
    #: the RPC URL the web page offers a wallet (wallet_addEthereumChain) for this chain; unset:
    #: the page only asks the wallet to switch to a chain it already knows
    public_rpc_url: str | None = None
    #: API processes on one port (uvicorn workers). Each runs the API and stands by for the
    #: submitter lock; see docs/relayer.md for what stays per process.
    workers: int = Field(default=1, ge=1, le=64)
    rate_limit_ip_per_s: float = 200.0
    rate_limit_ip_burst: int = 400
    rate_limit_owner_per_s: float = 50.0
    rate_limit_owner_burst: int = 100
    #: orders in one POST /v1/orders at most
    max_batch_post: int = 1000
    #: open and pending orders one owner may have at once
    max_open_orders_per_owner: int = 1000
    #: an order's validTo must be at least this many seconds ahead when it is posted
    min_valid_for_s: int = 60
    #: refuse an order whose owner lacks the funds to sell it (balance and allowance, or
    #: internal balance)
    check_balances: bool = True
    #: seconds a balance, allowance or internal balance read stays cached for those checks
    balance_cache_s: float = 2.0

    # -- matching and submitting
    #: run the matcher and submitter beside the API (false: an API-only instance)
    run_worker: bool = True
    #: seconds from one cut (matching the open orders into batches) to the next, at least
    batch_interval_s: float = 2.0
    #: open orders needed before they are matched against each other (routing into a pool
    #: or a book needs one)
    batch_min_orders: int = 2
    #: fills in one batch at most (the gas budget may allow fewer)
    batch_max_fills: int = 200
    #: gas (as the receipt counts it) one settle transaction may use, never more than a
    #: block; unset: 95% of the block gas limit
    batch_max_gas: int | None = Field(default=None, ge=100_000)
    #: route orders that did not cross into our AMM pools (a batch with a pool leg)
    route_pools: bool = True
    #: route orders that did not cross into our on-chain order books (a batch with a book leg)
    route_books: bool = True
    #: batches on their way at once (planned, submitted or mined: not yet final or failed),
    #: at consecutive nonces; no batch is cut while this many are
    max_inflight_batches: int = Field(default=3, ge=1, le=16)
    #: blocks deep a batch's transaction must be for the batch to be final; the event
    #: follower applies blocks this deep too (at least 1)
    confirmations: int = 1
    #: blocks back from head in which final batches' blocks are re-checked for reorgs
    #: deeper than the confirmations; also how far the event follower steps back on a reorg
    reorg_window_blocks: int = Field(default=64, ge=0)
    #: follow the settlement contract's events: other relayers' fills and on-chain
    #: cancellations are applied to the store (relayer/reconcile.py)
    reconcile_events: bool = True
    #: the first block the event follower reads when the database has no cursor yet; unset:
    #: the settlement contract's deployment block (manifest), else head minus the window below
    reconcile_from_block: int | None = Field(default=None, ge=0)
    reconcile_start_window_blocks: int = Field(default=10_000, ge=0)
    #: blocks per eth_getLogs request at most (nodes cap the range; halved after a failed
    #: request, doubled again after a good one)
    reconcile_log_range_blocks: int = Field(default=2_000, ge=1)
    #: seconds a sent transaction may wait for a block before it is replaced at its nonce
    stuck_after_s: float = 15.0
    #: how much a replacement raises both fees, in percent (12.5 at least)
    gas_bump_percent: int = 13
    #: the highest fee per gas offered; a replacement that would need more waits
    max_gas_price_wei: int = 500 * 10**9
    #: seconds the worker waits between two steps (expiry, receipts, a cut)
    receipt_poll_s: float = 0.2
    #: on shutdown, seconds the batches on their way may take to finish before the worker
    #: stops
    drain_timeout_s: float = 30.0

    @classmethod
    def load(cls, **overrides: object) -> RelayerSettings:
        """The settings from the environment with `overrides` (command-line options) on top;
        a value that does not parse is a RelayerConfigError naming its variable, not
        pydantic's report."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                field = ".".join(str(part) for part in error["loc"])
                name = f"--{field.replace('_', '-')}" if field in overrides else None
                name = name or f"CROSSBOOK_{field.upper()}"
                problems.append(f"{name}={error.get('input')!r}: {error['msg']}")
            raise RelayerConfigError("; ".join(problems)) from None

    def devnet(self, chain_id: int) -> bool:
        return chain_id in DEVNET_CHAIN_IDS

    def database_for(self, chain_id: int, genesis_hash: str, settlement: str) -> str:
        """The database URL: `database_url`, else a SQLite file under `data_dir` of this
        deployment on this chain (its folder created here). The chain is named by its id and
        its genesis block, so a devnet started afresh, which reuses the chain id and even the
        contract addresses, never reads the orders of one that is gone."""
        if self.database_url:
            return self.database_url
        chain = f"{chain_id}-{genesis_hash.removeprefix('0x')[:12].lower()}"
        folder = self.data_dir.expanduser().resolve() / chain / settlement.lower()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RelayerConfigError(
                f"cannot create the relayer's data folder {folder} ({exc.strerror}): pass "
                "--data-dir / CROSSBOOK_DATA_DIR, or --database-url"
            ) from None
        return f"sqlite:///{folder / 'relayer.db'}"


def well_known_keys() -> frozenset[bytes]:
    """The Anvil/Hardhat keys of the public test mnemonic: anyone can sign with them."""
    from crossbook.devnet.accounts import dev_accounts

    return frozenset(a.private_key for a in dev_accounts(20))


def _hex_key(text: str, source: str) -> bytes:
    value = text.strip().removeprefix("0x").removeprefix("0X")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise RelayerConfigError(f"{source} does not hold a hex private key") from None
    if len(raw) != 32:
        raise RelayerConfigError(f"{source} holds {len(raw)} bytes; a private key is 32")
    return raw


def load_relayer_key(settings: RelayerSettings, chain_id: int) -> bytes:
    """The relayer's private key; refuses a well-known devnet key on a non-devnet chain."""
    key: bytes | None = None
    if settings.relayer_key_file is not None:
        key = _hex_key(settings.relayer_key_file.read_text(), str(settings.relayer_key_file))
    elif settings.relayer_keystore is not None:
        from eth_account import Account

        if settings.relayer_keystore_password_file is None:
            raise RelayerConfigError(
                "CROSSBOOK_RELAYER_KEYSTORE needs CROSSBOOK_RELAYER_KEYSTORE_PASSWORD_FILE"
            )
        password = settings.relayer_keystore_password_file.read_text().rstrip("\n")
        keystore = json.loads(settings.relayer_keystore.read_text())
        key = bytes(Account.decrypt(keystore, password))
    elif settings.relayer_key is not None:
        key = _hex_key(settings.relayer_key.get_secret_value(), "CROSSBOOK_RELAYER_KEY")
    elif settings.devnet(chain_id):
        from crossbook.devnet.accounts import dev_accounts

        key = dev_accounts()[-1].private_key  # the devnet's allow-listed relayer
    if key is None:
        raise RelayerConfigError(
            f"no relayer key for chain {chain_id}: set CROSSBOOK_RELAYER_KEY_FILE (a file "
            "holding the hex key) or CROSSBOOK_RELAYER_KEYSTORE (+ _PASSWORD_FILE), e.g. "
            "an ape account's ~/.ape/accounts/<alias>.json"
        )
    _refuse_well_known(settings, chain_id, key, "relayer key")
    return key


def load_permit_sponsor_key(
    settings: RelayerSettings, chain_id: int, relayer_key: bytes
) -> bytes | None:
    """The key that pays for wallets' permits, or None when permits are not offered. It must
    not be the relayer's: the submitter owns that key's nonces."""
    if not settings.sponsor_permits:
        return None
    key: bytes | None = None
    if settings.permit_sponsor_key_file is not None:
        path = settings.permit_sponsor_key_file
        key = _hex_key(path.read_text(), str(path))
    elif settings.permit_sponsor_key is not None:
        key = _hex_key(
            settings.permit_sponsor_key.get_secret_value(), "CROSSBOOK_PERMIT_SPONSOR_KEY"
        )
    elif settings.devnet(chain_id):
        from crossbook.devnet.accounts import dev_accounts

        key = dev_accounts()[8].private_key
    if key is None:
        return None
    if key == relayer_key:
        raise RelayerConfigError(
            "the permit sponsor key is the relayer's key: give it a key of its own (the "
            "submitter owns the relayer key's nonces, a permit sent from it would clash)"
        )
    _refuse_well_known(settings, chain_id, key, "permit sponsor key")
    return key


def _refuse_well_known(settings: RelayerSettings, chain_id: int, key: bytes, what: str) -> None:
    if not settings.devnet(chain_id) and key in well_known_keys():
        raise RelayerConfigError(
            f"the {what} is a well-known devnet key (public test mnemonic) and chain "
            f"{chain_id} is not a devnet ({sorted(DEVNET_CHAIN_IDS)}): anyone could spend "
            "from it; use a key of your own"
        )
