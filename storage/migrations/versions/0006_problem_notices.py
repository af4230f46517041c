"""Problem notices: the messages that carry a problem's ✔️ Resolved button.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('problem_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chat_id', 'message_id')
    )
    with op.batch_alter_table('problem_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_problem_notice_problem_id'), ['problem_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('problem_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_notice_problem_id'))
    op.drop_table('problem_notice')
