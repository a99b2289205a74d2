"""Log in and out, the second step of a two-factor sign-in, and password reset by e-mail (HTML
forms, CSRF-protected).

Sign-in attempts are throttled per account and per address with growing delays
(:mod:`passport.accounts.throttle`); a refused attempt is answered 429 with ``Retry-After``
and never looks at the password. After a correct password, an account with a second factor
gets a short-lived pending state in the session (:data:`PENDING_SECONDS`) and the code form at
``/login/mfa``; only a correct code logs it in.

Password reset: ``/login/forgot`` answers the same whether or not the address has an account
(the mail is a notification the worker sends after the commit, so the time taken says nothing
either); the link leads to ``/login/reset/<token>``. The use cases are in
:mod:`passport.accounts.reset`, the message in :mod:`passport.jobs.messages`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.mfa import BAD_CODE, has_totp, verify_second_factor
from passport.accounts.models import User
from passport.accounts.passwords import password_matches
from passport.accounts.reset import (
    RESET_LIFETIME,
    complete_reset,
    request_reset,
    reset_for,
    void_resets,
)
from passport.accounts.throttle import (
    DEVICE_LIFETIME,
    Throttle,
    account_key,
    address_key,
    device_key,
    make_throttle,
    mfa_key,
    new_device_token,
    reset_keys,
)
from passport.accounts.users import authenticate_user
from passport.audit import AuditEvent, record_event
from passport.errors import Forbidden, InvalidRequest, TooManyAttempts
from passport.jobs.notify import notify
from passport.mail import Mailer, mailer_for
from passport.settings import Settings
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.i18n import ngettext
from passport.web.security import rate_limited
from passport.web.sessions import current_user, login_user, logout_user, safe_next

__all__ = [
    "PENDING",
    "begin_second_factor",
    "bp",
    "check_current_password",
    "current_throttle",
    "home_of",
    "register",
    "too_many_sentence",
]

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

#: How long the code form of a two-factor sign-in waits after the password was right.
PENDING_SECONDS = 300
PENDING = "mfa_pending"


def _throttle() -> Throttle:
    throttle: Throttle = current_app.extensions["passport.throttle"]
    return throttle


def check_current_password(user: User, password: str, *, now: datetime) -> bool:
    """Whether ``password`` is ``user``'s, for pages that ask for it again (``/my/password``,
    turning the second factor off). Counted against the account exactly like a login, so a
    stolen session cannot guess the password there at full speed: raises
    :class:`~passport.errors.TooManyAttempts` while the account is refused."""
    keys = [account_key(user.email)]
    _throttle().check(keys, now=now)
    if user.password_hash and password_matches(user.password_hash, password):
        return True
    _throttle().fail(keys, now=now)
    return False


def current_throttle() -> Throttle:
    """The app's sign-in throttle (for other pages that check a password or a code)."""
    return _throttle()


def _mailer() -> Mailer | None:
    mailer: Mailer | None = current_app.extensions["passport.mailer"]
    return mailer


def too_many_sentence(exc: TooManyAttempts) -> str:
    """The sentence for a refused attempt, in the page's language."""
    if exc.retry_after < 120:
        return ngettext(
            "Too many attempts. Wait %(num)d second, then try again.",
            "Too many attempts. Wait %(num)d seconds, then try again.",
            exc.retry_after,
        )
    minutes = (exc.retry_after + 59) // 60
    return ngettext(
        "Too many attempts. Wait %(num)d minute, then try again.",
        "Too many attempts. Wait %(num)d minutes, then try again.",
        minutes,
    )


def _page(template: str, status: int, retry_after: int | None = None, **context: Any) -> Response:
    response = Response(render_template(template, **context), status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def home_of(role: str) -> str:
    """Where a role lands after signing in (and where "My account" leads): learners on their
    passport, analysts on the outcomes (the only pages they may see), hiring managers on their
    open roles (they see nothing of ``/admin``), other staff on the dashboard."""
    if role == "learner":
        return url_for("learner.badges")
    if role == "hiring_manager":
        return url_for("hiring.roles")
    return url_for("admin.outcomes") if role == "analyst" else url_for("admin.dashboard")


# -- password ---------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@rate_limited("login")
def login() -> str | Response | WerkzeugResponse:
    if request.method != "POST":  # GET, and HEAD (which Flask routes to the same view)
        return render_template("login.html", next=request.args.get("next", ""))
    services = get_services()
    if not services.settings.password_login:
        # PASSPORT_PASSWORD_LOGIN=off: single sign-on is the only way in.
        page = render_template(
            "login.html",
            error=_("Logging in with a password is turned off here; use single sign-on."),
            error_code="password_login_disabled",
            next=request.form.get("next", ""),
        )
        return Response(page, status=403)
    now = services.now()
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    next_url = request.form.get("next", "")
    # A browser this account signed in from before (a valid device cookie for this e-mail) is
    # counted on its own, past the account's lock: the per-address limit still applies.
    device = device_key(
        request.cookies.get(DEVICE_COOKIE),
        email,
        secret_key=services.settings.secret_key,
        now=now,
    )
    keys = [device or account_key(email), address_key(request.remote_addr)]
    try:
        _throttle().check(keys, now=now)
    except TooManyAttempts as exc:
        return _page(
            "login.html",
            429,
            exc.retry_after,
            error=too_many_sentence(exc),
            email=email[:320],
            next=next_url,
        )
    with services.session() as db:
        user = authenticate_user(db, email, password)
        if user is None:
            db.add(AuditEvent(actor=email[:200] or "?", action="login.failed"))
        else:
            # A person who remembered their password needs no reset link lying in a mailbox.
            void_resets(db, user.id, now=now)
            user_id, role, second_factor = user.id, user.role, has_totp(user)
            user_email = user.email
            if not second_factor:
                login_user(user)
                db.add(AuditEvent(actor=user.email, action="login"))
    if user is None:
        _throttle().fail(keys, now=now)
        return _page(
            "login.html",
            401,
            error=_("That e-mail and password do not match."),
            email=email[:320],
            next=next_url,
        )
    _throttle().succeed(keys[0])
    if second_factor:
        return begin_second_factor(user_id, first_step="password", next_url=next_url)
    return _remember_device(redirect(safe_next(next_url) or home_of(role)), user_email, now)


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    logout_user()
    return redirect(url_for("public.home"))


# -- second factor ----------------------------------------------------------------------------


def begin_second_factor(user_id: int, *, first_step: str, next_url: str | None) -> WerkzeugResponse:
    """The first step (``password`` or ``oidc``) was right for a user with a second factor:
    keep that in a fresh session for :data:`PENDING_SECONDS` and send them to the code form."""
    session.clear()  # nothing of the anonymous session carries over
    session[PENDING] = {
        "user_id": user_id,
        "at": get_services().now().timestamp(),
        "next": safe_next(next_url) or "",
        "first": first_step,
    }
    return redirect(url_for("auth.second_factor"), 303)


def _first_step() -> str:
    """How the pending sign-in began (shown on "My sessions" with the second factor)."""
    first = session[PENDING].get("first")
    return first if first in _FIRST_STEPS else "password"


_FIRST_STEPS = frozenset({"password", "oidc"})


def _pending_user_id() -> int | None:
    """The user whose password was right in this session a moment ago, if any."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    user_id, at = pending.get("user_id"), pending.get("at")
    if not isinstance(user_id, int) or not isinstance(at, int | float):
        return None
    if get_services().now().timestamp() - at > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return user_id


@bp.route("/login/mfa", methods=["GET", "POST"])
@rate_limited("login")
def second_factor() -> str | Response | WerkzeugResponse:
    user_id = _pending_user_id()
    if user_id is None:
        flash(_("Log in with your password first (the code form waits five minutes)."), "error")
        return redirect(url_for("auth.login"), 303)
    if request.method != "POST":
        return render_template("login_mfa.html")
    services = get_services()
    now = services.now()
    keys = [mfa_key(user_id), address_key(request.remote_addr)]
    try:
        _throttle().check(keys, now=now)
    except TooManyAttempts as exc:
        return _page("login_mfa.html", 429, exc.retry_after, error=too_many_sentence(exc))
    code = request.form.get("code", "")[:64]
    try:
        with services.session() as db:
            user = db.get(User, user_id)
            if user is None or user.deactivated_at is not None or not has_totp(user):
                session.pop(PENDING, None)
                return redirect(url_for("auth.login"), 303)
            method = verify_second_factor(
                db, user, code, now=now, secret_key=services.settings.secret_key
            )
            role, user_email = user.role, user.email
            next_url = str(session[PENDING].get("next") or "")
            first = _first_step()
            login_user(user, method=f"{first}+{method}")
            record_event(db, user.email, "login", detail={"second_factor": method}, at=now)
    except InvalidRequest:
        _throttle().fail(keys, now=now)
        return _page(
            "login_mfa.html",
            401,
            error=_(BAD_CODE),
        )
    _throttle().succeed(keys[0])
    if method == "recovery_code":
        flash(
            _(
                "You signed in with a recovery code; each works once. Make new ones on the "
                "two-factor sign-in page if few are left."
            ),
            "ok",
        )
    response = redirect(safe_next(next_url) or home_of(role))
    if first == "password":
        _remember_device(response, user_email, now)
    return response


# -- device cookie ----------------------------------------------------------------------------

#: The device cookie (OWASP "device cookie" against lockout attacks, see
#: :func:`passport.accounts.throttle.device_key`): only the sign-in pages under /login read it.
DEVICE_COOKIE = "passport_device"


def _remember_device(response: WerkzeugResponse, email: str, now: datetime) -> WerkzeugResponse:
    """Give the browser that just signed in with a password a device cookie for the account."""
    token = new_device_token(email, secret_key=get_services().settings.secret_key, now=now)
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        path="/login",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Lax",
    )
    return response


# -- password reset ---------------------------------------------------------------------------


def _not_available() -> Response:
    """The page saying reset by e-mail is not offered here (no mail set up in production, or
    PASSPORT_PASSWORD_LOGIN=off, where a password would open nothing); 403 to a form post."""
    status = 403 if request.method == "POST" else 200
    return _page("forgot.html", status, available=False)


@bp.route("/login/forgot", methods=["GET", "POST"])
@rate_limited("login")
def forgot() -> str | Response | WerkzeugResponse:
    mailer = _mailer()
    services = get_services()
    if mailer is None or not services.settings.password_login:
        return _not_available()
    if request.method != "POST":
        return render_template("forgot.html", available=True)
    now = services.now()
    email = request.form.get("email", "").strip()[:320]
    try:
        _throttle().attempt(reset_keys(email, request.remote_addr), now=now)
    except TooManyAttempts as exc:
        return _page(
            "forgot.html",
            429,
            exc.retry_after,
            available=True,
            email=email,
            error=too_many_sentence(exc),
        )
    with services.session() as db:
        link = request_reset(db, email, now=now)
        if link is not None:
            # The worker sends it after the commit; the link travels encrypted in the row.
            url = services.settings.public_url + url_for("auth.reset", token=link.token)
            notify(
                db,
                services,
                kind="password_reset",
                key=f"password_reset:{link.id}:{now.isoformat()}",
                to=link.user.email,
                user_id=link.user.id,
                locale=link.user.locale or "en",
                context={"minutes": int(RESET_LIFETIME.total_seconds() // 60)},
                secret=url,
            )
    return render_template("forgot.html", available=True, sent=True)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@rate_limited("login")
def reset(token: str) -> str | Response | WerkzeugResponse:
    services = get_services()
    if not services.settings.password_login:
        return _not_available()
    now = services.now()
    if request.method != "POST":
        try:
            with services.session() as db:
                reset_for(db, token, now=now)
        except InvalidRequest as exc:
            return _page("reset.html", 400, error=_(exc.message), broken=True, token=token)
        return render_template("reset.html", token=token)
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        return _page(
            "reset.html",
            400,
            error=_("The two passwords differ; type the same new password twice."),
            token=token,
        )
    try:
        with services.session() as db:
            email = complete_reset(db, token, password, now=now).email
    except InvalidRequest as exc:
        broken = exc.code == "reset_link_invalid"
        return _page("reset.html", 400, error=_(exc.message), broken=broken, token=token)
    # Whoever kept the account locked guessed at the old password: the new one starts afresh.
    _throttle().succeed(account_key(email))
    logout_user()
    flash(_("Your password is changed. Log in with it now."), "ok")
    return redirect(url_for("auth.login"), 303)


# -- administrators must enrol ----------------------------------------------------------------

#: What an administrator without a second factor may still open under
#: ``PASSPORT_REQUIRE_MFA_ADMIN=1``: the enrolment pages, logging out, and static files.
_OPEN_TO_UNENROLLED = frozenset({"mfa.show", "mfa.qr", "mfa.enable", "auth.logout", "static"})


def _require_admin_mfa() -> WerkzeugResponse | None:
    if request.endpoint in _OPEN_TO_UNENROLLED or "user_id" not in session:
        return None
    services = get_services()
    with services.sessions() as db:
        user = current_user(db)
        needs = user is not None and user.role == "admin" and not has_totp(user)
        g.pop("passport_user", None)  # let require_role load it in its own session
    if not needs:
        return None
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("mfa.show"), 303)
    raise Forbidden(
        _("Administrators must set up two-factor sign-in before anything else."),
        code="mfa_required",
    )


def register(app: Flask, settings: Settings) -> None:
    """Install the sign-in pages, the two-factor pages, the throttle and the mailer."""
    from passport.web import mfa

    services = get_services(app)
    app.extensions["passport.throttle"] = make_throttle(settings.redis_url, services.sessions)
    app.extensions["passport.mailer"] = mailer_for(
        mail_url=settings.mail_url,
        mail_from=settings.mail_from,
        public_url=settings.public_url,
        instance_path=settings.instance_path,
        production=settings.is_production,
    )
    app.register_blueprint(bp)
    app.register_blueprint(mfa.bp)
    if settings.require_mfa_admin:
        app.before_request(_require_admin_mfa)
