"""Launch tokens: the package's content is served under `/scorm-konten/<token>/…`, where the token
(signed, time-limited) names the learner, the SCO, the attempt and the launch.

Why a token in the path rather than the session cookie: the content runs in a sandboxed frame
(CSP `sandbox` without `allow-same-origin`), so it has an opaque origin — it cannot read the
app's cookies or its pages, and the browser does not send the learner's session with its
requests. The token is the only right it holds, and it grants exactly two things: reading this
package's files and committing this SCO's CMI data."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "lentera-scorm-konten"
#: the reserved folder of the content path (no package file is served from it) and the shell page
RESERVED = "__lentera__"
SHELL = f"{RESERVED}/shell.html"


@dataclass
class Launch:
    user_id: int
    package_id: int
    sco_id: int
    attempt_id: int
    key: str
    preview: bool


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def make_token(launch: Launch) -> str:
    return _serializer().dumps([launch.user_id, launch.package_id, launch.sco_id, launch.attempt_id, launch.key,
                                int(launch.preview)])


def read_token(token: str) -> Launch | None:
    """The launch a token names, or None when it is forged, malformed or older than SCORM_TOKEN_HOURS."""
    hours = current_app.config.get("SCORM_TOKEN_HOURS", 12)
    try:
        data = _serializer().loads(token, max_age=int(hours * 3600))
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    if not isinstance(data, list) or len(data) != 6:
        return None
    try:
        return Launch(int(data[0]), int(data[1]), int(data[2]), int(data[3]), str(data[4]), bool(data[5]))
    except (TypeError, ValueError):
        return None


# --- a separate content origin (optional) ------------------------------------------------------------------
# With the default (same host), every frame of a package gets its own opaque origin, so a package
# whose pages script each other across frames (a launch page calling into its content frame) cannot.
# SCORM_CONTENT_ORIGIN names a second host name of this same app (https://konten.lentera.example):
# content is served from there with `allow-same-origin` — the package's frames share that origin,
# which still holds none of the app's cookies (they are host-only) and cannot read its pages.

def content_origin() -> str | None:
    import os

    value = current_app.config.get("SCORM_CONTENT_ORIGIN") or os.environ.get("LENTERA_SCORM_CONTENT_ORIGIN")
    return value.rstrip("/") if value else None


def on_content_origin() -> bool:
    """Whether this request came through the separate content origin."""
    from urllib.parse import urlsplit

    from flask import request

    origin = content_origin()
    return bool(origin) and request.host == urlsplit(origin).netloc and request.scheme == urlsplit(origin).scheme


def content_url(token: str, path: str, query: str = "") -> str:
    from flask import url_for

    url = url_for("scorm.content", token=token, path=path) + (f"?{query}" if query else "")
    return (content_origin() or "") + url


def frame_sandbox() -> str:
    """The player's iframe sandbox flags."""
    flags = "allow-scripts allow-forms allow-popups allow-modals allow-downloads"
    return flags + " allow-same-origin" if content_origin() else flags
