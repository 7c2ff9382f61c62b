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
