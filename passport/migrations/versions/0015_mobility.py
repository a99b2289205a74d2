"""open roles and their levels, consent to be discoverable, applications, external candidates

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('discoverability',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('all_families', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_discoverability_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_discoverability'))
    )
    op.create_table('open_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('job_family_id', sa.String(length=64), nullable=False),
    sa.Column('team', sa.String(length=200), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('openings', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_open_roles_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_family_id'], ['job_families.id'], name=op.f('fk_open_roles_job_family_id_job_families')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_roles'))
    )
    with op.batch_alter_table('open_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_roles_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_roles_job_family_id'), ['job_family_id'], unique=False)

    op.create_table('discoverable_families',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('job_family_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['job_family_id'], ['job_families.id'], name=op.f('fk_discoverable_families_job_family_id_job_families'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['discoverability.user_id'], name=op.f('fk_discoverable_families_user_id_discoverability'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'job_family_id', name=op.f('pk_discoverable_families'))
    )
    with op.batch_alter_table('discoverable_families', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discoverable_families_job_family_id'), ['job_family_id'], unique=False)

    op.create_table('open_role_levels',
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.String(length=64), nullable=False),
    sa.Column('min_level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['open_roles.id'], name=op.f('fk_open_role_levels_role_id_open_roles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_open_role_levels_skill_id_skills')),
    sa.PrimaryKeyConstraint('role_id', 'skill_id', name=op.f('pk_open_role_levels'))
    )
    op.create_table('role_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('share_link_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=320), nullable=True),
    sa.ForeignKeyConstraint(['role_id'], ['open_roles.id'], name=op.f('fk_role_applications_role_id_open_roles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['share_link_id'], ['share_links.id'], name=op.f('fk_role_applications_share_link_id_share_links'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_applications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_applications')),
    sa.UniqueConstraint('role_id', 'user_id', name=op.f('uq_role_applications_role_id'))
    )
    with op.batch_alter_table('role_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_applications_role_id'), ['role_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_applications_user_id'), ['user_id'], unique=False)

    op.create_table('role_external_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('added_by', sa.String(length=320), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['role_id'], ['open_roles.id'], name=op.f('fk_role_external_candidates_role_id_open_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_external_candidates'))
    )
    with op.batch_alter_table('role_external_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_external_candidates_role_id'), ['role_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('role_external_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_external_candidates_role_id'))

    op.drop_table('role_external_candidates')
    with op.batch_alter_table('role_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_applications_user_id'))
        batch_op.drop_index(batch_op.f('ix_role_applications_role_id'))

    op.drop_table('role_applications')
    op.drop_table('open_role_levels')
    with op.batch_alter_table('discoverable_families', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discoverable_families_job_family_id'))

    op.drop_table('discoverable_families')
    with op.batch_alter_table('open_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_roles_job_family_id'))
        batch_op.drop_index(batch_op.f('ix_open_roles_created_by_id'))

    op.drop_table('open_roles')
    op.drop_table('discoverability')
