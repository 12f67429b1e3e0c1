"""One active submitter per database: a PostgreSQL session advisory lock, or an exclusive
file lock beside the SQLite database. Held for the submitter's lifetime; released when its
process dies (the connection or file descriptor closes), so a crash never leaves it stuck."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import Connection, Engine, text

SUBMITTER_LOCK_ID = 0x63726F7373626F6F  # "crossboo"


class SubmitterLock:
    def __init__(self, engine: Engine, lock_file: Path | None = None) -> None:
        self.engine = engine
        self.lock_file = lock_file
        self._conn: Connection | None = None
        self._fd: int | None = None

    def _sqlite_lock_path(self) -> Path:
        if self.lock_file is not None:
            return self.lock_file
        database = self.engine.url.database or "relayer.db"
        return Path(database + ".submitter.lock")

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            got = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:id)"), {"id": SUBMITTER_LOCK_ID}
                ).scalar_one()
            )
            conn.commit()
            if got:
                self._conn = conn
            else:
                conn.close()
            return got
        fd = os.open(self._sqlite_lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:id)"), {"id": SUBMITTER_LOCK_ID}
                )
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
