"""parties that owe steps; collective redundancies (TULRCA s.188)

Revision ID: 0008
Revises: 0007

Each step instance records which party owes it (transferor, transferee or each employer), as its
workflow says; steps planned before this revision get it the next time their transfer's steps
are worked out again. A transfer records the dismissals as redundant proposed at one
establishment (TULRCA s.188) and that establishment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('stepinstance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owed_by', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_dismissals', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('establishment', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_column('establishment')
        batch_op.drop_column('proposed_dismissals')
    with op.batch_alter_table('stepinstance', schema=None) as batch_op:
        batch_op.drop_column('owed_by')
