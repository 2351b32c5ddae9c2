"""letters typeset by Typst: the renderer's version on each letter, organisations' logos

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('letterlogo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('stored_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renderer', sqlmodel.sql.sqltypes.AutoString(), nullable=True))

    # --- engineer I (issue flow, references): each letter's human reference and number, the
    # --- reason for a reissue, and the issue runs (store/issue_jobs.py). Kept apart from the
    # --- Typst columns above.
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reissue_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_letter_reference'), ['reference'], unique=True)
    op.create_table('issuejob',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('transfer_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('letter', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('letter_date', sa.Date(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=True),
    sa.Column('override_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sa.Enum('queued', 'running', 'finished', 'failed', name='issuejobstatus'), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('already', sa.Integer(), nullable=False),
    sa.Column('not_issued', sa.JSON(), nullable=False),
    sa.Column('not_issued_count', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('issuejob', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuejob_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_issuejob_transfer_id'), ['transfer_id'], unique=False)
    # --- end of engineer I's block


def downgrade() -> None:
    # --- engineer I's block (see upgrade)
    op.drop_table('issuejob')
    sa.Enum(name='issuejobstatus').drop(op.get_bind(), checkfirst=True)
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_reference'))
        batch_op.drop_column('reissue_reason')
        batch_op.drop_column('sequence')
        batch_op.drop_column('reference')
    # --- end of engineer I's block
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('renderer')

    op.drop_table('letterlogo')
