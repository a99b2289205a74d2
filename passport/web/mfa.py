"""``/my/mfa``: a signed-in person turns two-factor sign-in (TOTP) on or off.

Turning it on: the page makes a secret (kept in the session until confirmed), shows it as a QR
code (an ``<img>`` of the same-origin SVG ``/my/mfa/qr.svg``: no inline script or markup) and
as text to type in, and asks for one code from the app;
:func:`passport.accounts.mfa.enable_totp` then stores it and the ten recovery codes are shown,
once. Turning it off needs the password and a code; an
account that signs in only through single sign-on has no password, so a code alone. The use
cases are in :mod:`passport.accounts.mfa`.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.mfa import (
    disable_totp,
    enable_totp,
    has_totp,
    issuer_label,
    new_secret,
    provisioning_uri,
    renew_recovery_codes,
    unused_recovery_codes,
)
from passport.accounts.models import User
from passport.accounts.throttle import account_key, mfa_key
from passport.accounts.users import ROLES
from passport.credentials.exports import qr_svg
from passport.errors import InvalidRequest, NotFound, TooManyAttempts
from passport.web.auth import current_throttle, too_many_sentence
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__ = ["bp"]

bp = Blueprint("mfa", __name__, url_prefix="/my")

ENROL = "mfa_enrol_secret"


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    error_field: str = "",
    retry_after: int | None = None,
) -> Response:
    services = get_services()
    with services.sessions() as db:
        user = db.get(User, g.user.id)
        if user is None:
            raise NotFound(_("No user with that id."), code="unknown_user")
        enrolled = has_totp(user)
        left = unused_recovery_codes(db, user) if enrolled else 0
        context: dict[str, object] = {
            "enrolled": enrolled,
            "codes_left": left,
            "has_password": bool(user.password_hash),
        }
        if not enrolled:
            secret = session.get(ENROL)
            if not isinstance(secret, str):
                secret = session[ENROL] = new_secret()
            context.update(secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)])
    page = render_template("mfa.html", error=error, error_field=error_field, **context)
    response = Response(page, status=status)
    response.headers["Cache-Control"] = "no-store"  # the secret is on the page
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _refused(exc: TooManyAttempts, error_field: str) -> Response:
    return _page(
        429, error=too_many_sentence(exc), error_field=error_field, retry_after=exc.retry_after
    )


@bp.get("/mfa")
@require_role(*ROLES)
def show() -> Response:
    return _page()


@bp.get("/mfa/qr.svg")
@require_role(*ROLES)
def qr() -> Response:
    """The QR code of the secret being enrolled, as a same-origin SVG image (never a URL from
    data in the page)."""
    secret = session.get(ENROL)
    if not isinstance(secret, str):
        raise NotFound(
            _("No two-factor set-up is under way; open the two-factor sign-in page again."),
            code="no_enrolment",
        )
    issuer = issuer_label(get_services().settings.public_url)
    response = Response(
        qr_svg(provisioning_uri(secret, g.user.email, issuer)), mimetype="image/svg+xml"
    )
    response.headers["Cache-Control"] = "no-store"  # the secret is in the picture
    return response


@bp.post("/mfa/enable")
@require_role(*ROLES)
def enable() -> Response | WerkzeugResponse:
    secret = session.get(ENROL)
    if not isinstance(secret, str):
        return redirect(url_for("mfa.show"), 303)
    services = get_services()
    try:
        with services.session() as db:
            user = db.get(User, g.user.id)
            if user is None or has_totp(user):
                return redirect(url_for("mfa.show"), 303)
            codes = enable_totp(
                db,
                user,
                secret,
                request.form.get("code", "")[:64],
                now=services.now(),
                secret_key=services.settings.secret_key,
            )
    except InvalidRequest as exc:
        return _page(400, error=_(exc.message), error_field="code")
    session.pop(ENROL, None)
    response = Response(render_template("mfa_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/mfa/disable")
@require_role(*ROLES)
def disable() -> Response | WerkzeugResponse:
    services = get_services()
    now = services.now()
    # The password and the code asked for here are counted like at sign-in (the account's and
    # the code counter), so a stolen session cannot guess either at full speed.
    password_key, code_key = account_key(g.user.email), mfa_key(g.user.id)
    throttle = current_throttle()
    try:
        throttle.check([password_key, code_key], now=now)
        with services.session() as db:
            user = db.get(User, g.user.id)
            if user is None or not has_totp(user):
                return redirect(url_for("mfa.show"), 303)
            has_password = bool(user.password_hash)
            disable_totp(
                db,
                user,
                password=request.form.get("password", ""),
                code=request.form.get("code", "")[:64],
                now=now,
                secret_key=services.settings.secret_key,
            )
    except TooManyAttempts as exc:
        return _refused(exc, "password" if g.user.password_hash else "code")
    except InvalidRequest as exc:
        wrong_password = exc.code == "wrong_password"
        throttle.fail([password_key if wrong_password else code_key], now=now)
        return _page(
            400, error=_(exc.message), error_field="password" if wrong_password else "code"
        )
    if has_password:
        flash(_("Two-factor sign-in is off. You sign in with your password alone."), "ok")
    else:
        flash(_("Two-factor sign-in is off. You sign in through single sign-on alone."), "ok")
    return redirect(url_for("mfa.show"), 303)


@bp.post("/mfa/recovery-codes")
@require_role(*ROLES)
def renew_codes() -> Response | WerkzeugResponse:
    services = get_services()
    now = services.now()
    code_key = mfa_key(g.user.id)
    throttle = current_throttle()
    try:
        throttle.check([code_key], now=now)
        with services.session() as db:
            user = db.get(User, g.user.id)
            if user is None or not has_totp(user):
                return redirect(url_for("mfa.show"), 303)
            codes = renew_recovery_codes(
                db,
                user,
                request.form.get("code", "")[:64],
                now=now,
                secret_key=services.settings.secret_key,
            )
    except TooManyAttempts as exc:
        return _refused(exc, "renew-code")
    except InvalidRequest as exc:
        throttle.fail([code_key], now=now)
        return _page(400, error=_(exc.message), error_field="renew-code")
    response = Response(render_template("mfa_codes.html", codes=codes, renewed=True))
    response.headers["Cache-Control"] = "no-store"
    return response
