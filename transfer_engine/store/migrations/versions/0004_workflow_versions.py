"""workflow versions: the definitions that transfers run on, kept in the database

Revision ID: 0004
Revises: 0003

Transfers made before this revision have no stored definition yet: `transfer-engine db
upgrade` stores each one from its file when the file still has the transfer's version.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('workflowversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('stored_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('stored_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workflow_id', 'version', 'sha256')
    )
    with op.batch_alter_table('workflowversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflowversion_workflow_id'), ['workflow_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('workflowversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflowversion_workflow_id'))

    op.drop_table('workflowversion')
