"""`Wallet`: one signer trading on one deployment through one relayer.

from crossbook.client import LocalSigner, Wallet

with Wallet.connect(LocalSigner(key), rpc_url=..., relayer_url=...) as wallet:
    placed = wallet.place("WETH", "1", "USDC", "2000")   # sell 1 WETH for >= 2000 USDC
    wallet.wait(placed.uid)                               # filled / cancelled / expired
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from crossbook.chain import MAX_UINT, Token, connect
from crossbook.client.chain import ChainClient
from crossbook.client.errors import (
    InsufficientAllowance,
    InsufficientBalance,
    InvalidAmount,
    RelayerError,
    UnknownMarket,
    WrongNetwork,
)
from crossbook.client.relayer import DEFAULT_RELAYER_URL, FINAL_STATUSES, RelayerClient
from crossbook.client.signers import Signer, normalize_signature, refuse_well_known_key
from crossbook.errors import BadSignature, CrossbookError, ManifestError
from crossbook.manifest import Manifest, read_manifest
from crossbook.order import Domain, Order, OrderFlags
from crossbook.signing import verify_order_signature

DEFAULT_VALID_FOR_S = 3600


@dataclass(frozen=True)
class Placed:
    uid: str
    created: bool
    order: Order


@dataclass(frozen=True)
class Quote:
    """What selling `amount_in` of `token_in` would buy of `token_out` at `source`."""

    source: str  # "relayer" (its open book) or "amm" (a pool at `fee` bps)
    token_in: Token
    token_out: Token
    amount_in: int
    amount_out: int
    filled_in: int  # how much of amount_in the source can absorb
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def price(self) -> Decimal | None:
        """token_out per token_in, in token units."""
        if self.filled_in == 0:
            return None
        return self.token_out.from_units(self.amount_out) / self.token_in.from_units(self.filled_in)


class Wallet:
    def __init__(
        self, signer: Signer, chain: ChainClient, relayer: RelayerClient | None = None
    ) -> None:
        self.signer = signer
        self.chain = chain
        self.relayer_client = relayer

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        signer: Signer,
        *,
        rpc_url: str,
        relayer_url: str | None = DEFAULT_RELAYER_URL,
        manifest: Manifest | None = None,
        manifest_dir: Path | None = None,
        expected_chain_id: int | None = None,
        check_relayer: bool = True,
    ) -> Wallet:
        """Connect to the node, read the deployment manifest for its chain id, and check that
        node, manifest, relayer and (optionally) `expected_chain_id` agree. Refuses a
        well-known devnet key on a chain that is not a devnet."""
        w3, chain_id = connect(rpc_url, expected_chain_id=expected_chain_id)
        if manifest is None:
            try:
                manifest = read_manifest(chain_id, manifest_dir)
            except ManifestError as exc:
                raise WrongNetwork(
                    f"the node at {rpc_url} is chain {chain_id}, and {exc}"
                ) from None
        elif manifest.chain_id != chain_id:
            raise WrongNetwork(
                f"the manifest is for chain {manifest.chain_id} but the node at {rpc_url} is "
                f"chain {chain_id}: use the manifest of this network or another --rpc-url"
            )
        refuse_well_known_key(signer, chain_id)
        chain = ChainClient(w3, manifest)
        relayer = RelayerClient(relayer_url) if relayer_url else None
        wallet = cls(signer, chain, relayer)
        if relayer is not None and check_relayer:
            wallet.check_relayer()
        return wallet

    def close(self) -> None:
        if self.relayer_client is not None:
            self.relayer_client.close()

    def __enter__(self) -> Wallet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> str:
        return self.signer.address

    @property
    def domain(self) -> Domain:
        return self.chain.domain

    @property
    def relayer(self) -> RelayerClient:
        if self.relayer_client is None:
            raise WrongNetwork("this wallet has no relayer: connect with relayer_url=...")
        return self.relayer_client

    def check_relayer(self) -> None:
        """The relayer must serve this chain and trade this deployment's tokens."""
        health = self.relayer.health()
        chain_id = health.get("chainId")
        if chain_id is not None and int(chain_id) != self.chain.chain_id:
            raise WrongNetwork(
                f"the relayer at {self.relayer.url} serves chain {chain_id}, but the node is "
                f"chain {self.chain.chain_id}: use the relayer of this network (--relayer-url)"
            )
        traded = {str(m[k]).lower() for m in self.relayer.markets() for k in ("base", "quote")}
        ours = {t.address.lower() for t in self.chain.manifest.tokens.values()}
        if traded and ours and not traded & ours:
            raise WrongNetwork(
                f"the relayer at {self.relayer.url} trades none of the tokens of the deployment "
                f"on chain {self.chain.chain_id}: it serves another deployment"
            )

    # -- orders ----------------------------------------------------------------------------------
    def token(self, ref: str | Token) -> Token:
        return ref if isinstance(ref, Token) else self.chain.token(ref)

    def build_order(
        self,
        sell_token: str | Token,
        sell_amount: str | Decimal | int,
        buy_token: str | Token,
        buy_amount: str | Decimal | int,
        *,
        fee: str | Decimal | int = 0,
        partially_fillable: bool = False,
        valid_for_s: int = DEFAULT_VALID_FOR_S,
        valid_to: int | None = None,
        receiver: str | None = None,
        nonce: int | None = None,
        sell_from_internal: bool = False,
        buy_to_internal: bool = False,
        base_units: bool = False,
    ) -> Order:
        """An order selling `sell_amount` of `sell_token` for at least `buy_amount` of
        `buy_token`. Amounts are token units ("1.5") unless `base_units`."""
        sell, buy = self.token(sell_token), self.token(buy_token)
        if sell.address == buy.address:
            raise InvalidAmount(
                f"an order sells one token for another, not {sell.symbol} for itself"
            )

        def units(token: Token, amount: str | Decimal | int, zero: bool = False) -> int:
            if base_units:
                if not isinstance(amount, int) or amount < 0 or (amount == 0 and not zero):
                    raise InvalidAmount(f"{amount!r} is not a positive number of base units")
                return amount
            return token.to_units(amount, allow_zero=zero)

        flags = OrderFlags(0)
        if partially_fillable:
            flags |= OrderFlags.PARTIALLY_FILLABLE
        if sell_from_internal:
            flags |= OrderFlags.SELL_FROM_INTERNAL
        if buy_to_internal:
            flags |= OrderFlags.BUY_TO_INTERNAL
        return Order(
            owner=to_checksum_address(self.address),
            receiver=to_checksum_address(receiver) if receiver else "0x" + "00" * 20,
            sell_token=sell.address,
            buy_token=buy.address,
            sell_amount=units(sell, sell_amount),
            buy_amount=units(buy, buy_amount),
            fee_amount=units(sell, fee, zero=True),
            valid_to=valid_to if valid_to is not None else int(time.time()) + valid_for_s,
            nonce=nonce if nonce is not None else self.chain.fresh_nonce(self.address),
            flags=int(flags),
        )

    def check_funds(self, order: Order) -> None:
        """What the relayer checks, with amounts in token units: the sell balance (wallet or
        internal) and the Settlement allowance."""
        token = self.token(order.sell_token)
        # the relayer's rule: fill-or-kill needs all of it, partially fillable any of it
        needed = 1 if order.partially_fillable else order.sell_amount + order.fee_amount
        if order.sell_from_internal:
            held = self.chain.internal_balance(order.owner, token)
            where = "internal balance"
        else:
            held = self.chain.wallet_balance(order.owner, token)
            where = "wallet"
        if held < needed:
            raise InsufficientBalance(
                f"{order.owner} has {token.format(held)} {token.symbol} ({where}), the order "
                f"sells {token.format(needed)} {token.symbol} (fee included)"
                + ("" if order.sell_from_internal else "; or deposit and sell from internal")
            )
        if not order.sell_from_internal:
            allowed = self.chain.allowance(order.owner, token)
            if allowed < needed:
                raise InsufficientAllowance(
                    f"the settlement contract may spend {token.format(allowed)} {token.symbol} "
                    f"of {order.owner}, the order sells {token.format(needed)}: run "
                    f"`crossbook approve {token.symbol}` (or Wallet.approve)"
                )

    def prepare_order(self, order: Order) -> dict[str, Any]:
        """The `eth_signTypedData_v4` payload of `order` for an external signer."""
        return order.typed_data(self.domain)

    def submit_signed(self, order: Order, signature: bytes | str) -> Placed:
        """Post `order` with a signature made elsewhere (checked here first)."""
        raw = normalize_signature(signature)
        try:
            verify_order_signature(order, self.domain, raw)
        except BadSignature as exc:
            from crossbook.client.errors import InvalidSignature

            raise InvalidSignature(str(exc)) from None
        body: dict[str, Any] = {
            **order.to_json_dict(),
            "signature": "0x" + raw.hex(),
            "signingScheme": "eip712",
        }
        uid, created = self.relayer.post_order(body)
        return Placed(uid, created, order)

    def sign(self, order: Order) -> bytes:
        return normalize_signature(self.signer.sign_typed_data(self.prepare_order(order)))

    def place_order(self, order: Order, *, check_funds: bool = True) -> Placed:
        """Sign `order` with the wallet's signer and post it."""
        if check_funds:
            self.check_funds(order)
        return self.submit_signed(order, self.sign(order))

    def place(
        self,
        sell_token: str | Token,
        sell_amount: str | Decimal | int,
        buy_token: str | Token,
        buy_amount: str | Decimal | int,
        **kwargs: Any,
    ) -> Placed:
        """`build_order` + `place_order`: sell `sell_amount` for at least `buy_amount`."""
        check = bool(kwargs.pop("check_funds", True))
        order = self.build_order(sell_token, sell_amount, buy_token, buy_amount, **kwargs)
        return self.place_order(order, check_funds=check)

    def order_from_relayer(self, uid: str) -> Order:
        row = self.relayer.order(uid)
        return Order.from_json_dict(
            {
                k: row[k]
                for k in (
                    "owner",
                    "receiver",
                    "sellToken",
                    "buyToken",
                    "sellAmount",
                    "buyAmount",
                    "feeAmount",
                    "validTo",
                    "nonce",
                    "flags",
                )
            }
        )

    def cancel(self, uid: str) -> dict[str, Any]:
        """Off-chain: sign `OrderCancellation(uid)` and DELETE it at the relayer. The signed
        order stays valid on chain; use `cancel_on_chain` to make that final too."""
        from crossbook.relayer.cancellation import cancellation_typed_data

        typed = cancellation_typed_data(self.domain, bytes.fromhex(uid.removeprefix("0x")))
        signature = normalize_signature(self.signer.sign_typed_data(typed))
        return self.relayer.cancel(uid, signature)

    def cancel_on_chain(self, order_or_uid: Order | str) -> dict[str, Any]:
        """`Settlement.cancelOrder`: the order never fills, wherever it is; the receipt."""
        order = (
            self.order_from_relayer(order_or_uid) if isinstance(order_or_uid, str) else order_or_uid
        )
        return self.chain.cancel_order(self.signer, order)

    def status(self, uid: str) -> dict[str, Any]:
        return self.relayer.status(uid)

    def orders(self, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return self.relayer.orders_of(self.address, status=status, limit=limit)

    def wait(self, uid: str, *, timeout: float = 60.0, stream: bool = True) -> dict[str, Any]:
        """Until the order is final (filled, cancelled, expired, invalid): the last status.
        Follows the relayer's event stream, or polls with `stream=False`."""
        if not stream:
            return self.relayer.wait(uid, until=FINAL_STATUSES, timeout=timeout)
        updates = list(self.relayer.follow(uid, timeout=timeout))
        return updates[-1]

    def follow(self, uid: str, *, timeout: float = 60.0) -> Iterator[dict[str, Any]]:
        return self.relayer.follow(uid, timeout=timeout)

    # -- quotes ----------------------------------------------------------------------------------
    def market_for(self, a: Token, b: Token) -> dict[str, Any]:
        for market in self.relayer.markets():
            if {str(market["base"]).lower(), str(market["quote"]).lower()} == {
                a.address.lower(),
                b.address.lower(),
            }:
                return market
        raise UnknownMarket(f"the relayer has no {a.symbol}/{b.symbol} market")

    def quote_relayer(
        self, token_in: str | Token, token_out: str | Token, amount_in: str | Decimal | int
    ) -> Quote:
        """Walk the relayer's open book: what selling `amount_in` would buy right now."""
        tin, tout = self.token(token_in), self.token(token_out)
        amount = amount_in if isinstance(amount_in, int) else tin.to_units(amount_in)
        market = self.market_for(tin, tout)
        book = self.relayer.book(str(market["market"]))
        selling_base = str(market["base"]).lower() == tin.address.lower()
        remaining, out = amount, 0
        for level in book["bids"] if selling_base else book["asks"]:
            if remaining == 0:
                break
            num, den = (int(x) for x in str(level["price"]).split("/"))
            price = Fraction(num, den)  # quote per base, base units
            if selling_base:
                take = min(remaining, int(level["baseAmount"]))
                out += int(take * price)
            else:
                take = min(remaining, int(level["quoteAmount"]))
                out += int(take / price)
            remaining -= take
        return Quote(
            "relayer", tin, tout, amount, out, amount - remaining, {"market": market["market"]}
        )

    def quote_amm(
        self,
        token_in: str | Token,
        token_out: str | Token,
        amount_in: str | Decimal | int,
        fee_bps: int = 30,
    ) -> Quote:
        """The constant-product pool's output for `amount_in` (exact input)."""
        from crossbook.amm.client import AmmClient

        tin, tout = self.token(token_in), self.token(token_out)
        amount = amount_in if isinstance(amount_in, int) else tin.to_units(amount_in)
        amm = AmmClient(self.chain.w3, self.chain.manifest)
        out = amm.quote_exact_in(tin, tout, fee_bps, amount)
        return Quote("amm", tin, tout, amount, out, amount, {"fee_bps": fee_bps})

    def quote(
        self, token_in: str | Token, token_out: str | Token, amount_in: str | Decimal | int
    ) -> list[Quote]:
        """Every source that can quote (relayer book, AMM pool), best output first."""
        quotes: list[Quote] = []
        for source in (self.quote_relayer, self.quote_amm):
            try:
                quotes.append(source(token_in, token_out, amount_in))
            except (RelayerError, CrossbookError):
                continue
        return sorted(quotes, key=lambda q: -q.amount_out)

    # -- funds -----------------------------------------------------------------------------------
    def balances(self, tokens: list[str] | None = None) -> list[dict[str, Any]]:
        """Per token: wallet, internal (in the settlement contract) and allowance, base units."""
        rows = []
        for token in [self.token(t) for t in tokens] if tokens else self.chain.tokens():
            rows.append(
                {
                    "token": token,
                    "wallet": self.chain.wallet_balance(self.address, token),
                    "internal": self.chain.internal_balance(self.address, token),
                    "allowance": self.chain.allowance(self.address, token),
                }
            )
        return rows

    def approve(
        self,
        token: str | Token,
        amount: int | None = None,
        *,
        permit: bool = False,
        sponsored: bool = False,
    ) -> dict[str, Any]:
        """Let the settlement contract spend `amount` (default unlimited) of `token`: the
        receipt of the transaction that did it. With `permit`, sign an EIP-2612 permit and
        submit it (raises `PermitUnsupported` if the token has none); with `sponsored` as
        well, the relayer submits it and pays the gas (the receipt is then None when the
        allowance already sufficed and nothing was sent)."""
        tok = self.token(token)
        value = MAX_UINT if amount is None else amount
        if not permit:
            return self.chain.approve(self.signer, tok, value)
        signed = self.chain.sign_permit(self.signer, tok, value)
        if not sponsored:
            return self.chain.permit(self.signer, signed)
        posted = self.relayer.post_permit(signed)
        if posted["txHash"] is None:
            return {"transactionHash": None, "allowance": int(posted["allowance"])}
        return dict(self.chain.w3.eth.get_transaction_receipt(posted["txHash"]))

    def deposit(self, token: str | Token, amount: str | Decimal | int) -> dict[str, Any]:
        tok = self.token(token)
        value = amount if isinstance(amount, int) else tok.to_units(amount)
        return self.chain.deposit(self.signer, tok, value)

    def withdraw(
        self, token: str | Token, amount: str | Decimal | int, to: str | None = None
    ) -> dict[str, Any]:
        tok = self.token(token)
        value = amount if isinstance(amount, int) else tok.to_units(amount)
        return self.chain.withdraw(self.signer, tok, value, to)
