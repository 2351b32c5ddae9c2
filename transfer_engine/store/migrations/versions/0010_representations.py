"""representations and the employer's replies (reg 13(6)-(7))

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('representation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('transfer_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('union', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reply_due', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outboxmessage.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('representation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_representation_outbox_message_id'), ['outbox_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_representation_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('representationreply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('representation_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('accepted', 'partly_accepted', 'rejected', name='replyoutcome'), nullable=False),
    sa.Column('reasons', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reasons_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('replied_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('replied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['representation_id'], ['representation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('representation_id')
    )
    with op.batch_alter_table('representationreply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_representationreply_representation_id'), ['representation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('representationreply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_representationreply_representation_id'))

    op.drop_table('representationreply')
    with op.batch_alter_table('representation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_representation_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_representation_outbox_message_id'))

    op.drop_table('representation')
    sa.Enum(name='replyoutcome').drop(op.get_bind(), checkfirst=True)
