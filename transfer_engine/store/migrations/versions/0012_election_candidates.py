"""elections keep how many candidates stood (reg 14(1)(e), (g)-(h))

Revision ID: 0012
Revises: 0011

The number was given at the close of nominations but kept only in the audit log; a result is
now judged by it (no more elected than stood; a ballot where more stood than there are seats).
Elections whose nominations closed before take it from their audit entry.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.add_column(sa.Column('candidates', sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT data FROM auditentry WHERE action = 'election-nominations-closed' "
        "ORDER BY id")).all()
    for (data,) in rows:
        # JSON comes back as text on SQLite and as a dict on PostgreSQL.
        found = json.loads(data) if isinstance(data, str) else data
        if isinstance(found, dict) and isinstance(found.get('candidates'), int):
            bind.execute(sa.text('UPDATE election SET candidates = :c WHERE id = :e'),
                         {'c': found['candidates'], 'e': found.get('election_id')})


def downgrade() -> None:
    # Not a batch (on SQLite, a copy of the table): the election table cannot be dropped and
    # renamed while representatives refer to it. Both databases drop a plain column in place
    # (SQLite from 3.35).
    op.execute('ALTER TABLE election DROP COLUMN candidates')
