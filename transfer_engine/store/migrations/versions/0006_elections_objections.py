"""elections (reg 14) and dated objections (reg 4(7))

Revision ID: 0006
Revises: 0005

Adds the election table, and to each representative the election that elected them and its
result date, or the authority an existing representative holds (reg 13(3)(b)(i)), a kind of
representative of its own. Objections keep their column (``employee.objected_on``): what
changes is that they count from their date.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS_BEFORE = ('recognised_union', 'elected')


def upgrade() -> None:
    op.create_table('election',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('term', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('invited_on', sa.Date(), nullable=False),
    sa.Column('nominations_close_on', sa.Date(), nullable=False),
    sa.Column('nominations_closed_on', sa.Date(), nullable=True),
    sa.Column('ballot_on', sa.Date(), nullable=True),
    sa.Column('result_on', sa.Date(), nullable=True),
    sa.Column('none_elected_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_election_transfer_id'), ['transfer_id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # A native enum type: the new kind is added to it (SQLite keeps the name as text).
        op.execute("ALTER TYPE representativekind ADD VALUE IF NOT EXISTS 'existing' "
                   "BEFORE 'elected'")
    with _representatives_copied_safely(), \
            op.batch_alter_table('representative', schema=None) as batch_op:
        batch_op.add_column(sa.Column('election_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('elected_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('authority', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
        batch_op.create_foreign_key('fk_representative_election_id', 'election',
                                    ['election_id'], ['id'])


@contextmanager
def _representatives_copied_safely() -> Iterator[None]:
    """SQLite adds a foreign key by copying the table, dropping it and renaming the copy; with
    foreign keys enforced (inside the migration's transaction they cannot be switched off),
    dropping it fails while rows of ``representedemployee`` refer to it. Those rows are set
    aside while the table is copied, and put back as they were."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    links = bind.execute(sa.text(
        'SELECT representative_id, employee_id FROM representedemployee')).all()
    bind.execute(sa.text('DELETE FROM representedemployee'))
    yield
    if links:
        bind.execute(sa.text('INSERT INTO representedemployee (representative_id, employee_id) '
                             'VALUES (:r, :e)'), [{'r': r, 'e': e} for r, e in links])


def downgrade() -> None:
    with _representatives_copied_safely(), \
            op.batch_alter_table('representative', schema=None) as batch_op:
        batch_op.drop_constraint('fk_representative_election_id', type_='foreignkey')
        batch_op.drop_column('authority')
        batch_op.drop_column('elected_on')
        batch_op.drop_column('election_id')
    # The earlier schema has no kind for an existing representative: they were recorded as
    # elected before, and are again.
    op.execute("UPDATE representative SET kind = 'elected' WHERE kind = 'existing'")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TYPE representativekind RENAME TO representativekind_0006")
        sa.Enum(*_KINDS_BEFORE, name='representativekind').create(op.get_bind())
        op.execute("ALTER TABLE representative ALTER COLUMN kind TYPE representativekind "
                   "USING kind::text::representativekind")
        op.execute("DROP TYPE representativekind_0006")
    with op.batch_alter_table('election', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_election_transfer_id'))
    op.drop_table('election')
