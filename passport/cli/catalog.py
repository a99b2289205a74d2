"""Commands for the catalog: ``achievements``."""

from __future__ import annotations

import click
from sqlalchemy import select

from passport.cli.common import (
    cli,
    load_services,
)

__all__: list[str] = []


@cli.command("achievements")
def achievements() -> None:
    """List achievements: id, a tab, the name."""
    from passport.catalog.models import AchievementDefinition

    services = load_services()
    with services.session() as session:
        for row in session.scalars(
            select(AchievementDefinition).order_by(AchievementDefinition.id)
        ):
            click.echo(f"{row.id}\t{row.name}")
