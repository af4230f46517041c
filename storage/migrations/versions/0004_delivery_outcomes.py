"""Delivery outcomes: retry columns on both outboxes, what each row did at each destination,
and change counts for task messages and status cards waiting to be redrawn.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
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
    for table in ('reminder', 'evaluation_reminder'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('attempts', sa.Integer(), nullable=False, server_default='0')
            )
            batch_op.add_column(
                sa.Column('next_try_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
            )
    with op.batch_alter_table('visit_task', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('redraw_seq', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(
            sa.Column('redrawn_seq', sa.Integer(), nullable=False, server_default='0')
        )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('card_seq', sa.Integer(), nullable=False, server_default='0')
        )
    op.create_table('outbox_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outbox', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('outbox', 'row_id', 'target')
    )
    with op.batch_alter_table('outbox_send', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_send_row_id'), ['row_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_send', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_send_row_id'))
    op.drop_table('outbox_send')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('card_seq')
    with op.batch_alter_table('visit_task', schema=None) as batch_op:
        batch_op.drop_column('redrawn_seq')
        batch_op.drop_column('redraw_seq')
    for table in ('reminder', 'evaluation_reminder'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('next_try_at')
            batch_op.drop_column('attempts')
