"""The events API (issue #21): upcoming micro-mentoring events, and signing up to one.

``GET /api/v1/events`` (filters ``skill``, ``level`` — that level or above — ``format``, and
``page``; answers ``{"items": [...], "total"}``) and ``GET /api/v1/events/<id>`` take a bearer
token with the ``read`` scope, or the signed-in person's session (who then also sees their own
place, and gets the session's CSRF token in the ``X-CSRF-Token`` header).

``POST`` and ``DELETE /api/v1/events/<id>/signup`` sign the signed-in person up or cancel their
place, by their session cookie — no token — with the session's CSRF token in an
``X-CSRF-Token`` header (as ``/api/v1/me/discoverability``). A full event is not an error: the
answer is ``{"status": "waitlisted", "position": n}``. A new place answers 201, an unchanged
one 200. Errors keep their codes: ``unknown_event`` (404), ``event_started``,
``event_cancelled``, ``own_event`` (409), ``login_required`` (401), ``csrf_failed`` (403).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from passport.accounts.models import User
from passport.cohorts.models import MentoringSession
from passport.mentoring import events as use_cases
from passport.services import Services
from passport.web.admin.common import PAGE_SIZE, page_number
from passport.web.context import get_services
from passport.web.mobility_api import _check_csrf_header, _no_store, _signed_in, _token
from passport.web.security import csrf_exempt, csrf_token, rate_limited

__all__ = ["bp", "event_json"]

bp = Blueprint("events_api", __name__, url_prefix="/api/v1")


def event_json(
    event: MentoringSession,
    *,
    base: str,
    waiting: int,
    mine: tuple[str, int | None] | None = None,
    signed_in: bool = False,
) -> dict[str, Any]:
    """One event as the API shows it (times in UTC, and the start in the event's zone)."""
    zone = ZoneInfo(event.time_zone or "UTC")
    payload: dict[str, Any] = {
        "id": event.id,
        "url": f"{base}/events/{event.id}",
        "title": event.title,
        "learningOutcome": event.learning_outcome,
        "skill": event.skill_id,
        "level": event.level,
        "format": event.format,
        "shadowSlot": event.shadow_slot,
        "startsAt": event.starts_at.isoformat(),
        "endsAt": (event.starts_at + timedelta(minutes=event.minutes)).isoformat(),
        "localStart": event.starts_at.astimezone(zone).isoformat(),
        "timeZone": zone.key,
        "minutes": event.minutes,
        "place": event.place,
        "meetingUrl": event.meeting_url,
        "capacity": event.capacity,
        "seatsTaken": event.seats_taken,
        "seatsLeft": None if event.capacity is None else max(event.capacity - event.seats_taken, 0),
        "waitlisted": waiting,
        "sequence": event.sequence,
        "cancelled": event.cancelled_at is not None,
    }
    if signed_in:
        payload["myStatus"] = mine[0] if mine else None
        payload["myPosition"] = mine[1] if mine else None
    return payload


def _reader(services: Services) -> User | None:
    """The signed-in person, or None when a ``read`` token asks (401/403 otherwise)."""
    if request.headers.get("Authorization"):
        _token(services, services.now(), "read")
        return None
    return _signed_in(services)


def _answer(payload: dict[str, Any], user: User | None, status: int = 200) -> Response:
    response = _no_store(jsonify(payload))
    response.status_code = status
    if user is not None:
        response.headers["X-CSRF-Token"] = csrf_token()
        response.vary.add("Cookie")
    return response


@bp.get("/events")
@rate_limited("api", methods=("GET",))
def list_events() -> Response:
    """Upcoming, not cancelled events, soonest first, 50 a page."""
    services = get_services()
    user = _reader(services)
    now = services.now()
    wanted = use_cases.check_filter(
        request.args.get("skill", "").strip()[:64] or None,
        request.args.get("level"),
        request.args.get("format"),
    )
    base = services.settings.public_url.rstrip("/")
    with services.session() as db:
        total = use_cases.count_events(db, now=now, wanted=wanted)
        rows = use_cases.upcoming_events(
            db, now=now, wanted=wanted, limit=PAGE_SIZE, offset=(page_number() - 1) * PAGE_SIZE
        )
        ids = [e.id for e in rows]
        waiting = use_cases.waitlist_counts(db, ids)
        mine = use_cases.signup_states(db, user, ids) if user is not None else {}
        items = [
            event_json(
                e,
                base=base,
                waiting=waiting.get(e.id, 0),
                mine=mine.get(e.id),
                signed_in=user is not None,
            )
            for e in rows
        ]
    return _answer({"items": items, "total": total}, user)


@bp.get("/events/<int:event_id>")
@rate_limited("api", methods=("GET",))
def get_event(event_id: int) -> Response:
    services = get_services()
    user = _reader(services)
    base = services.settings.public_url.rstrip("/")
    with services.session() as db:
        event = use_cases.find_event(db, event_id)
        waiting = use_cases.waitlist_counts(db, [event.id])
        mine = use_cases.signup_states(db, user, [event.id]) if user is not None else {}
        payload = event_json(
            event,
            base=base,
            waiting=waiting.get(event.id, 0),
            mine=mine.get(event.id),
            signed_in=user is not None,
        )
    return _answer(payload, user)


@bp.post("/events/<int:event_id>/signup")
@csrf_exempt  # checked below, after the session, from the X-CSRF-Token header
@rate_limited("api", methods=("POST",))
def sign_up(event_id: int) -> Response:
    """Sign the signed-in person up: ``{"status": "confirmed"|"waitlisted", "position"}``."""
    services = get_services()
    user = _signed_in(services)
    _check_csrf_header()
    with services.session() as db:
        outcome = use_cases.sign_up(db, services, event_id, user, now=services.now())
    payload = {"event": event_id, "status": outcome.status, "position": outcome.position}
    return _answer(payload, user, 201 if outcome.created else 200)


@bp.delete("/events/<int:event_id>/signup")
@csrf_exempt  # checked below, after the session, from the X-CSRF-Token header
@rate_limited("api", methods=("DELETE",))
def cancel_signup(event_id: int) -> Response:
    """Cancel the signed-in person's place: ``{"status": "cancelled", "promoted": bool}``."""
    services = get_services()
    user = _signed_in(services)
    _check_csrf_header()
    with services.session() as db:
        use_cases.find_event(db, event_id)
        promoted = use_cases.cancel_signup(db, services, event_id, user, now=services.now())
    return _answer(
        {"event": event_id, "status": "cancelled", "promoted": promoted is not None}, user
    )
