"""gunicorn settings for ``make serve`` (``gunicorn -c gunicorn.conf.py wsgi:app``).

Everything comes from the environment through :meth:`passport.Settings.from_env` (workers,
timeouts, preload, log format, and ``PORT``: ``make serve`` sets 8000 unless it is given).
Put a TLS proxy in front (docs/deployment.md) or pass ``--bind`` to listen elsewhere.

- ``PASSPORT_WORKERS`` (or ``WEB_CONCURRENCY``): worker processes (default 2). Verification is
  CPU-bound and stateless, so one or two per core; scale out with more hosts.
- ``PASSPORT_WORKER_TIMEOUT``: a worker silent this long is killed and replaced (default 30 s).
- ``PASSPORT_GRACEFUL_TIMEOUT``: after SIGTERM workers finish their requests for at most this
  long before they are killed (default 30 s).
- ``PASSPORT_PRELOAD=1``: import and build the app once in the master (less memory, faster
  worker restarts). A SQLAlchemy engine must not share pooled connections across a fork, so
  :func:`post_fork` disposes the inherited pool in every worker (``close=False`` leaves the
  parent's sockets alone); each worker then opens its own connections.
- Production refuses to start (one line on stderr, exit status 1) with a weak or missing secret,
  a non-https public URL, or several workers counting rate limits each in memory
  (:meth:`passport.Settings.check_serving`; docs/deployment.md, "Hardening").
- Access log: method, path *without* query string, status, bytes, milliseconds. No referrer, no
  user agent, no query strings; share-link tokens in ``/p/<token>`` and anything secret-looking
  are removed by :class:`passport.logs.RedactionFilter` (``PASSPORT_LOG_FORMAT=json`` for JSON).
"""

from __future__ import annotations

import sys
from typing import Any

from passport.errors import ConfigError
from passport.logs import logging_dict
from passport.settings import Settings

try:
    # Development: public values only (secrets are neither required nor generated here; the
    # app reads its own). Production generates nothing, so the full settings are checked here,
    # once, before any worker starts: a weak setting stops the master with its one-line reason.
    _settings = Settings.from_env(require_secrets=False)
    if _settings.is_production:
        _settings = Settings.from_env()
    _settings.check_serving()
except ConfigError as _refused:
    sys.exit(f"Error: {_refused.message}")

bind = [f"127.0.0.1:{_settings.port}"]
workers = _settings.workers
worker_class = "sync"
timeout = _settings.worker_timeout
graceful_timeout = _settings.graceful_timeout
keepalive = 5
preload_app = _settings.preload_app
# Recycle workers now and then (with jitter, so they do not all restart at once).
max_requests = 10_000
max_requests_jitter = 1_000
# Request line and header limits (the body limit is the app's MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100

accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logconfig_dict = logging_dict(
    _settings.log_format,
    secrets=_settings.secret_values,
)


def post_fork(server: Any, worker: Any) -> None:
    """Give a worker its own connection pool when the app was built in the master."""
    app = getattr(server.app, "callable", None)
    if app is None:  # not preloaded: the worker builds its own app and engine
        return
    services = app.extensions.get("passport")
    if services is not None:
        services.engine.dispose(close=False)
