"""the delivery queue: a partial index of the messages a scheduler may still send

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As transfer_engine.store.messages.in_delivery_queue writes it for each database (written out
# here: a migration keeps the schema it made, whatever the models say later).
_POSTGRESQL = "status IN ('pending', 'failed') AND in_doubt IS false"
_SQLITE = "status IN ('pending', 'failed') AND in_doubt IS 0"


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.create_index('ix_outboxmessage_due', ['planned_for', 'id'], unique=False,
                              postgresql_where=sa.text(_POSTGRESQL),
                              sqlite_where=sa.text(_SQLITE))


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_index('ix_outboxmessage_due')
