"""Single sign-on pages: ``GET /login/oidc`` sends the browser to the identity provider,
``GET /login/oidc/callback`` is where it comes back (the redirect URI to register there is
``PASSPORT_PUBLIC_URL`` + ``/login/oidc/callback``).

The protocol is :mod:`passport.accounts.oidc`, the account rules :mod:`passport.accounts.sso`;
this module keeps the pending login in the session and turns outcomes into pages. An account
with two-factor sign-in is not logged in by the callback: it goes on to the code form
(``/login/mfa``), like after a password, and is logged in there as ``oidc+totp`` (or
``oidc+recovery_code``). A login
that fails is shown on the login page (status 400, or 403 for a deactivated account, 502 when
the provider cannot be reached) with its code, and audited.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.mfa import has_totp
from passport.accounts.oidc import OidcClient, PendingLogin
from passport.accounts.sso import sign_in
from passport.audit import record_event
from passport.errors import Forbidden, NotFound, SsoFailed
from passport.web.auth import begin_second_factor, home_of
from passport.web.context import get_services
from passport.web.errors import status_of
from passport.web.i18n import gettext as _
from passport.web.security import rate_limited
from passport.web.sessions import login_user, safe_next

__all__ = ["bp"]

logger = logging.getLogger(__name__)

bp = Blueprint("sso", __name__)

#: Where the pending login waits in the session between the two steps.
PENDING_KEY = "oidc_pending"


@bp.app_context_processor
def _login_choices() -> dict[str, object]:
    """What the login page offers: the single sign-on button (named after the provider) and
    whether the password form is shown."""
    settings = get_services().settings
    name = None
    if settings.oidc is not None:
        name = settings.oidc.name
        if name == "single sign-on":  # the default name reads in the page's language
            name = _("single sign-on")
    return {"sso_name": name, "password_login": settings.password_login}


def _client() -> OidcClient:
    services = get_services()
    oidc = services.settings.oidc
    if oidc is None:
        raise NotFound("Single sign-on is not set up here.", code="sso_not_configured")
    return OidcClient(oidc, services.settings.public_url + url_for("sso.callback"))


@bp.get("/login/oidc")
@rate_limited("login")
def start() -> Response | WerkzeugResponse:
    client = _client()
    try:
        url, pending = client.start(
            next_path=safe_next(request.args.get("next")), now=get_services().now()
        )
    except SsoFailed as exc:
        return _failed(exc)
    session[PENDING_KEY] = pending.to_dict()
    return redirect(url)


@bp.get("/login/oidc/callback")
@rate_limited("login")
def callback() -> str | Response | WerkzeugResponse:
    client = _client()
    services = get_services()
    # One use only: whatever happens next, this pending login is spent.
    pending = PendingLogin.from_dict(session.pop(PENDING_KEY, None))
    now = services.now()
    try:
        identity = client.finish(pending, request.args, now=now)
        with services.session() as db:
            user = sign_in(
                db,
                identity,
                oidc=client.settings,
                role_groups=services.settings.role_groups,
                now=now,
            )
            user_id, role, second_factor = user.id, user.role, has_totp(user)
            if not second_factor:
                login_user(user, method="oidc")
    except (SsoFailed, Forbidden) as exc:
        logger.info("single sign-on refused: %s", exc.code)
        with services.session() as db:
            record_event(db, "sso", "login.sso_failed", None, {"code": exc.code}, at=now)
        return _failed(exc)
    if second_factor:
        # The provider vouched for the first factor only: a person who turned on two-factor
        # sign-in here gives a code too, exactly as after a password.
        return begin_second_factor(
            user_id, first_step="oidc", next_url=pending.next if pending else None
        )
    default = home_of(role)
    return redirect((pending.next if pending else None) or default)


def _failed(exc: SsoFailed | Forbidden) -> Response:
    page = render_template(
        "login.html",
        error=_(exc.message),
        error_code=exc.code,
        next="",
    )
    return Response(page, status=status_of(exc))
