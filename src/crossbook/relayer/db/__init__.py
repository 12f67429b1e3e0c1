"""Storage tables (SQLAlchemy 2) and the engine factory; migrations live in ../migrations."""

from crossbook.relayer.db.engine import create_db_engine, is_postgres, migrate
from crossbook.relayer.db.models import Base, BatchOrderRow, BatchRow, OrderRow, TradeRow

__all__ = [
    "Base",
    "BatchOrderRow",
    "BatchRow",
    "OrderRow",
    "TradeRow",
    "create_db_engine",
    "is_postgres",
    "migrate",
]
