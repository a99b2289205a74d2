"""presentation requests

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('presentation_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=300), nullable=False),
    sa.Column('visitor_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presentation_requests')),
    sa.UniqueConstraint('challenge', name=op.f('uq_presentation_requests_challenge'))
    )
    with op.batch_alter_table('presentation_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presentation_requests_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_presentation_requests_visitor_hash'), ['visitor_hash'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('presentation_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presentation_requests_visitor_hash'))
        batch_op.drop_index(batch_op.f('ix_presentation_requests_expires_at'))

    op.drop_table('presentation_requests')
