"""One `Token`: an ERC-20 by manifest symbol or address, with exact human amounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from eth_utils.address import is_address, to_checksum_address
from web3 import Web3

from crossbook.chain.abi import contract_at
from crossbook.chain.errors import InvalidAmount, UnknownToken
from crossbook.manifest import Manifest


def parse_units(
    amount: str | Decimal | int, decimals: int, what: str, *, allow_zero: bool = False
) -> int:
    """'1.5' -> 1.5 * 10**decimals base units, exactly. `_` separators are accepted; more
    decimals than `decimals`, a negative, or zero (unless `allow_zero`) is `InvalidAmount`."""
    try:
        value = Decimal(str(amount).strip().replace("_", ""))
    except (InvalidOperation, ValueError):
        raise InvalidAmount(f"{amount!r} is not a number (an amount of {what})") from None
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        raise InvalidAmount(f"the amount of {what} must be positive, got {amount}")
    units = value.scaleb(decimals)
    if units != units.to_integral_value():
        raise InvalidAmount(
            f"{amount} {what} has more than {decimals} decimals, the token's precision"
        )
    return int(units)


@dataclass(frozen=True)
class Token:
    address: str
    symbol: str
    decimals: int

    def to_units(self, amount: str | Decimal | int, *, allow_zero: bool = False) -> int:
        """'1.5' -> 1.5 * 10**decimals base units; more decimals than the token has is an error."""
        return parse_units(amount, self.decimals, self.symbol, allow_zero=allow_zero)

    def from_units(self, amount: int) -> Decimal:
        return Decimal(amount).scaleb(-self.decimals)

    def format(self, amount: int) -> str:
        """Base units as a plain decimal string without trailing zeros: 1500000 USDC -> '1.5'."""
        text = f"{self.from_units(amount):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


class Tokens:
    """The tokens of one deployment: by manifest symbol (any case) or 0x address, the latter
    read from the chain (`symbol()`, `decimals()`) once and remembered."""

    def __init__(self, w3: Web3, manifest: Manifest) -> None:
        self.w3 = w3
        self.manifest = manifest
        self._known: dict[str, Token] = {}

    def __call__(self, ref: str) -> Token:
        key = ref.strip().lower()
        if key in self._known:
            return self._known[key]
        token = self._lookup(ref.strip(), key)
        self._known[key] = token
        return token

    def listed(self) -> list[Token]:
        """The manifest's tokens, in its order."""
        return [self(symbol) for symbol in self.manifest.tokens]

    def _lookup(self, ref: str, key: str) -> Token:
        for symbol, info in self.manifest.tokens.items():
            if key in (symbol.lower(), info.address.lower()):
                return Token(to_checksum_address(info.address), symbol, info.decimals)
        if is_address(ref):
            erc20 = contract_at(self.w3, "MockERC20", ref)
            try:
                symbol = str(erc20.functions.symbol().call())
                decimals = int(erc20.functions.decimals().call())
            except Exception:
                raise UnknownToken(
                    f"{ref} does not answer symbol()/decimals() like an ERC-20 on chain "
                    f"{self.manifest.chain_id}"
                ) from None
            return Token(to_checksum_address(ref), symbol, decimals)
        known = ", ".join(sorted(self.manifest.tokens)) or "none"
        raise UnknownToken(
            f"unknown token {ref!r} on chain {self.manifest.chain_id}: use one of {known} "
            "(from the deployment manifest) or a 0x address"
        )
