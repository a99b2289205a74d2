"""Small behaviours of the ORM models that do not need a database."""

from __future__ import annotations

import json

from passport.catalog.models import AchievementDefinition


def _achievement(definition: str) -> AchievementDefinition:
    return AchievementDefinition(id="a", issuer_id=1, name="A", definition=definition)


def test_document_is_a_fresh_dict_each_time() -> None:
    achievement = _achievement(json.dumps({"id": "https://x.example/a", "name": "Kubernetes ✓"}))
    first = achievement.document()
    first["name"] = "changed"
    assert achievement.document() == {"id": "https://x.example/a", "name": "Kubernetes ✓"}


def test_document_keeps_integers_beyond_64_bits_exact() -> None:
    text = json.dumps({"id": "https://x.example/a", "big": 2**70 + 1})
    big = _achievement(text).document()["big"]
    assert type(big) is int and big == 2**70 + 1
