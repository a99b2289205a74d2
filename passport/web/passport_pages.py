"""The holder's passport (``/passport``) and the share links it hands out (``/p/<token>``).

``holder`` (``/passport``, logged-in learner): badges grouped by job family with coverage
against each family's required skills, a page per badge, downloads (JSON as issued, baked
PNG/SVG one by one or zipped), a printable passport with a QR code per badge, and the
holder's share links with their view logs. Every query is scoped to ``g.user``'s holder: no
route takes a holder, and another holder's badge or link id answers exactly like an unknown one.

``share`` (``/p/<token>``, public): the badges a link shows, each verified afresh by our
verifier, with the link's expiry stated plainly; 404 for unknown tokens, 410 for revoked or
expired ones.
"""

from __future__ import annotations

import functools
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.catalog.achievements import LEVELS
from passport.catalog.models import JobFamily, JobFamilySkill
from passport.credentials.exports import (
    baked_image,
    export_clr,
    export_clr_png,
    export_clr_svg,
    export_json,
    export_vp,
    qr_png,
    qr_svg,
    select_credentials,
)
from passport.credentials.models import Holder, IssuedCredential
from passport.errors import InvalidRequest, NotFound
from passport.services import Services
from passport.sharing.links import (
    DEFAULT_DAYS,
    MAX_AUDIENCE_CHARS,
    MAX_DAYS,
    create_share_link,
    holder_share_links,
    linkedin_add_url,
    open_share_link,
    record_view,
    revoke_share_link,
    share_link_for_holder,
)
from passport.web.context import get_services
from passport.web.sessions import require_role
from verifier.jsonparse import b64url_decode

__all__ = ["BadgeView", "FamilyView", "PassportView", "bp", "build_passport", "share_bp"]

bp = Blueprint("holder", __name__, url_prefix="/passport")
share_bp = Blueprint("share", __name__)

LEVEL_NAMES: dict[int, str] = {int(lvl["level"]): str(lvl["name"]) for lvl in LEVELS}
EXPIRY_CHOICES = (7, 30, 90, 180, 365)


# -- the passport as the pages show it --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One rubric criterion of a badge: the level reached against the level required."""

    name: str
    achieved: int | None
    achieved_name: str
    required: int | None


@dataclass(frozen=True, slots=True)
class BadgeView:
    """One badge as the holder's pages show it (read from the credential as issued)."""

    id: str
    name: str
    skill_name: str
    skill_id: str | None
    description: str
    level: int
    level_name: str
    issuer_name: str
    issued_at: datetime
    valid_until: datetime | None
    status: str  # active | expired | revoked | suspended
    status_reason: str | None
    proof_format: str
    results: tuple[CriterionResult, ...]
    evidence: tuple[dict[str, str], ...]
    verify_url: str
    linkedin_url: str
    slug: str

    @property
    def counts(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One required skill of a family, with the holder's best current level for it."""

    skill_id: str
    skill_name: str
    required: int
    held: int | None
    badge: BadgeView | None

    @property
    def state(self) -> str:
        if self.held is None:
            return "missing"
        return "met" if self.held >= self.required else "below"


@dataclass(slots=True)
class FamilyView:
    id: str
    name: str
    description: str | None
    occupation: str | None
    requirements: list[Requirement]
    badges: list[BadgeView] = field(default_factory=list)

    @property
    def met(self) -> int:
        return sum(1 for r in self.requirements if r.state == "met")

    @property
    def percent(self) -> int:
        return round(100 * self.met / len(self.requirements)) if self.requirements else 0


@dataclass(slots=True)
class PassportView:
    holder_name: str
    holder_email: str
    badges: list[BadgeView]
    families: list[FamilyView]
    other: list[BadgeView]

    @property
    def active(self) -> int:
        return sum(1 for b in self.badges if b.counts)


def _stored_payload(record: IssuedCredential) -> dict[str, Any]:
    """The credential's JSON as we stored it (our own record; the pages do not re-verify it)."""
    if record.proof_format == "vc-jwt":
        payload: dict[str, Any] = json.loads(
            b64url_decode(record.content.split(b".")[1], what="payload")
        )
        vc = payload.get("vc")
        return vc if isinstance(vc, dict) else payload
    document: dict[str, Any] = json.loads(record.content)
    return document


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _results(subject: dict[str, Any]) -> tuple[CriterionResult, ...]:
    achievement = subject.get("achievement") or {}
    descriptions: dict[str, dict[str, Any]] = {}
    levels: dict[str, dict[str, Any]] = {}
    for rd in _as_list(achievement.get("resultDescription")):
        if isinstance(rd, dict) and isinstance(rd.get("id"), str):
            descriptions[rd["id"]] = rd
            for lvl in _as_list(rd.get("rubricCriterionLevel")):
                if isinstance(lvl, dict) and isinstance(lvl.get("id"), str):
                    levels[lvl["id"]] = lvl

    def number(level: dict[str, Any] | None) -> int | None:
        try:
            return int(level["level"]) if level else None
        except (KeyError, TypeError, ValueError):
            return None

    out = []
    for result in _as_list(subject.get("result")):
        if not isinstance(result, dict):
            continue
        rd = descriptions.get(str(result.get("resultDescription")), {})
        achieved = levels.get(str(result.get("achievedLevel")))
        required = levels.get(str(rd.get("requiredLevel")))
        out.append(
            CriterionResult(
                name=str(rd.get("name") or "Result"),
                achieved=number(achieved),
                achieved_name=str((achieved or {}).get("name") or result.get("value") or ""),
                required=number(required),
            )
        )
    return tuple(out)


def _evidence(document: dict[str, Any]) -> tuple[dict[str, str], ...]:
    out = []
    for item in _as_list(document.get("evidence")):
        if isinstance(item, dict):
            out.append(
                {
                    k: str(item[k])
                    for k in ("name", "narrative", "id", "genre")
                    if isinstance(item.get(k), str)
                }
            )
    return tuple(out)


def _status(record: IssuedCredential, now: datetime) -> tuple[str, str | None]:
    if record.revoked_at is not None:
        return "revoked", record.revocation_reason
    if record.suspended_at is not None:
        return "suspended", record.suspension_reason
    if record.valid_until is not None and record.valid_until <= now:
        return "expired", None
    return "active", None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "badge"


def verification_url(services: Services, credential_id: str) -> str:
    """The public verification page of a badge, under ``PASSPORT_PUBLIC_URL``."""
    return services.settings.public_url + url_for("public.credential", credential_id=credential_id)


def badge_view(services: Services, record: IssuedCredential, now: datetime) -> BadgeView:
    """Read one stored credential into what the pages show."""
    document = _stored_payload(record)
    subject = document.get("credentialSubject") or {}
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    achievement = record.achievement
    level = achievement.level or 1
    skill_name = achievement.name.split(" — ")[0]
    status, reason = _status(record, now)
    issuer_name = record.issuer.name if record.issuer else ""
    verify = verification_url(services, record.id)
    return BadgeView(
        id=record.id,
        name=achievement.name,
        skill_name=skill_name,
        skill_id=achievement.skill_id,
        description=str((subject.get("achievement") or {}).get("description") or ""),
        level=level,
        level_name=LEVEL_NAMES.get(level, ""),
        issuer_name=issuer_name,
        issued_at=record.issued_at,
        valid_until=record.valid_until,
        status=status,
        status_reason=reason,
        proof_format=record.proof_format,
        results=_results(subject),
        evidence=_evidence(document),
        verify_url=verify,
        linkedin_url=linkedin_add_url(
            name=achievement.name,
            organization=issuer_name,
            issued=record.issued_at,
            expires=record.valid_until,
            cert_url=verify,
            cert_id=record.id,
        ),
        slug=f"{_slug(skill_name)}-l{level}-{_slug(record.id)[-8:]}",
    )


def _records(session: Session, holder_id: int | None) -> list[IssuedCredential]:
    if holder_id is None:
        return []
    return list(
        session.scalars(
            select(IssuedCredential)
            .where(IssuedCredential.holder_id == holder_id)
            .options(
                selectinload(IssuedCredential.achievement),
                selectinload(IssuedCredential.issuer),
            )
            .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id)
        )
    )


def build_passport(
    session: Session, services: Services, holder_id: int | None, now: datetime
) -> PassportView:
    """The holder's badges, and each job family's coverage by the badges that count now."""
    holder = session.get(Holder, holder_id) if holder_id is not None else None
    badges = [badge_view(services, r, now) for r in _records(session, holder_id)]
    best: dict[str, BadgeView] = {}  # skill -> the highest-level badge that counts now
    for badge in badges:
        if badge.counts and badge.skill_id is not None:
            current = best.get(badge.skill_id)
            if current is None or badge.level > current.level:
                best[badge.skill_id] = badge
    families = []
    in_family: set[str] = set()
    query = select(JobFamily).options(
        selectinload(JobFamily.requirements).selectinload(JobFamilySkill.skill)
    )
    for family in session.scalars(query.order_by(JobFamily.name)):
        skills = {req.skill_id for req in family.requirements}
        view = FamilyView(
            id=family.id,
            name=family.name,
            description=family.description,
            occupation=family.occupation,
            requirements=[
                Requirement(
                    skill_id=req.skill_id,
                    skill_name=req.skill.name,
                    required=req.min_level,
                    held=best[req.skill_id].level if req.skill_id in best else None,
                    badge=best.get(req.skill_id),
                )
                for req in family.requirements
            ],
            badges=[b for b in badges if b.skill_id in skills],
        )
        in_family.update(b.id for b in view.badges)
        families.append(view)
    # Families the holder has something in come first, the best covered first.
    families.sort(key=lambda f: (not f.badges, -f.met / max(len(f.requirements), 1), f.name))
    return PassportView(
        holder_name=(holder.name or holder.email) if holder else g.user.name,
        holder_email=holder.email if holder else g.user.email,
        badges=badges,
        families=families,
        other=[b for b in badges if b.id not in in_family],
    )


def _own_record(session: Session, credential_id: str) -> IssuedCredential:
    """The logged-in holder's badge; another holder's answers exactly like an unknown id."""
    record = session.get(IssuedCredential, credential_id)
    if record is None or g.user.holder_id is None or record.holder_id != g.user.holder_id:
        raise NotFound("You have no badge with that id.", code="unknown_badge")
    return record


@functools.lru_cache(maxsize=4096)
def inline_qr(url: str) -> Markup:
    """A QR code for ``url`` as inline SVG markup (memoised: the same URL, the same picture).

    The SVG is ours (paths only: no script, no style attribute), so it is safe to inline and
    passes the strict CSP.
    """
    svg = qr_svg(url).decode("utf-8")
    svg = svg[svg.index("<svg") :]
    return Markup(  # noqa: S704 - generated by qrcode from a URL; no user markup in it
        svg.replace("<svg ", '<svg class="qr" role="img" aria-label="QR code" ', 1)
    )


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- /passport --------------------------------------------------------------------------------


def passport_page() -> str:
    """The passport overview (also what ``/my/`` shows)."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        passport = build_passport(db, services, g.user.holder_id, now)
    return render_template("passport/overview.html", passport=passport, levels=LEVEL_NAMES, now=now)


@bp.get("")
@require_role("learner")
def overview() -> str:
    return passport_page()


@bp.get("/badges/<path:credential_id>")
@require_role("learner")
def badge(credential_id: str) -> str:
    services = get_services()
    now = services.now()
    with services.session() as db:
        view = badge_view(services, _own_record(db, credential_id), now)
    return render_template("passport/badge.html", badge=view, levels=LEVEL_NAMES, now=now)


@bp.get("/badges/<path:credential_id>/badge.<any(png, svg):kind>")
@require_role("learner")
def badge_download(credential_id: str, kind: str) -> Response:
    """One baked badge as a download (a revoked or suspended one is marked on the artwork)."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        record = _own_record(db, credential_id)
        view = badge_view(services, record, now)
        image = baked_image(db, record, kind)
    return _download(image, f"image/{'png' if kind == 'png' else 'svg+xml'}", f"{view.slug}.{kind}")


@bp.get("/export.json")
@require_role("learner")
def export_all_json() -> Response:
    """Every badge exactly as issued, in one file."""
    services = get_services()
    with services.session() as db:
        records = _records(db, g.user.holder_id)
        holder = db.get(Holder, g.user.holder_id) if g.user.holder_id is not None else None
        body = export_json(records, holder=holder.email if holder else g.user.email)
    return _download(body, "application/json", f"skill-passport-{services.now():%Y-%m-%d}.json")


def baked_zip(db: Session, services: Services, records: list[IssuedCredential], kind: str) -> bytes:
    """A ZIP with every badge baked as ``kind`` (PNG or SVG), one file per badge."""
    out = io.BytesIO()
    now = services.now()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            name = badge_view(services, record, now).slug
            archive.writestr(f"{name}.{kind}", baked_image(db, record, kind))
    return out.getvalue()


@bp.get("/export-<any(png, svg):kind>.zip")
@require_role("learner")
def export_zip(kind: str) -> Response:
    services = get_services()
    with services.session() as db:
        body = baked_zip(db, services, _records(db, g.user.holder_id), kind)
    return _download(body, "application/zip", f"skill-passport-badges-{kind}.zip")


def _holder(db: Session) -> Holder:
    holder = db.get(Holder, g.user.holder_id) if g.user.holder_id is not None else None
    if holder is None:
        raise InvalidRequest("You have no badges yet.", code="no_badges")
    return holder


@bp.get("/export-clr.<any(json, png, svg):kind>")
@require_role("learner")
def export_clr_download(kind: str) -> Response:
    """A CLR 2.0 of the holder's badges that are good now, signed by the organisation (JSON, or
    baked into PNG/SVG artwork). Revoked, suspended and expired badges are left out, and the CLR
    then says ``partial``; :mod:`passport.exports` decides and verifies before release."""
    services = get_services()
    with services.session() as db:
        holder = _holder(db)
        records = select_credentials(db, holder)
        if kind == "json":
            body, mimetype = export_clr(services, db, holder, records), "application/vc+ld+json"
        elif kind == "png":
            body, mimetype = export_clr_png(services, db, holder, records), "image/png"
        else:
            body, mimetype = export_clr_svg(services, db, holder, records), "image/svg+xml"
    name = f"skill-passport-clr-{services.now():%Y-%m-%d}.{kind}"
    return _download(body, mimetype, name)


@bp.get("/export-vp.json")
@require_role("learner")
def export_vp_download() -> Response:
    """A Verifiable Presentation of the holder's badges (``?credential=`` picks some), unsigned:
    a presentation is signed only with the learner's own key, which we never hold."""
    services = get_services()
    chosen = request.args.getlist("credential") or None
    with services.session() as db:
        holder = _holder(db)
        body = export_vp(db, holder, select_credentials(db, holder, chosen))
    return _download(
        body, "application/vp+ld+json", f"skill-passport-vp-{services.now():%Y-%m-%d}.json"
    )


@bp.get("/print")
@require_role("learner")
def print_page() -> str:
    """One page per job family, each badge with a QR code to its public verification page."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        passport = build_passport(db, services, g.user.holder_id, now)
    return render_template(
        "passport/print.html", passport=passport, levels=LEVEL_NAMES, now=now, qr=inline_qr
    )


# -- share links, the holder's side -----------------------------------------------------------


def _shares_page(*, error: str | None = None, form: dict[str, Any] | None = None) -> str:
    services = get_services()
    now = services.now()
    with services.session() as db:
        links = holder_share_links(db, g.user.holder_id)
        badges = [badge_view(services, r, now) for r in _records(db, g.user.holder_id)]
    return render_template(
        "passport/shares.html",
        links=links,
        badges=badges,
        now=now,
        error=error,
        form=form or {"days": DEFAULT_DAYS, "credential": [], "audience": ""},
        expiry_choices=EXPIRY_CHOICES,
        max_days=MAX_DAYS,
        max_audience=MAX_AUDIENCE_CHARS,
    )


@bp.get("/shares")
@require_role("learner")
def shares() -> str:
    return _shares_page()


@bp.post("/shares")
@require_role("learner")
def create_share() -> Response:
    services = get_services()
    now = services.now()
    form = {
        "credential": request.form.getlist("credential"),
        "audience": request.form.get("audience", ""),
        "days": request.form.get("days", str(DEFAULT_DAYS)),
    }
    try:
        try:
            days = int(str(form["days"]).strip())
        except ValueError as exc:
            raise InvalidRequest(
                f"Choose how many days the link lasts (1 to {MAX_DAYS}).", code="invalid_expiry"
            ) from exc
        with services.session() as db:
            created = create_share_link(
                db,
                holder_id=g.user.holder_id,
                credential_ids=form["credential"],
                audience=form["audience"],
                days=days,
                now=now,
            )
            link, token = created.link, created.token
            count = len(link.credentials)
    except InvalidRequest as exc:
        return make_response(_shares_page(error=exc.message, form=form), 400)
    url = services.settings.public_url + url_for("share.shared", token=token)
    page = render_template(
        "passport/share_created.html", link=link, token=token, url=url, count=count, now=now
    )
    response = make_response(page, 201)
    # The token is in this page and nowhere else: keep it out of caches and history restores.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/shares/<int:link_id>")
@require_role("learner")
def share_detail(link_id: int) -> str:
    services = get_services()
    now = services.now()
    with services.session() as db:
        link = share_link_for_holder(db, g.user.holder_id, link_id)
        views = sorted(link.views, key=lambda v: v.viewed_at, reverse=True)
        badges = [badge_view(services, c.credential, now) for c in link.credentials]
    return render_template(
        "passport/share_detail.html", link=link, views=views, badges=badges, now=now
    )


@bp.post("/shares/<int:link_id>/revoke")
@require_role("learner")
def revoke_share(link_id: int) -> WerkzeugResponse:
    services = get_services()
    with services.session() as db:
        revoke_share_link(db, holder_id=g.user.holder_id, link_id=link_id, now=services.now())
    flash("Link revoked: it no longer opens, and what it showed has been deleted.", "ok")
    return redirect(url_for("holder.shares"))


# -- share links, the public side -------------------------------------------------------------


def _private(response: Response) -> Response:
    # The token is the URL: never send it on as a Referer, never cache it, never index it.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@share_bp.get("/p/<token>")
def shared(token: str) -> Response:
    """What a share link shows: the chosen badges, each verified now, and when the link ends."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        link = open_share_link(db, token, now=now)
        record_view(db, link, user_agent=request.headers.get("User-Agent"), now=now)
        holder = link.holder
        verifier = services.verifier(db)
        records = sorted(
            (c.credential for c in link.credentials), key=lambda r: r.issued_at, reverse=True
        )
        items = [
            {
                "badge": badge_view(services, record, now),
                "report": verifier.report(record.content, now=now),
            }
            for record in records
        ]
        page = render_template(
            "passport/shared.html",
            holder_name=holder.name or "A learner",
            link=link,
            items=items,
            days_left=math.ceil((link.expires_at - now).total_seconds() / 86400),
            now=now,
            token=token,
        )
    return _private(make_response(page))


@share_bp.get("/p/<token>/qr.<any(png, svg):kind>")
def shared_qr(token: str, kind: str) -> Response:
    """The share link as a QR code (only while the link is live; not counted as a view)."""
    services = get_services()
    with services.session() as db:
        open_share_link(db, token, now=services.now())
    url = services.settings.public_url + url_for("share.shared", token=token)
    response = make_response(qr_png(url) if kind == "png" else qr_svg(url))
    response.mimetype = "image/png" if kind == "png" else "image/svg+xml"
    return _private(response)
