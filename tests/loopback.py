"""A real HTTP server on 127.0.0.1 for tests that fetch documents (status lists, OB 2.0 badges).

``routes`` maps a path to ``(status, body)``; ``hits`` lists the paths asked for, in order.
Used through :func:`serving`, which starts it on a free port and stops it afterwards.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from werkzeug.serving import make_server

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Flask

    from passport.services import Services
    from passport.settings import Settings


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        status, body = self.server.routes.get(self.path, (404, b'{"error": "not found"}'))
        self.send_response(status)
        self.send_header("Content-Type", self.server.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, content_type: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.content_type = content_type
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.hits: list[str] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def publish(self, path: str, document: Any, status: int = 200) -> None:
        """Serve ``document`` as JSON at ``path``."""
        self.routes[path] = (status, json.dumps(document).encode())


@contextmanager
def serving(content_type: str = "application/json") -> Iterator[LoopbackServer]:
    server = LoopbackServer(content_type)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def app_settings(instance: Path, port: int, **changes: Any) -> Settings:
    """Test settings for an app served on ``127.0.0.1:port`` over a SQLite file in
    ``instance``, rate limits off (a live server's tests log in many times a minute; the
    limits have tests of their own), changed by ``changes``."""
    from passport.settings import Settings

    base = Settings(
        env="test",
        instance_path=instance,
        database_url=f"sqlite:///{instance / 'passport.sqlite3'}",
        public_url=f"http://127.0.0.1:{port}",
        secret_key="live-test-secret-key-not-for-production",
        key_passphrase="live test key-store passphrase",
        rate_limits="off",
    )
    return base.with_overrides(**changes)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving_app(app: Flask, services: Services, port: int, **server_options: Any) -> Iterator[None]:
    """``app`` on ``127.0.0.1:port`` (threaded werkzeug) until the block ends; then the server
    stops and the app's database connections close."""
    server = make_server("127.0.0.1", port, app, threaded=True, **server_options)
    thread = threading.Thread(target=server.serve_forever, name=f"app-{port}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        services.engine.dispose()
