"""Configuration, read once from the environment by :meth:`Settings.from_env`.

This is the only code that reads ``PASSPORT_*`` variables. Production is the default
environment and refuses to start without its secrets; development generates stand-ins (a
secret key and a key-store passphrase, kept 0600 in the instance folder) and says so loudly with
:class:`DevelopmentWarning`.
"""

from __future__ import annotations

import os
import re
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from keys.strength import MIN_PASSPHRASE_BITS, estimate_bits, looks_like_random_key
from passport.errors import ConfigError

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "DevelopmentWarning",
    "OidcSettings",
    "Settings",
    "parse_rate_limits",
    "parse_role_groups",
]

ENVIRONMENTS = ("production", "development", "test")

#: Per-client limits when ``PASSPORT_RATE_LIMITS`` says nothing about a category.
#: ``verify``: POST /api/v1/verify and the /verify page's POST; ``login``: POST /login;
#: ``api``: the bearer-token API endpoints.
DEFAULT_RATE_LIMITS: Mapping[str, str] = {
    "verify": "60/minute",
    "login": "10/minute",
    "api": "120/minute",
}


def parse_rate_limits(spec: str | None) -> dict[str, str | None]:
    """The limit per category for a ``PASSPORT_RATE_LIMITS`` value; None means no limit.

    ``None`` or empty gives the defaults; ``off`` turns every category off; otherwise
    ``category=limit;…`` where a limit is flask-limiter's notation (``60/minute``, several
    joined by commas) or ``off``. Categories not named keep their default.
    Raises :class:`~passport.errors.ConfigError` for unknown categories or unreadable limits.
    """
    from limits import parse_many

    rules: dict[str, str | None] = dict(DEFAULT_RATE_LIMITS)
    text = (spec or "").strip()
    if text.lower() == "off":
        return dict.fromkeys(rules)
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, value = (x.strip() for x in part.partition("="))
        if not sep or name not in rules or not value:
            raise ConfigError(
                "PASSPORT_RATE_LIMITS must be 'off' or 'category=limit;…' with categories "
                f"{', '.join(rules)} (for example 'verify=60/minute;login=10/minute')."
            )
        if value.lower() == "off":
            rules[name] = None
            continue
        try:
            parse_many(value)
        except ValueError as exc:
            raise ConfigError(
                f"PASSPORT_RATE_LIMITS: {value!r} for {name} is not a limit like '60/minute'."
            ) from exc
        rules[name] = value
    return rules


#: The role names (``passport.accounts.users.ROLES``, repeated here because settings import no
#: domain; a test keeps the two equal).
ROLE_NAMES = ("admin", "assessor", "mentor", "hiring_manager", "analyst", "learner")


def parse_role_groups(spec: str | None) -> dict[str, str]:
    """The role each identity-provider group gives, from ``PASSPORT_ROLE_GROUPS``.

    ``sp-admins=admin,sp-assessors=assessor`` (commas or semicolons between pairs; group names
    are compared exactly as the provider sends them). Empty: no group gives a role.
    Raises :class:`~passport.errors.ConfigError` for a pair without ``=`` or an unknown role.
    """
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (spec or "").replace(";", ",").split(","))):
        group, sep, role = (x.strip() for x in part.rpartition("="))
        if not sep or not group or role not in ROLE_NAMES:
            raise ConfigError(
                "PASSPORT_ROLE_GROUPS must be 'group=role,…' with roles "
                f"{', '.join(ROLE_NAMES)} (for example 'sp-admins=admin,sp-mentors=mentor')."
            )
        mapping[group] = role
    return mapping


def _switch(env_vars: Mapping[str, str], name: str, default: bool) -> bool:
    text = env_vars.get(name, "").strip().lower()
    if not text:
        return default
    if text in ("1", "on", "true", "yes"):
        return True
    if text in ("0", "off", "false", "no"):
        return False
    raise ConfigError(f"{name} must be 'on' or 'off'.")


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """Single sign-on with an OpenID Connect provider (docs/deployment.md)."""

    #: ``PASSPORT_OIDC_ISSUER``: the provider's issuer URL; its discovery document is at
    #: ``<issuer>/.well-known/openid-configuration``.
    issuer: str
    #: ``PASSPORT_OIDC_CLIENT_ID`` / ``PASSPORT_OIDC_CLIENT_SECRET``: this service as the
    #: provider registered it (a confidential client: the secret authenticates the code exchange).
    client_id: str
    client_secret: str
    #: ``PASSPORT_OIDC_SCOPES``: asked for at every login; always includes ``openid``.
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    #: ``PASSPORT_OIDC_ROLE_CLAIM``: the claim holding the person's groups (or roles).
    role_claim: str = "groups"
    #: ``PASSPORT_OIDC_ALLOWED_DOMAINS``: e-mail domains whose people get an account at their
    #: first login (just in time); empty: only people who already have an account sign in.
    allowed_domains: tuple[str, ...] = ()
    #: ``PASSPORT_OIDC_DEFAULT_ROLE``: the role when no group maps to one.
    default_role: str = "learner"
    #: ``PASSPORT_OIDC_NAME``: how the login page names the provider ("Sign in with …").
    name: str = "single sign-on"
    #: ``PASSPORT_OIDC_TRUST_EMAIL``: ``on`` takes the provider's ``email`` as verified when it
    #: sends no ``email_verified`` claim (Entra ID), for a provider whose tenant owns every
    #: address it issues. An explicit ``email_verified: false`` is refused either way.
    trust_email: bool = False

    @classmethod
    def from_env(cls, env_vars: Mapping[str, str], *, production: bool) -> OidcSettings | None:
        """The single sign-on settings, or None when ``PASSPORT_OIDC_ISSUER`` is not set."""
        issuer = env_vars.get("PASSPORT_OIDC_ISSUER", "").strip().rstrip("/")
        if not issuer:
            return None
        if not issuer.startswith(("https://", "http://")):
            raise ConfigError("PASSPORT_OIDC_ISSUER must be the provider's https:// URL.")
        if production and not issuer.startswith("https://"):
            raise ConfigError(
                "PASSPORT_OIDC_ISSUER must be an https:// URL in production (the provider's "
                "keys and tokens travel over it)."
            )
        client_id = env_vars.get("PASSPORT_OIDC_CLIENT_ID", "").strip()
        client_secret = env_vars.get("PASSPORT_OIDC_CLIENT_SECRET", "").strip()
        if not client_id or not client_secret:
            raise ConfigError(
                "Single sign-on needs PASSPORT_OIDC_CLIENT_ID and PASSPORT_OIDC_CLIENT_SECRET "
                "(the client this service is registered as at the provider)."
            )
        if production and len(client_secret) < MIN_PASSPHRASE_CHARS:
            # Providers issue 32 characters or more; a shorter one is a typo or a made-up
            # value, and log redaction (passport.logs) only hides secrets this long.
            raise ConfigError(
                f"PASSPORT_OIDC_CLIENT_SECRET must have at least {MIN_PASSPHRASE_CHARS} "
                "characters in production: use the secret the identity provider generated."
            )
        scopes = tuple(
            dict.fromkeys((env_vars.get("PASSPORT_OIDC_SCOPES") or "openid email profile").split())
        )
        if "openid" not in scopes:
            raise ConfigError("PASSPORT_OIDC_SCOPES must include 'openid'.")
        role_claim = env_vars.get("PASSPORT_OIDC_ROLE_CLAIM", "").strip() or "groups"
        domains = tuple(
            d.strip().lower().lstrip("@")
            for d in env_vars.get("PASSPORT_OIDC_ALLOWED_DOMAINS", "").split(",")
            if d.strip()
        )
        bad = [d for d in domains if "." not in d or any(c in d for c in "@/ ")]
        if bad:
            raise ConfigError(
                "PASSPORT_OIDC_ALLOWED_DOMAINS must be e-mail domains separated by commas "
                f"(for example 'example.org,example.com'); {bad[0]!r} is not one."
            )
        default_role = env_vars.get("PASSPORT_OIDC_DEFAULT_ROLE", "").strip() or "learner"
        if default_role not in ROLE_NAMES:
            raise ConfigError(f"PASSPORT_OIDC_DEFAULT_ROLE must be one of {', '.join(ROLE_NAMES)}.")
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            role_claim=role_claim,
            allowed_domains=domains,
            default_role=default_role,
            name=env_vars.get("PASSPORT_OIDC_NAME", "").strip() or "single sign-on",
            trust_email=_switch(env_vars, "PASSPORT_OIDC_TRUST_EMAIL", False),
        )


class DevelopmentWarning(UserWarning):
    """A development stand-in is in use (generated secrets, http URLs): never in production."""


def _read_or_create_secret(path: Path, what: str) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    warnings.warn(
        f"Development mode: generated a {what} and stored it in {path.name} in the instance "
        "folder. Set it from the environment in production.",
        DevelopmentWarning,
        stacklevel=3,
    )
    return value


#: How to make a good secret, said by every refusal of a weak one.
MAKE_A_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"  # noqa: S105


#: A production key-store passphrase has at least this many characters as well as about 80
#: bits: a short mixed-class word (``Password12345!``) scores 85 bits by its alphabet alone, and
#: log redaction (:data:`passport.logs.MIN_REDACTED_SECRET`, 16) only replaces secrets this
#: long, so every passphrase production accepts is also one redaction can hide.
MIN_PASSPHRASE_CHARS = 16


def _weak_production_setting(public_url: str, secret_key: str, passphrase: str) -> str | None:
    """The one-line reason production refuses these values, or None when they will do.

    The estimates are :mod:`keys.strength`'s (documented there): a secret key must look like
    32 random bytes or more, the passphrase carry about 80 bits, and every published URL be
    https (share links, status lists and issuer ids are handed to other parties).
    """
    parts = urlsplit(public_url)
    if parts.scheme != "https" or not parts.hostname:
        return (
            "PASSPORT_PUBLIC_URL must be an https:// URL in production (TLS may end at a proxy "
            "in front; see docs/deployment.md)."
        )
    if not looks_like_random_key(secret_key):
        return (
            "PASSPORT_SECRET_KEY is too weak: it must be at least 32 random bytes; make one with "
            f"{MAKE_A_SECRET}"
        )
    if len(passphrase) < MIN_PASSPHRASE_CHARS or estimate_bits(passphrase) < MIN_PASSPHRASE_BITS:
        return (
            f"PASSPORT_KEY_PASSPHRASE is too weak (under {MIN_PASSPHRASE_CHARS} characters or "
            f"about {MIN_PASSPHRASE_BITS} bits); make one with {MAKE_A_SECRET}"
        )
    return None


def _positive_int(env_vars: Mapping[str, str], name: str, default: str) -> int:
    text = env_vars.get(name) or default
    try:
        value = int(text)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number.") from exc
    if value < 1:
        raise ConfigError(f"{name} must be at least 1.")
    return value


def _proxy_hops(env_vars: Mapping[str, str]) -> int:
    text = env_vars.get("PASSPORT_PROXY_HOPS") or "0"
    try:
        value = int(text)
    except ValueError as exc:
        raise ConfigError("PASSPORT_PROXY_HOPS must be a whole number.") from exc
    if not 0 <= value <= 5:
        raise ConfigError("PASSPORT_PROXY_HOPS must be between 0 and 5.")
    return value


def _queue_name(text: str) -> str:
    name = text.strip() or "passport"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", name):
        raise ConfigError(
            "PASSPORT_QUEUE_NAME may hold letters, digits, '.', '_' and '-' (at most 60)."
        )
    return name


def _retry_seconds(text: str) -> float:
    try:
        value = float(text.strip() or "30")
    except ValueError as exc:
        raise ConfigError("PASSPORT_JOB_RETRY_SECONDS must be a number of seconds.") from exc
    if not 0.01 <= value <= 3600:
        raise ConfigError("PASSPORT_JOB_RETRY_SECONDS must be between 0.01 and 3600.")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs to know about its deployment."""

    env: str
    instance_path: Path
    database_url: str
    public_url: str
    secret_key: str
    key_passphrase: str
    #: ``PASSPORT_REDIS_URL``: shared rate-limit counters for several workers (memory if None).
    redis_url: str | None = None
    #: ``PASSPORT_RATE_LIMITS`` as given (see :func:`parse_rate_limits`); None: the defaults.
    rate_limits: str | None = None
    #: ``PORT``: the loopback port of ``passport serve`` (5000) or ``make serve`` (8000, set by
    #: the Makefile); the development public URL names it.
    port: int = 5000
    #: ``PASSPORT_STATUS_PURPOSES``: the Bitstring Status List purposes every credential gets an
    #: entry for. Revocation alone by default (OB 3.0's single ``credentialStatus`` object);
    #: ``revocation,suspension`` makes every badge suspendable (a two-entry list, which the
    #: official OB 3.0 JSON Schema refuses). One badge can opt in: ``IssueRequest.suspendable``.
    status_purposes: tuple[str, ...] = ("revocation",)
    max_request_bytes: int = 2 * 1024 * 1024
    #: ``PASSPORT_TRUST_LIST``: a JSON file of other issuers to trust (docs/trust-list.md).
    trust_list_path: Path | None = None
    #: ``PASSPORT_LOG_FORMAT``: ``text`` (default) or ``json`` (one object per line).
    log_format: str = "text"
    #: gunicorn (``gunicorn.conf.py``): ``PASSPORT_WORKERS`` or ``WEB_CONCURRENCY`` workers.
    workers: int = 2
    #: ``PASSPORT_WORKER_TIMEOUT``: seconds a silent worker may take before it is restarted.
    worker_timeout: int = 30
    #: ``PASSPORT_GRACEFUL_TIMEOUT``: seconds workers get to finish requests after SIGTERM.
    graceful_timeout: int = 30
    #: ``PASSPORT_PRELOAD``: build the app once in the gunicorn master (engines are disposed
    #: in each worker after the fork).
    preload_app: bool = False
    #: ``PASSPORT_PROXY_HOPS``: how many reverse proxies (TLS terminators) stand in front and
    #: may be believed about the client's address and scheme (``X-Forwarded-For`` /
    #: ``X-Forwarded-Proto``); 0 (the default) believes no such header.
    proxy_hops: int = 0
    #: Single sign-on with OpenID Connect (``PASSPORT_OIDC_*``); None: not configured.
    oidc: OidcSettings | None = None
    #: ``PASSPORT_ROLE_GROUPS``: identity-provider group -> role, for single sign-on (the
    #: groups claim) and SCIM (group membership); see :func:`parse_role_groups`.
    role_groups: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    #: ``PASSPORT_PASSWORD_LOGIN``: ``off`` hides the password form and refuses password
    #: logins (single sign-on is then the way in).
    password_login: bool = True
    #: ``PASSPORT_SESSION_IDLE_MINUTES``: a browser session unused this long ends (60).
    session_idle_minutes: int = 60
    #: ``PASSPORT_SESSION_MAX_HOURS``: a browser session ends this long after sign-in, however
    #: active (12: one working day).
    session_max_hours: int = 12
    #: ``PASSPORT_MAIL_URL``: the SMTP server for mail (``smtp://``, ``smtps://``,
    #: ``smtp+starttls://``, optional ``user:password@``); None: development writes an outbox
    #: folder, production sends no mail (:mod:`passport.mail`).
    mail_url: str | None = None
    #: ``PASSPORT_MAIL_FROM``: the sender of our mail (default ``Skill Passport <no-reply@host>``).
    mail_from: str = ""
    #: ``PASSPORT_REQUIRE_MFA_ADMIN=1``: administrators must enrol a second factor (TOTP)
    #: before anything else.
    require_mfa_admin: bool = False
    #: ``PASSPORT_QUEUE_NAME``: the job queue's name (its keys in Redis); several deployments
    #: may share one Redis with different names.
    queue_name: str = "passport"
    #: ``PASSPORT_OID4VCI_DEFERRED=on``: OpenID4VCI credentials are signed by the job queue's
    #: worker and fetched from the deferred credential endpoint (docs/wallets/openid4vci.md).
    oid4vci_deferred: bool = False
    #: ``PASSPORT_JOB_RETRY_SECONDS``: the first wait before a failed job part or e-mail is
    #: tried again; each later wait doubles it (30 s, 1 min, 2 min … six tries in all).
    job_retry_seconds: float = 30.0

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Every secret the logs must never show (the redaction in :mod:`passport.logs`)."""
        values = (self.secret_key, self.key_passphrase)
        return values + ((self.oidc.client_secret,) if self.oidc is not None else ())

    @property
    def rate_limit_rules(self) -> dict[str, str | None]:
        """The limit per category (None: not limited); see :func:`parse_rate_limits`."""
        return parse_rate_limits(self.rate_limits)

    @property
    def key_store_path(self) -> Path:
        return self.instance_path / "keys"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, require_secrets: bool = True
    ) -> Settings:
        """Build settings from ``environ`` (default ``os.environ``).

        ``require_secrets=False`` is for commands that only read public data (``passport
        verify``): secrets are then neither required nor generated.
        Raises :class:`~passport.errors.ConfigError` when production lacks a required value.
        """
        env_vars = os.environ if environ is None else environ
        env = env_vars.get("PASSPORT_ENV", "production").strip().lower() or "production"
        if env not in ENVIRONMENTS:
            raise ConfigError(f"PASSPORT_ENV must be one of {', '.join(ENVIRONMENTS)}.")
        try:
            port = int(env_vars.get("PORT", "5000"))
        except ValueError as exc:
            raise ConfigError("PORT must be a number.") from exc
        instance = Path(env_vars.get("PASSPORT_INSTANCE_PATH") or "instance").resolve()
        database_url = env_vars.get("PASSPORT_DATABASE_URL") or (
            f"sqlite:///{instance / 'passport.sqlite3'}"
        )
        public_url = env_vars.get("PASSPORT_PUBLIC_URL", "").rstrip("/")
        secret_key = env_vars.get("PASSPORT_SECRET_KEY", "")
        passphrase = env_vars.get("PASSPORT_KEY_PASSPHRASE", "")
        if not require_secrets:
            public_url = public_url or f"http://127.0.0.1:{port}"
        elif env == "production":
            missing = [
                name
                for name, value in (
                    ("PASSPORT_PUBLIC_URL", public_url),
                    ("PASSPORT_SECRET_KEY", secret_key),
                    ("PASSPORT_KEY_PASSPHRASE", passphrase),
                )
                if not value
            ]
            if missing:
                raise ConfigError(
                    f"Production needs {', '.join(missing)} set in the environment "
                    "(or set PASSPORT_ENV=development for a local trial)."
                )
            weak = _weak_production_setting(public_url, secret_key, passphrase)
            if weak is not None:
                raise ConfigError(weak)
        else:
            public_url = public_url or f"http://127.0.0.1:{port}"
            secret_key = secret_key or _read_or_create_secret(
                instance / "dev-secret-key", "secret key"
            )
            passphrase = passphrase or _read_or_create_secret(
                instance / "dev-key-passphrase", "key-store passphrase"
            )
        purposes = tuple(
            p.strip()
            for p in env_vars.get("PASSPORT_STATUS_PURPOSES", "revocation").split(",")
            if p.strip()
        )
        if (
            not purposes
            or set(purposes) - {"revocation", "suspension"}
            or "revocation" not in purposes
        ):
            raise ConfigError(
                "PASSPORT_STATUS_PURPOSES must be 'revocation' or 'revocation,suspension'."
            )
        log_format = env_vars.get("PASSPORT_LOG_FORMAT", "text").strip().lower() or "text"
        if log_format not in ("text", "json"):
            raise ConfigError("PASSPORT_LOG_FORMAT must be 'text' or 'json'.")
        mail_url = env_vars.get("PASSPORT_MAIL_URL", "").strip() or None
        if mail_url is not None:
            from passport.mail import parse_mail_url

            server = parse_mail_url(mail_url)  # refuse a broken value at start-up
            if env == "production" and server.scheme == "smtp" and not server.is_local:
                # A reset link is a credential: it must not cross a network in clear text.
                raise ConfigError(
                    "PASSPORT_MAIL_URL: use smtps:// or smtp+starttls:// for a mail server on "
                    "another host (plain smtp:// only for a relay on this host)."
                )
        rate_limits = env_vars.get("PASSPORT_RATE_LIMITS", "").strip() or None
        parse_rate_limits(rate_limits)  # refuse a broken value at start-up
        oidc = OidcSettings.from_env(env_vars, production=env == "production")
        password_login = _switch(env_vars, "PASSPORT_PASSWORD_LOGIN", True)
        if not password_login and oidc is None:
            raise ConfigError(
                "PASSPORT_PASSWORD_LOGIN=off needs single sign-on (PASSPORT_OIDC_ISSUER and "
                "its client settings): otherwise nobody could log in."
            )
        return cls(
            oidc=oidc,
            role_groups=parse_role_groups(env_vars.get("PASSPORT_ROLE_GROUPS")),
            password_login=password_login,
            env=env,
            log_format=log_format,
            workers=_positive_int(
                env_vars, "PASSPORT_WORKERS", env_vars.get("WEB_CONCURRENCY") or "2"
            ),
            worker_timeout=_positive_int(env_vars, "PASSPORT_WORKER_TIMEOUT", "30"),
            graceful_timeout=_positive_int(env_vars, "PASSPORT_GRACEFUL_TIMEOUT", "30"),
            preload_app=env_vars.get("PASSPORT_PRELOAD", "").strip().lower()
            in ("1", "true", "yes", "on"),
            proxy_hops=_proxy_hops(env_vars),
            session_idle_minutes=_positive_int(env_vars, "PASSPORT_SESSION_IDLE_MINUTES", "60"),
            session_max_hours=_positive_int(env_vars, "PASSPORT_SESSION_MAX_HOURS", "12"),
            status_purposes=purposes,
            instance_path=instance,
            database_url=database_url,
            public_url=public_url,
            secret_key=secret_key,
            key_passphrase=passphrase,
            redis_url=env_vars.get("PASSPORT_REDIS_URL") or None,
            rate_limits=rate_limits,
            mail_url=mail_url,
            mail_from=env_vars.get("PASSPORT_MAIL_FROM", "").strip(),
            require_mfa_admin=env_vars.get("PASSPORT_REQUIRE_MFA_ADMIN", "").strip().lower()
            in ("1", "true", "yes", "on"),
            queue_name=_queue_name(env_vars.get("PASSPORT_QUEUE_NAME", "")),
            oid4vci_deferred=_switch(env_vars, "PASSPORT_OID4VCI_DEFERRED", False),
            job_retry_seconds=_retry_seconds(env_vars.get("PASSPORT_JOB_RETRY_SECONDS", "")),
            port=port,
            trust_list_path=(
                Path(env_vars["PASSPORT_TRUST_LIST"]).resolve()
                if env_vars.get("PASSPORT_TRUST_LIST", "").strip()
                else None
            ),
        )

    def check_serving(self) -> None:
        """Refuse to serve with counters that several workers would each keep on their own.

        gunicorn runs :attr:`workers` processes; rate limits counted in memory are then per
        worker, so a client gets ``workers`` times its limit. Production with more than one
        worker, a limit on and no ``PASSPORT_REDIS_URL`` raises
        :class:`~passport.errors.ConfigError` (docs/decisions.md); development and test only
        warn (:class:`DevelopmentWarning`).
        """
        if self.workers <= 1 or self.redis_url or not any(self.rate_limit_rules.values()):
            return
        if self.is_production:
            raise ConfigError(
                f"PASSPORT_WORKERS={self.workers} would count rate limits per worker: set "
                "PASSPORT_REDIS_URL (shared counters), PASSPORT_WORKERS=1, or "
                "PASSPORT_RATE_LIMITS=off."
            )
        warnings.warn(
            f"Development mode: {self.workers} workers count rate limits each in their own "
            "memory; set PASSPORT_REDIS_URL to share them.",
            DevelopmentWarning,
            stacklevel=2,
        )

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (tests use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]
