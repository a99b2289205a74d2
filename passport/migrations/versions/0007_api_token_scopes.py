"""API token scopes, expiry, creator and unique names; the assessor an API caller named

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

Tokens made before scopes existed keep what they could do: issue, change a badge's status,
record assessments, be sent along to verify (and read). Not ``scim``. Names that repeat get " (2)", " (3)" … so that
the unique constraint can hold; the first token of a name (lowest id) keeps it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: passport.accounts.tokens.MIGRATED_SCOPES, written out: a migration never changes meaning.
MIGRATED_SCOPES = 'credentials:issue credentials:status assessments:write verify read'
NAME_LENGTH = 100

tokens = sa.table(
    'api_tokens',
    sa.column('id', sa.Integer()),
    sa.column('name', sa.String()),
    sa.column('scopes', sa.String()),
)


def _unique_names(rows: list[tuple[int, str]]) -> dict[int, str]:
    """New names for the rows whose name an earlier row (lower id) already has."""
    taken = {name for _, name in rows}
    seen: set[str] = set()
    renamed: dict[int, str] = {}
    for token_id, name in sorted(rows):
        if name not in seen:
            seen.add(name)
            continue
        number = 2
        while True:
            suffix = f' ({number})'
            candidate = name[: NAME_LENGTH - len(suffix)] + suffix
            if candidate not in taken:
                break
            number += 1
        taken.add(candidate)
        seen.add(candidate)
        renamed[token_id] = candidate
    return renamed


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    bind.execute(tokens.update().values(scopes=MIGRATED_SCOPES))
    rows = [(row.id, row.name) for row in bind.execute(sa.select(tokens.c.id, tokens.c.name))]
    for token_id, name in _unique_names(rows).items():
        bind.execute(tokens.update().where(tokens.c.id == token_id).values(name=name))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('scopes', existing_type=sa.String(length=300), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_api_tokens_name'), ['name'])
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessor_named', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('assessor_named')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_api_tokens_name'), type_='unique')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('created_by')
        batch_op.drop_column('scopes')
