"""step evidence, overrides, documents, dates that happened

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Step evidence (engineer C): what completed a step, what it still lacks, who recorded it,
# overrides with a written reason, reopening, and documents kept as evidence.
_STEP_COLUMNS = (
    ('evidence_detail', sqlmodel.sql.sqltypes.AutoString()),
    ('evidence_missing', sqlmodel.sql.sqltypes.AutoString()),
    ('recorded_on', sa.Date()),
    ('recorded_by', sqlmodel.sql.sqltypes.AutoString()),
    ('override_reason', sqlmodel.sql.sqltypes.AutoString()),
    ('overridden_by', sqlmodel.sql.sqltypes.AutoString()),
    ('overridden_at', sqlmodel.sql.sqltypes.UTCDateTime()),
    ('reopened_reason', sqlmodel.sql.sqltypes.AutoString()),
    ('reopened_at', sqlmodel.sql.sqltypes.UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table('stepinstance', schema=None) as batch_op:
        for name, kind in _STEP_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.create_table('stepdocument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('transfer_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('step_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=False),
    sa.Column('attached_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attached_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stepdocument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stepdocument_transfer_id'), ['transfer_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_stepdocument_transfer_ref'), ['transfer_ref'],
                              unique=False)
    _upgrade_regime_warning_and_kinds()


# Regime from the school type, and pensions by sector (engineer A): the warning kept on a
# transfer whose regime contradicts what its receiving school's type decides (with the reason
# given), and two organisation kinds, central (government) and nhs. PostgreSQL keeps enum
# labels in a type of its own; SQLite keeps them as text, and the names are no longer than
# 'council', so its column needs no widening (which would mean copying the table).
def _upgrade_regime_warning_and_kinds() -> None:
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regime_warning', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        for label in ('central', 'nhs'):
            op.execute(f"ALTER TYPE organisationkind ADD VALUE IF NOT EXISTS '{label}'")


def _downgrade_regime_warning_and_kinds() -> None:
    # PostgreSQL cannot drop an enum label: the two kinds stay, unused by the older code.
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_column('regime_warning')


def downgrade() -> None:
    _downgrade_regime_warning_and_kinds()
    with op.batch_alter_table('stepdocument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stepdocument_transfer_ref'))
        batch_op.drop_index(batch_op.f('ix_stepdocument_transfer_id'))
    op.drop_table('stepdocument')
    with op.batch_alter_table('stepinstance', schema=None) as batch_op:
        for name, _kind in reversed(_STEP_COLUMNS):
            batch_op.drop_column(name)
