"""SCIM provisioning: SCIM ids, userName, externalId and profile on users; SCIM groups

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scim_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('scim_user_name', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('scim_external_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('scim_profile', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True))
    # Every existing account gets its random SCIM id now (new ones get it on insert).
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('scim_id', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(scim_id=uuid.uuid4().hex)
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_users_scim_id'), ['scim_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_users_scim_user_name'), ['scim_user_name'])
        batch_op.create_index(batch_op.f('ix_users_scim_external_id'), ['scim_external_id'], unique=False)
    op.create_table('scim_groups',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_groups')),
    sa.UniqueConstraint('display_name', name=op.f('uq_scim_groups_display_name'))
    )
    op.create_table('scim_group_members',
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['scim_groups.id'], name=op.f('fk_scim_group_members_group_id_scim_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scim_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_scim_group_members'))
    )
    with op.batch_alter_table('scim_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_group_members_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scim_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_group_members_user_id'))
    op.drop_table('scim_group_members')
    op.drop_table('scim_groups')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_scim_external_id'))
        batch_op.drop_constraint(batch_op.f('uq_users_scim_user_name'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_users_scim_id'), type_='unique')
        batch_op.drop_column('modified_at')
        batch_op.drop_column('scim_profile')
        batch_op.drop_column('scim_external_id')
        batch_op.drop_column('scim_user_name')
        batch_op.drop_column('scim_id')
