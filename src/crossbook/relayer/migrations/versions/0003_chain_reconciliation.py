"""chain_cursor: how far the event follower applied the settlement contract's logs (block
number and hash); chain_cancellations: orders it cancelled from on-chain events, by block (a
reorg under the cursor reopens them); trades.block_number indexed (a rewind deletes the
other relayers' fills above a block)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "chain_cancellations",
        sa.Column("order_uid", sa.String(length=66), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("order_uid"),
    )
    with op.batch_alter_table("chain_cancellations") as batch:
        batch.create_index(
            batch.f("ix_chain_cancellations_block_number"), ["block_number"], unique=False
        )
    with op.batch_alter_table("trades") as batch:
        batch.create_index("ix_trades_block_number", ["block_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trades") as batch:
        batch.drop_index("ix_trades_block_number")
    op.drop_table("chain_cancellations")
    op.drop_table("chain_cursor")
