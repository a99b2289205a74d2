"""Rendering a 50-badge passport (overview and printable page with QR codes), and export sizes.

A throwaway instance (SQLite file in a temporary folder) is initialised and one learner is
issued ``badges`` credentials (Data Integrity, every seventh a VC-JWT) across the catalog's
skills and levels. Through the test client, logged in with the form like a browser:
``/passport`` and ``/passport/print`` are rendered ``rounds`` times each and the median is
reported; the print page is also timed once with an empty QR cache (the first visitor pays
for the QR codes, later renders reuse them). Then the sizes of the downloads: the JSON export,
one baked PNG and SVG, the two ZIPs and the signed CLR.
Target (issue #6): report the median render time of a 50-badge passport with QR codes.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.users import create_user
from passport.catalog.models import AchievementDefinition
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.instance.setup import initialise
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services
from passport.web.passport_pages import inline_qr

EMAIL = "learner@bench.example"
PASSWORD = "bench password 1234"  # noqa: S105 - a throwaway benchmark instance


def _timed(client: FlaskClient, path: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get(path, headers={"Accept": "text/html"})
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed, response.data


def _size(n: int) -> str:
    return f"{n / 1024:,.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.2f} MiB"


def run(*, badges: int = 50, rounds: int = 7) -> None:
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        settings = Settings(
            env="test",
            instance_path=instance,
            database_url=f"sqlite:///{instance / 'bench.sqlite3'}",
            public_url="https://badges.bench.example",
            secret_key="bench",
            key_passphrase="bench passphrase",
        )
        app = create_app(settings)
        services = get_services(app)
        initialise(services)
        with services.session() as session:
            create_user(
                session, email=EMAIL, name="Bench Learner", role="learner", password=PASSWORD
            )
            achievements = list(
                session.scalars(select(AchievementDefinition.id).order_by(AchievementDefinition.id))
            )
        start = time.perf_counter()
        for i in range(badges):
            with services.session() as session:
                issue_credential(
                    session,
                    services,
                    IssueRequest(
                        achievements[i % len(achievements)], EMAIL, "jwt" if i % 7 == 3 else "di"
                    ),
                    now=services.now(),
                )
        issuing = time.perf_counter() - start

        client = app.test_client()
        login = client.get("/login").data.decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
        response = client.post(
            "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302

        inline_qr.cache_clear()
        cold_print, page = _timed(client, "/passport/print")
        qr_codes = page.count(b'<svg class="qr"')
        print_ms = [_timed(client, "/passport/print")[0] for _ in range(rounds)]
        overview_ms = [_timed(client, "/passport")[0] for _ in range(rounds)]
        _, overview = _timed(client, "/passport")
        assert overview.count(b'class="pp-badge ') == badges

        first = re.search(rb'/passport/badges/([^"/]+)"', overview).group(1).decode()  # type: ignore[union-attr]
        sizes = {
            "JSON export (all badges as issued)": client.get("/passport/export.json").data,
            "one baked PNG": client.get(f"/passport/badges/{first}/badge.png").data,
            "one baked SVG": client.get(f"/passport/badges/{first}/badge.svg").data,
            "ZIP of baked PNGs": client.get("/passport/export-png.zip").data,
            "ZIP of baked SVGs": client.get("/passport/export-svg.zip").data,
            "signed CLR 2.0 (JSON)": client.get("/passport/export-clr.json").data,
            "signed CLR 2.0 baked PNG": client.get("/passport/export-clr.png").data,
        }
        services.engine.dispose()

    print(f"\npassport render — {badges} badges (issued in {issuing:.1f} s), {rounds} rounds")
    print(f"  /passport              median {statistics.median(overview_ms):7.1f} ms")
    print(
        f"  /passport/print        median {statistics.median(print_ms):7.1f} ms"
        f"  ({qr_codes} inline QR codes; {cold_print:.1f} ms with an empty QR cache)"
    )
    print("  export sizes:")
    for label, body in sizes.items():
        print(f"    {label:<36} {_size(len(body)):>12}")


if __name__ == "__main__":
    run()
