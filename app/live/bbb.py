"""BigBlueButton through its API: create and join with checksum-signed URLs, and attendance from the
meeting's end. BBB signs a call as sha1(call name + query string + shared secret) (docs.bigbluebutton.org,
"API > Usage"); `create` carries two callbacks of ours: `meta_endCallbackUrl` (GET when the meeting
ends) and `meta_analytics-callback-url` (POST of the learning-dashboard JSON: every attendee's
`ext_user_id`, `name` and online `duration` in seconds). Both point at a URL holding a signed token
of the session, so that nobody else can post attendance to it.

Settings: LIVE_BBB_URL (e.g. https://bbb.example.go.id/bigbluebutton/) and LIVE_BBB_SECRET; unset,
BBB sessions are plain links like the other platforms.
"""

from __future__ import annotations

import hashlib
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from flask import current_app
from flask_babel import gettext as _

from app.errors import RuleViolation

TOKEN_SALT = "lentera.live.bbb"


def configured() -> bool:
    return bool(current_app.config.get("LIVE_BBB_URL") and current_app.config.get("LIVE_BBB_SECRET"))


def _base() -> str:
    base = current_app.config["LIVE_BBB_URL"]
    return base if base.endswith("/") else base + "/"


def checksum(call: str, query: str, secret: str) -> str:
    return hashlib.sha1((call + query + secret).encode()).hexdigest()  # noqa: S324 - BBB's protocol


def signed_url(call: str, params: dict) -> str:
    query = urllib.parse.urlencode(params)
    return f"{_base()}api/{call}?{query}&checksum={checksum(call, query, current_app.config['LIVE_BBB_SECRET'])}"


def meeting_id(session) -> str:
    return f"lentera-{session.id}"


def user_key(user) -> str:
    return f"lentera-{user.id}"


def callback_token(session) -> str:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT).dumps(session.id)


def session_id_for_token(token: str) -> int | None:
    from itsdangerous import BadSignature, URLSafeSerializer

    try:
        return int(URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT).loads(token))
    except (BadSignature, TypeError, ValueError):
        return None


def _call(url: str) -> ET.Element:
    try:
        with urllib.request.urlopen(url, timeout=current_app.config.get("LIVE_BBB_TIMEOUT", 10)) as resp:  # noqa: S310
            root = ET.fromstring(resp.read())
    except (OSError, ET.ParseError) as exc:
        raise RuleViolation(_("Server BigBlueButton tidak dapat dihubungi: %(e)s", e=str(exc)[:200]),
                            code="bbb_unavailable", status=502) from None
    if (root.findtext("returncode") or "") != "SUCCESS":
        raise RuleViolation(_("BigBlueButton menolak: %(m)s", m=root.findtext("message") or root.findtext("messageKey") or "?"),
                            code="bbb_refused", status=502)
    return root


def create_meeting(session, title: str, callback_url: str) -> str:
    """Create (or find: BBB answers the same meeting for the same id) and remember the meeting id."""
    params = {"name": title[:200], "meetingID": meeting_id(session), "record": "false",
              "duration": str(session.minutes + 30), "attendeePW": f"ap-{session.id}", "moderatorPW": f"mp-{session.id}",
              "meta_endCallbackUrl": callback_url, "meta_analytics-callback-url": callback_url}
    _call(signed_url("create", params))
    session.bbb_meeting_id = meeting_id(session)
    return session.bbb_meeting_id


def join_url(session, user, *, moderator: bool) -> str:
    params = {"fullName": user.name[:100], "meetingID": meeting_id(session), "userID": user_key(user),
              "role": "MODERATOR" if moderator else "VIEWER",
              "password": f"mp-{session.id}" if moderator else f"ap-{session.id}", "redirect": "true"}
    return signed_url("join", params)


def attendance_from_analytics(payload: dict) -> dict[int, int]:
    """user id -> minutes online, from BBB's learning-dashboard JSON. Moderators are included (they
    may be enrolled too); attendees without our user key (guests) are left out."""
    out: dict[int, int] = {}
    attendees = ((payload or {}).get("data") or {}).get("attendees") or []
    if not isinstance(attendees, list):
        return out
    for a in attendees:
        if not isinstance(a, dict):
            continue
        key = str(a.get("ext_user_id") or a.get("extId") or "")
        if not key.startswith("lentera-") or not key[8:].isdigit():
            continue
        try:
            seconds = int(float(a.get("duration") or 0))
        except (TypeError, ValueError):
            continue
        uid = int(key[8:])
        out[uid] = out.get(uid, 0) + max(0, seconds) // 60
    return out
