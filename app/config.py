"""Settings, read from the environment; every default is the embedded one (SQLite, local files)."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(ValueError):
    """A setting in the environment Lentera cannot start with; the message names it and says why."""


def _int_setting(env, name: str, default: int, *, minimum: int, maximum: int) -> int:
    """An integer setting within bounds; anything else stops the start with a message naming it
    (a typo must not silently become the default, nor a negative number a rule nobody meant)."""
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: harus bilangan bulat dari {minimum} sampai {maximum}.") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value}: harus dari {minimum} sampai {maximum}.")
    return value


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment (and `.env`), then apply overrides.

    A function rather than a class so that tests and `create_app(config)` can start from
    a fresh read of the environment each time.
    """
    load_dotenv(BASE_DIR / ".env", override=False)
    env = os.environ
    instance = Path(env.get("LENTERA_INSTANCE_PATH", BASE_DIR / "instance"))
    cfg: dict = {
        "SECRET_KEY": env.get("SECRET_KEY", "dev-only-secret-change-me"),
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or f"sqlite:///{instance / 'lentera.db'}",
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "LENTERA_STORAGE": env.get("LENTERA_STORAGE", "local"),
        "LENTERA_STORAGE_PATH": env.get("LENTERA_STORAGE_PATH", str(instance / "storage")),
        "S3_BUCKET": env.get("S3_BUCKET", "lentera"),
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL"),
        "S3_REGION": env.get("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1")),
        "MAIL_SERVER": env.get("MAIL_SERVER"),
        "MAIL_PORT": _int_setting(env, "MAIL_PORT", 25, minimum=1, maximum=65_535),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_FROM": env.get("MAIL_FROM", "lentera@localhost"),
        "FFMPEG_BINARY": env.get("FFMPEG_BINARY", "ffmpeg"),
        "FFPROBE_BINARY": env.get("FFPROBE_BINARY", "ffprobe"),
        "SCHEDULER_ENABLED": _bool(env.get("LENTERA_SCHEDULER"), default=True),
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "LANGUAGES": ["id", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none).
        # Behind HTTPS this turns on HSTS and Secure cookies, and gives the login throttle the
        # person's own address instead of the proxy's.
        "TRUSTED_PROXIES": _int_setting(env, "LENTERA_TRUSTED_PROXIES", 0, minimum=0, maximum=10),
        "HSTS_SECONDS": _int_setting(env, "LENTERA_HSTS_SECONDS", 365 * 24 * 3600, minimum=0, maximum=63_072_000),
        "REMEMBER_COOKIE_HTTPONLY": True,
        # "Ingat saya" keeps a browser signed in this many days at most (the cookie and, whatever the
        # browser keeps, the server-side session); without it a session ends after SESSION_HOURS.
        "REMEMBER_DAYS": _int_setting(env, "LENTERA_REMEMBER_DAYS", 30, minimum=1, maximum=400),
        "SESSION_HOURS": _int_setting(env, "LENTERA_SESSION_HOURS", 12, minimum=1, maximum=744),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": _int_setting(env, "LENTERA_MAX_UPLOAD_MB", 512, minimum=1, maximum=102_400) * 1024 * 1024,
        # a file attached to an essay in a quiz attempt; a question's own maxbytes may only lower it
        "LENTERA_QUIZ_ATTACHMENT_MAX_BYTES": (
            _int_setting(env, "LENTERA_QUIZ_ATTACHMENT_MB", 20, minimum=1, maximum=1024) * 1024 * 1024),
        # One text field of a form (a lesson's HTML): Werkzeug's default of 500 KB is too small for a
        # long lesson; larger still means pictures pasted in, which belong in storage.
        "MAX_FORM_MEMORY_SIZE": _int_setting(env, "LENTERA_MAX_FIELD_KB", 2048, minimum=1, maximum=1_048_576) * 1024,
        # Whole bodies other than uploads (see app/inputs.py): JSON and other raw bodies, and plain forms.
        "MAX_JSON_BODY": _int_setting(env, "LENTERA_MAX_JSON_KB", 1024, minimum=1, maximum=1_048_576) * 1024,
        "MAX_FORM_BODY": _int_setting(env, "LENTERA_MAX_FORM_KB", 8192, minimum=1, maximum=1_048_576) * 1024,
        "JSON_MAX_DEPTH": _int_setting(env, "LENTERA_JSON_MAX_DEPTH", 64, minimum=1, maximum=1000),
        "API_TOKEN_HOURS": _int_setting(env, "LENTERA_API_TOKEN_HOURS", 24, minimum=1, maximum=8784),
        # Throttling of wrong passwords: failures in a sliding window, per account and per address.
        "LOGIN_WINDOW_SECONDS": _int_setting(env, "LENTERA_LOGIN_WINDOW_SECONDS", 900, minimum=1, maximum=604_800),
        "LOGIN_MAX_FAILURES_ACCOUNT": _int_setting(env, "LENTERA_LOGIN_MAX_FAILURES_ACCOUNT", 5, minimum=1, maximum=100_000),
        "LOGIN_MAX_FAILURES_ADDRESS": _int_setting(env, "LENTERA_LOGIN_MAX_FAILURES_ADDRESS", 20, minimum=1, maximum=100_000),
        # Wrong passwords for one account from one address: this many are free, then each try waits
        # LOGIN_DELAY_SECONDS, doubled with every further failure (at most the window). Failures
        # from all addresses past LOGIN_MAX_FAILURES_ACCOUNT slow down addresses the account has
        # not signed in from in LOGIN_KNOWN_DAYS, never the owner's own: nobody can lock them out.
        "LOGIN_FREE_FAILURES": _int_setting(env, "LENTERA_LOGIN_FREE_FAILURES", 3, minimum=0, maximum=1000),
        "LOGIN_DELAY_SECONDS": _int_setting(env, "LENTERA_LOGIN_DELAY_SECONDS", 2, minimum=0, maximum=3600),
        "LOGIN_KNOWN_DAYS": _int_setting(env, "LENTERA_LOGIN_KNOWN_DAYS", 90, minimum=1, maximum=3650),
        # DOMAIN.md settings with their defaults.
        "JP_MINUTES": _int_setting(env, "LENTERA_JP_MINUTES", 45, minimum=1, maximum=240),
        "JP_TARGET_DEFAULT": _int_setting(env, "LENTERA_JP_TARGET", 20, minimum=1, maximum=1000),
        # Claims are taken for learning that ended this year or up to this many years before.
        "CLAIM_OLDEST_YEARS": _int_setting(env, "LENTERA_CLAIM_OLDEST_YEARS", 1, minimum=0, maximum=50),
        "SITE_NAME": env.get("LENTERA_SITE_NAME", "Lentera"),
        # The JP ledger's HMAC key, held outside the database (unset: instance/ledger-hmac.key, made on
        # first use). Several hosts must share one; back it up apart from the database (app/ledger/seal.py).
        "LEDGER_HMAC_KEY": env.get("LENTERA_LEDGER_HMAC_KEY") or None,
        # Certificates: the signing key/certificate (e.g. issued by BSrE), and the public address
        # the QR code points to (default: the host of the request that renders the PDF).
        "CERT_SIGNING_KEY": env.get("CERT_SIGNING_KEY"),
        "CERT_SIGNING_CERT": env.get("CERT_SIGNING_CERT"),
        "CERT_SIGNING_CHAIN": env.get("CERT_SIGNING_CHAIN"),
        "CERT_SIGNING_PASSPHRASE": env.get("CERT_SIGNING_PASSPHRASE"),
        "CERT_PUBLIC_BASE_URL": env.get("CERT_PUBLIC_BASE_URL"),
        # Public certificate checks (verify page, form, API) per address and minute, per worker.
        "VERIFY_RATE_LIMIT": _int_setting(env, "LENTERA_VERIFY_RATE_PER_MINUTE", 30, minimum=1, maximum=1_000_000),
        # The site's public address (https://lentera.example.go.id) for links in mail.
        "PUBLIC_BASE_URL": env.get("LENTERA_PUBLIC_BASE_URL"),
        # Host names the site answers to (comma-separated); a request for any other host gets 400
        # (Flask checks it), so a forged Host header reaches no link or certificate.
        "TRUSTED_HOSTS": [h.strip() for h in env["LENTERA_TRUSTED_HOSTS"].split(",") if h.strip()]
        if env.get("LENTERA_TRUSTED_HOSTS") else None,
        # Social learning (issue 18): how long an author may edit a forum post; a BigBlueButton server.
        "FORUM_EDIT_MINUTES": _int_setting(env, "LENTERA_FORUM_EDIT_MINUTES", 30, minimum=0, maximum=10_080),
        "LIVE_BBB_URL": env.get("LENTERA_BBB_URL"),
        "LIVE_BBB_SECRET": env.get("LENTERA_BBB_SECRET"),
        # Offline learning (issue 20). An event synced this many days after it happened (or after
        # its year closed) is applied and listed for BPSDM review.
        "SYNC_LATE_DAYS": _int_setting(env, "LENTERA_SYNC_LATE_DAYS", 30, minimum=1, maximum=3650),
        # How far ahead of the server a device's clock may run before its events are refused.
        "SYNC_CLOCK_SKEW_SECONDS": _int_setting(env, "LENTERA_SYNC_CLOCK_SKEW_SECONDS", 300, minimum=0,
                                                maximum=86400),
        # Events per sync request (a device sends its queue in pieces of at most 100 and of this).
        "SYNC_MAX_EVENTS": _int_setting(env, "LENTERA_SYNC_MAX_EVENTS", 200, minimum=1, maximum=5000),
        # How often an open page sends the device's queue while there is a signal.
        "SYNC_INTERVAL_SECONDS": _int_setting(env, "LENTERA_SYNC_INTERVAL_SECONDS", 60, minimum=10, maximum=3600),
        # A stored page is shown when the network has not answered within this time (a weak signal).
        "OFFLINE_PAGE_TIMEOUT_SECONDS": _int_setting(env, "LENTERA_OFFLINE_PAGE_TIMEOUT_SECONDS", 6, minimum=1,
                                                     maximum=120),
        # Static files the service worker keeps from pages visited (older ones go first; stored
        # courses and the app shell are not counted and never evicted by it).
        "OFFLINE_ASSET_CACHE_ENTRIES": _int_setting(env, "LENTERA_OFFLINE_ASSET_CACHE_ENTRIES", 150, minimum=10,
                                                    maximum=5000),
    }
    if overrides:
        cfg.update(overrides)
    from datetime import timedelta

    cfg.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=cfg["REMEMBER_DAYS"]))
    return cfg
