"""Dense order nonces for a wallet (`ChainClient.fresh_nonce`).

The settlement contract keeps an owner's fill-or-kill nonce bits with a *head*: one slot that
holds the owner's nonce floor and the bits of 128 consecutive nonces, and that moves up as
higher nonces fill (docs/settlement.md, "Nonce storage"). A fill of a nonce in the head costs
one slot (5,000 gas); a nonce in a bitmap word never used before costs a fresh word (22,100).
So a wallet should count its nonces up from its floor, not draw random 64-bit ones.

Counting up must never hand the same nonce to two open orders. The chain only knows spent
nonces, not signed-but-open ones, so this machine remembers the next nonce per (chain id,
settlement, owner) in a small JSON file (`CROSSBOOK_NONCE_FILE`, default
`~/.crossbook/nonces.json`), read and written under an exclusive `flock`: two processes on this
machine never get the same nonce. Each allocation also starts at or above the on-chain floor
and skips nonces already spent on chain (by this key on another machine, or by a cancel).
Two machines signing for one key keep separate counters: give each its own key, share the
file, or pass explicit nonces.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

#: How many spent nonces one allocation skips before it gives up on the chain's bits (a
#: bitmap word is read once per 256 nonces, so at most 16 reads).
MAX_SKIP = 4_096


def default_path() -> Path:
    env = os.environ.get("CROSSBOOK_NONCE_FILE")
    return Path(env) if env else Path.home() / ".crossbook" / "nonces.json"


class NonceBook:
    """The next nonce per key, persisted and locked (see the module docstring)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_path()

    def allocate(self, key: str, floor: int, bitmap_word: Callable[[int], int]) -> int:
        """The lowest nonce at or above both `floor` and this key's counter whose bit is not
        spent (`bitmap_word(word)` reads the owner's bitmap word); the counter moves past it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(self.path.suffix + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            counters = self._read()
            nonce = max(floor, int(counters.get(key, 0)))
            words: dict[int, int] = {}
            for _ in range(MAX_SKIP):
                word = nonce >> 8
                if word not in words:
                    words[word] = bitmap_word(word)
                if not (words[word] >> (nonce & 255)) & 1:
                    break
                nonce += 1
            counters[key] = nonce + 1
            self._write(counters)
            return nonce

    def _read(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise ValueError(
                f"{self.path} is not a nonce file ({exc}): remove it or set CROSSBOOK_NONCE_FILE"
            ) from None
        return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, counters: dict[str, int]) -> None:
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(counters, indent=1, sort_keys=True))
        os.replace(tmp, self.path)
