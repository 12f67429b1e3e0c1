"""The relayer's migrations go down as well as up: a downgrade to the base drops every table
and index the upgrades made, and the next upgrade brings back the same schema (SQLite, and
PostgreSQL when CROSSBOOK_TEST_POSTGRES_DSN is set)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from crossbook.relayer.db import Base, create_db_engine, migrate
from crossbook.relayer.db.engine import MIGRATIONS_DIR


def downgrade_to_base(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")


def schema(engine: Engine) -> dict[str, Any]:
    """Each table's columns and indexes, as the database reports them."""
    found = inspect(engine)
    return {
        table: (
            sorted(c["name"] for c in found.get_columns(table)),
            sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(table)),
        )
        for table in found.get_table_names()
    }


def test_a_downgrade_to_base_drops_the_schema_and_an_upgrade_restores_it(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        migrate(engine)
        upgraded = schema(engine)
        assert set(Base.metadata.tables) <= set(upgraded)
        assert upgraded["orders"][1]  # the indexes came with the tables

        downgrade_to_base(engine)
        assert list(schema(engine)) == ["alembic_version"]

        migrate(engine)
        assert schema(engine) == upgraded
    finally:
        engine.dispose()
