"""batches.legs: the AMM pool legs a batch routes through (JSON list); batches.block_hash:
the block a final batch was mined in (re-checked for reorgs deeper than the confirmations)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("legs", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("block_hash", sa.String(length=66), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("block_hash")
        batch.drop_column("legs")
