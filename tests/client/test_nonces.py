"""The wallet's dense nonce allocator (`crossbook.client.nonces`), without a chain."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from crossbook.client.nonces import NonceBook


def no_bits(word: int) -> int:
    return 0


def test_allocate_counts_up_from_the_floor(tmp_path: Path) -> None:
    book = NonceBook(tmp_path / "nonces.json")
    assert [book.allocate("k", 0, no_bits) for _ in range(3)] == [0, 1, 2]
    assert book.allocate("k", 100, no_bits) == 100  # a raised floor moves the counter up
    assert book.allocate("k", 0, no_bits) == 101
    assert book.allocate("other", 7, no_bits) == 7  # counters are per key


def test_allocate_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "nonces.json"
    assert NonceBook(path).allocate("k", 0, no_bits) == 0
    assert NonceBook(path).allocate("k", 0, no_bits) == 1


def test_allocate_skips_nonces_spent_on_chain(tmp_path: Path) -> None:
    book = NonceBook(tmp_path / "nonces.json")
    spent = {0: (1 << 256) - 1, 1: 0b1011}  # word 0 full; 256, 257 and 259 spent
    reads: list[int] = []

    def bitmap(word: int) -> int:
        reads.append(word)
        return spent.get(word, 0)

    assert book.allocate("k", 0, bitmap) == 258
    assert reads == [0, 1]  # one read per word
    assert book.allocate("k", 0, bitmap) == 260


def test_allocate_never_hands_one_nonce_out_twice_under_concurrency(tmp_path: Path) -> None:
    path = tmp_path / "nonces.json"
    got: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        book = NonceBook(path)  # its own instance, as another process would have
        for _ in range(25):
            n = book.allocate("k", 0, no_bits)
            with lock:
                got.append(n)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(100))


def test_allocate_rejects_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "nonces.json"
    path.write_text("not json")
    with pytest.raises(ValueError, match="not a nonce file"):
        NonceBook(path).allocate("k", 0, no_bits)
