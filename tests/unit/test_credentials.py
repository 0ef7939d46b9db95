"""Password hashing under a burst of sign-ins: at most a few argon2 hashes at once (64 MiB each)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from desist.adapters import credentials


class _CountingHasher:
    """Stands in for argon2's hasher and records how many hashes run at the same time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0

    def _work(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.02)
        with self.lock:
            self.now -= 1

    def hash(self, password: str) -> str:
        self._work()
        return "hashed"

    def verify(self, stored: str, password: str) -> bool:
        self._work()
        return True

    def check_needs_rehash(self, stored: str) -> bool:
        return False


def test_a_burst_of_sign_ins_hashes_a_few_passwords_at_a_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake = _CountingHasher()
    monkeypatch.setattr(credentials, "_hasher", lambda: fake)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: credentials.verify_password("h", f"pw{i}"), range(32)))
        hashes = list(pool.map(lambda i: credentials.hash_password(f"pw{i}"), range(16)))
    assert results == [(True, False)] * 32 and hashes == ["hashed"] * 16
    assert 1 <= fake.most <= 4
