"""people and their events for outcome measures; a job family's definition of productive

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'people',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_key', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
        sa.UniqueConstraint('person_key', name=op.f('uq_people_person_key')),
    )
    op.create_index(op.f('ix_people_email'), 'people', ['email'])
    op.create_table(
        'people_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=24), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('job_family_id', sa.String(length=64), nullable=True),
        sa.Column('cohort', sa.String(length=200), nullable=True),
        sa.Column('row_key', sa.String(length=64), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['person_id'], ['people.id'], name=op.f('fk_people_events_person_id_people'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['job_family_id'], ['job_families.id'],
            name=op.f('fk_people_events_job_family_id_job_families'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_people_events')),
        sa.UniqueConstraint('row_key', name=op.f('uq_people_events_row_key')),
    )
    op.create_index(op.f('ix_people_events_person_id'), 'people_events', ['person_id'])
    op.create_index('ix_people_events_event_family', 'people_events', ['event', 'job_family_id'])
    op.create_table(
        'erased_people',
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_erased_people')),
    )
    with op.batch_alter_table('job_families') as batch:
        batch.add_column(sa.Column('productive_definition', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job_families') as batch:
        batch.drop_column('productive_definition')
    op.drop_table('erased_people')
    op.drop_index('ix_people_events_event_family', table_name='people_events')
    op.drop_index(op.f('ix_people_events_person_id'), table_name='people_events')
    op.drop_table('people_events')
    op.drop_index(op.f('ix_people_email'), table_name='people')
    op.drop_table('people')
