"""Alembic environment: runs on the connection `crossbook.relayer.db.migrate` passes in, or
on `sqlalchemy.url` / `CROSSBOOK_DATABASE_URL` when run from the alembic command line."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from crossbook.relayer.db.engine import create_db_engine
from crossbook.relayer.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "CROSSBOOK_DATABASE_URL", "sqlite:///relayer.db"
    )
    engine = create_db_engine(url)
    with engine.begin() as conn:
        _run(conn)
