"""employee liability information (reg 11(2)) particulars and changes

Revision ID: 0007
Revises: 0006

Each employee gains the reg 11(2) items beyond the staff list's basics: the particulars of
employment of the Employment Rights Act 1996 s.1 (as amended from April 2020), disciplinary
action and grievances, claims, and the collective agreements that will apply. All may be empty
(not recorded yet): the ELI completeness check names what is missing. The new ``elichange``
table keeps changes made after the ELI was given, until the transferee is told (reg 11(5)).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new employee columns, in the model's order.
_EMPLOYEE_COLUMNS = (
    ('start_date', sa.Date()),
    ('continuous_start', sa.Date()),
    ('pay_scale', sqlmodel.sql.sqltypes.AutoString()),
    ('pay_interval', sqlmodel.sql.sqltypes.AutoString()),
    ('weekly_hours', sa.Numeric(precision=5, scale=2)),
    ('normal_working_hours', sqlmodel.sql.sqltypes.AutoString()),
    ('holiday_entitlement', sqlmodel.sql.sqltypes.AutoString()),
    ('holiday_pay', sqlmodel.sql.sqltypes.AutoString()),
    ('sick_pay', sqlmodel.sql.sqltypes.AutoString()),
    ('other_paid_leave', sqlmodel.sql.sqltypes.AutoString()),
    ('pension', sqlmodel.sql.sqltypes.AutoString()),
    ('other_benefits', sqlmodel.sql.sqltypes.AutoString()),
    ('notice_by_employer', sqlmodel.sql.sqltypes.AutoString()),
    ('notice_by_employee', sqlmodel.sql.sqltypes.AutoString()),
    ('contract_term', sqlmodel.sql.sqltypes.AutoString()),
    ('probation', sqlmodel.sql.sqltypes.AutoString()),
    ('place_of_work', sqlmodel.sql.sqltypes.AutoString()),
    ('work_outside_uk', sqlmodel.sql.sqltypes.AutoString()),
    ('training_entitlement', sqlmodel.sql.sqltypes.AutoString()),
    ('required_training', sqlmodel.sql.sqltypes.AutoString()),
    ('disciplinary', sqlmodel.sql.sqltypes.AutoString()),
    ('grievances', sqlmodel.sql.sqltypes.AutoString()),
    ('claims', sqlmodel.sql.sqltypes.AutoString()),
    ('collective_agreements', sqlmodel.sql.sqltypes.AutoString()),
)


def upgrade() -> None:
    with op.batch_alter_table('employee', schema=None) as batch_op:
        for name, kind in _EMPLOYEE_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.create_table('elichange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('employee_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('before', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('after', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('notified_in', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notified_in'], ['letter.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('elichange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elichange_notified_in'), ['notified_in'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_elichange_transfer_id'), ['transfer_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('elichange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elichange_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_elichange_notified_in'))
    op.drop_table('elichange')
    with op.batch_alter_table('employee', schema=None) as batch_op:
        for name, _ in reversed(_EMPLOYEE_COLUMNS):
            batch_op.drop_column(name)
