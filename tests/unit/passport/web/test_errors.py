"""Each application error has one HTTP status, decided in one table (passport.web.errors)."""

from __future__ import annotations

import pytest

from passport import errors
from passport.web.errors import STATUSES, status_of


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.PassportError(), 400),
        (errors.InvalidRequest(code="bad_email"), 400),
        (errors.Unauthorized(), 401),
        (errors.Forbidden(), 403),
        (errors.NotFound(), 404),
        (errors.NotAcceptable(), 406),
        (errors.ShareLinkGone(), 410),
        (errors.ShareLinkRevoked(), 410),
        (errors.ShareLinkExpired(), 410),
        (errors.UnsupportedMediaType(), 415),
        (errors.ConfigError(), 500),
        (errors.BackupError(code="tampered"), 500),
        (errors.SsoFailed(code="sso_state_mismatch"), 400),
        (errors.SsoProviderUnavailable(), 502),
    ],
)
def test_status_of_each_error(error: errors.PassportError, status: int) -> None:
    assert status_of(error) == status


def test_every_error_class_of_the_tree_is_drawn_and_has_a_status_rule() -> None:
    classes = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.PassportError)
    }
    assert {name for name in errors.__all__} == {cls.__name__ for cls in classes}
    for cls in classes:
        assert cls.__name__ in (errors.__doc__ or ""), cls
        assert cls is errors.PassportError or any(issubclass(cls, rule) for rule, _ in STATUSES)
