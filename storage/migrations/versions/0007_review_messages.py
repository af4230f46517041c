"""Review messages: which part of a period's board each /review message shows (they lived in
the process's memory, lost on a restart and unknown to a second instance).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chat_id', 'message_id')
    )
    with op.batch_alter_table('review_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_message_chat_id'), ['chat_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_message_chat_id'))
    op.drop_table('review_message')
