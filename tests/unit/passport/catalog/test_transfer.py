"""Importing an uploaded catalog file: CSV or JSON by name; every refusal is a plain
InvalidRequest and stores nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from passport.audit import AuditEvent
from passport.catalog.models import JobFamily
from passport.catalog.transfer import export_catalog, import_catalog_file
from passport.errors import InvalidRequest
from passport.services import Services

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def _import(services: Services, name: str, data: bytes) -> int:
    with services.session() as db:
        return import_catalog_file(db, services, name, data, actor="admin@x", now=NOW)


def test_the_export_imports_again_unchanged_and_is_audited(services: Services) -> None:
    with services.session() as db:
        document = export_catalog(db)
    assert _import(services, "catalog.json", json.dumps(document).encode()) == 0
    with services.session() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "catalog.import")).one()
        assert event.subject == "catalog.json"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("c.json", b"\xff\xfe not utf-8", "bad_encoding"),
        ("c.json", b"{not json", "bad_json"),
        ("c.json", b"[]", "invalid_request"),
        ("c.csv", b"just,some,columns\n1,2,3\n", "bad_columns"),
    ],
)
def test_unusable_files_are_refused(services: Services, name: str, data: bytes, code: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _import(services, name, data)
    assert caught.value.code == code


def test_a_family_listing_a_skill_twice_is_refused_and_nothing_is_stored(
    services: Services,
) -> None:
    with services.session() as db:
        document = export_catalog(db)
        families = db.scalar(select(func.count()).select_from(JobFamily))
    skill = document["skills"][0]["id"]
    document["job_families"].append(
        {
            "id": "twice",
            "name": "Twice",
            "requirements": [{"skill": skill, "min_level": 1}, {"skill": skill, "min_level": 2}],
        }
    )
    with pytest.raises(InvalidRequest) as caught:
        _import(services, "c.json", json.dumps(document).encode())
    assert caught.value.code == "bad_catalog"
    with services.session() as db:
        assert db.scalar(select(func.count()).select_from(JobFamily)) == families
        assert db.get(JobFamily, "twice") is None
