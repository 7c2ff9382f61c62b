"""Where a `next=` or a Referer may send a person: back into this site, nowhere else.

Browsers forgive a great deal in a Location header: they drop tabs, CR and LF anywhere in it,
strip leading spaces and control characters, and read a backslash as a slash. `/\\t/evil.example`
passes a naive "starts with one slash" check and lands on `//evil.example`. So the target is
first normalised the way a browser would read it, then only a same-site path is kept.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import request, url_for

_DROPPED = re.compile(r"[\t\r\n]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_local_path(target: str | None, fallback: str | None = None) -> str:
    """`target` as a same-site path (with its query), or `fallback` (default: the home page).

    An absolute URL naming this very host (a Referer) is reduced to its path; anything that could
    leave the site — another host, a scheme, `//`, a backslash trick, a control character — falls back.
    """
    default = fallback if fallback is not None else url_for("web.home")
    if not target:
        return default
    cleaned = _DROPPED.sub("", target).strip(" ").replace("\\", "/")
    if not cleaned or _CONTROL.search(cleaned):
        return default
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # an unbalanced IPv6 bracket and the like
        return default
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return default
        cleaned = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not cleaned.startswith("/") or cleaned.startswith("//"):
        return default
    return cleaned
