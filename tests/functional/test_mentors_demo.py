"""``passport demo`` gives the mentor pages something to show: a mentor eligible by badge, one
by exception, sessions led with feedback from 5 or more attendees, and mentoring badges."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from passport.accounts.models import User
from passport.instance.demo import DOMAIN, load_demo, load_mentor_matching
from passport.mentoring.feedback import mentor_feedback
from passport.mentoring.matching import suggest_mentors
from passport.mentoring.models import MentorRecognition
from passport.services import Services
from passport.web.context import get_services
from tests.conftest import fresh_app, settings_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = get_services(fresh_app(settings_for(tmp_path_factory.mktemp("demo"))))
    load_demo(services)
    yield services
    services.engine.dispose()


def test_the_demo_mentors_are_matched_and_rated(services: Services) -> None:
    now = services.now()
    with services.session() as db:
        ir = suggest_mentors(db, [("incident-response", 2)], now=now)
        k8s = suggest_mentors(db, [("kubernetes-operations", 2)], now=now)
        assert [(s.email, s.reasons[0].basis) for s in ir] == [(f"mo.mentor@{DOMAIN}", "badge")]
        assert [(s.email, s.reasons[0].basis) for s in k8s] == [
            (f"mei.mentor@{DOMAIN}", "exception")
        ]
        mo = db.scalar(select(User).where(User.email == f"mo.mentor@{DOMAIN}"))
        assert mo is not None
        (report,) = mentor_feedback(db, [mo.id])
        assert report.overall.n >= 5 and report.overall.mean_usefulness is not None
        recognised = db.scalars(select(MentorRecognition.achievement_id)).all()
        assert sorted(recognised) == [
            "mentor-incident-response-5",
            "mentor-kubernetes-operations-5",
        ]


def test_loading_again_changes_nothing(services: Services) -> None:
    assert load_mentor_matching(services) == 0
    load_demo(services)
    with services.session() as db:
        assert len(db.scalars(select(MentorRecognition)).all()) == 2
