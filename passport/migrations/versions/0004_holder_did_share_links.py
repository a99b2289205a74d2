"""holder did, share links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['holders.id'], name=op.f('fk_share_links_holder_id_holders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_share_links_token_hash'))
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_holder_id'), ['holder_id'], unique=False)

    op.create_table('share_link_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('share_link_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['share_link_id'], ['share_links.id'], name=op.f('fk_share_link_views_share_link_id_share_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_link_views'))
    )
    with op.batch_alter_table('share_link_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_link_views_share_link_id'), ['share_link_id'], unique=False)

    op.create_table('share_link_credentials',
    sa.Column('share_link_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['issued_credentials.id'], name=op.f('fk_share_link_credentials_credential_id_issued_credentials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['share_link_id'], ['share_links.id'], name=op.f('fk_share_link_credentials_share_link_id_share_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('share_link_id', 'credential_id', name=op.f('pk_share_link_credentials'))
    )
    with op.batch_alter_table('holders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('did', sa.String(length=200), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('holders', schema=None) as batch_op:
        batch_op.drop_column('did')

    op.drop_table('share_link_credentials')
    with op.batch_alter_table('share_link_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_link_views_share_link_id'))

    op.drop_table('share_link_views')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_holder_id'))

    op.drop_table('share_links')
