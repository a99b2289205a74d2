"""status lists, revocation, key compromise

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('status_lists',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_status_lists_issuer_id_issuers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_lists'))
    )
    with op.batch_alter_table('status_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_lists_issuer_id'), ['issuer_id'], unique=False)

    op.create_table('status_entries',
    sa.Column('status_list_id', sa.String(length=64), nullable=False),
    sa.Column('index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('credential_id', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('is_set', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['status_list_id'], ['status_lists.id'], name=op.f('fk_status_entries_status_list_id_status_lists')),
    sa.PrimaryKeyConstraint('status_list_id', 'index', name=op.f('pk_status_entries'))
    )
    with op.batch_alter_table('status_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_entries_credential_id'), ['credential_id'], unique=False)

    op.create_table('status_list_snapshots',
    sa.Column('status_list_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['status_list_id'], ['status_lists.id'], name=op.f('fk_status_list_snapshots_status_list_id_status_lists')),
    sa.PrimaryKeyConstraint('status_list_id', name=op.f('pk_status_list_snapshots'))
    )
    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revocation_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('compromised_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_column('compromised_at')

    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('revocation_reason')
        batch_op.drop_column('revoked_at')

    op.drop_table('status_list_snapshots')
    with op.batch_alter_table('status_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_entries_credential_id'))

    op.drop_table('status_entries')
    with op.batch_alter_table('status_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_lists_issuer_id'))

    op.drop_table('status_lists')
