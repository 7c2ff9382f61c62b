"""Odd input, refused in one place with a message a person can act on, never a 500.

Python is generous with numbers in ways a form or a JSON body should not be:
- `str.isdigit()` is true for `²` and `٣`; `int("²")` then fails, `int("٣")` reads 3. Ids and
  years in this application are ASCII digits, so `is_digits()` checks exactly that.
- `Decimal("NaN")`, `Decimal("sNaN")`, `Decimal("Infinity")` and `float("nan")` parse, and then
  every comparison with them raises (Decimal) or quietly answers False (float), so a "JP must be
  positive" rule lets NaN through or crashes. `finite_decimal()` and the two form fields refuse them.
- JSON nested 50,000 deep makes the standard parser overflow the stack (RecursionError, not a
  ValueError, so Flask answers 500); `NaN` / `Infinity` are not JSON at all but Python's parser
  takes them. `JSONProvider` counts the depth before parsing and refuses both as invalid JSON.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, FloatField

from app.errors import BadInput

#: How deep a JSON body may nest; the API's documents need fewer than ten levels.
DEFAULT_JSON_MAX_DEPTH = 64

_OUTSIDE = re.compile(r'["\[\]{}]')  # what matters outside a string
_INSIDE = re.compile(r'["\\]')  # what ends a string or escapes the next character

NOT_FINITE = _l("harus berupa angka biasa (bukan NaN atau tak hingga).")


def is_digits(value: object) -> bool:
    """True for a non-empty string of ASCII digits 0-9 only (not `²`, not `٣`)."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def finite_decimal(value: Any, field: str | None = None) -> Decimal:
    """`value` as a finite Decimal, else BadInput naming the field."""
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        d = None
    if d is None or not d.is_finite():
        label = f"{field} " if field else ""
        raise BadInput(f"{label}{NOT_FINITE}", code="not_a_number",
                       details=[{"field": field or "value", "message": str(NOT_FINITE)}])
    return d


class _Finite:
    """Refuse a non-finite number as the field's one error. The data becomes None (so no validator
    compares NaN); DataRequired would then replace the reason with "required", so it is put back."""

    _not_finite = False

    def _refuse_non_finite(self, finite: bool) -> None:
        self._not_finite = not finite
        if not finite:
            self.data = None
            raise ValueError(str(NOT_FINITE))

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if self._not_finite:
            self.errors[:] = [str(NOT_FINITE)]


class FiniteDecimalField(_Finite, DecimalField):
    """DecimalField that refuses NaN, sNaN and Infinity with a field error instead of a crash."""

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, Decimal):
            self._refuse_non_finite(self.data.is_finite())


class FiniteFloatField(_Finite, FloatField):
    """FloatField that refuses nan and inf (which pass NumberRange silently)."""

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, float):
            self._refuse_non_finite(math.isfinite(self.data))


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether `text` nests arrays/objects deeper than `limit`, counted without parsing it."""
    if text.count("[") + text.count("{") <= limit:  # the common case: too few brackets to matter
        return False
    # One pass, jumping from one significant character to the next (linear even for hostile input:
    # a regex matching whole strings backtracks quadratically on an unterminated one).
    depth, pos, n = 0, 0, len(text)
    while pos < n:
        m = _OUTSIDE.search(text, pos)
        if m is None:
            return False
        ch, pos = m.group(), m.end()
        if ch == '"':
            while True:
                m = _INSIDE.search(text, pos)
                if m is None:
                    return False
                pos = m.end() + (1 if m.group() == "\\" else 0)
                if m.group() == '"':
                    break
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested too deep and the non-JSON constants NaN/Infinity.

    Both raise ValueError, which `request.get_json()` turns into "invalid JSON" (400) like any
    other malformed body.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if isinstance(s, bytes | bytearray):
            s = s.decode(kwargs.pop("encoding", None) or "utf-8")
        limit = DEFAULT_JSON_MAX_DEPTH
        if has_app_context():
            limit = int(current_app.config.get("JSON_MAX_DEPTH", DEFAULT_JSON_MAX_DEPTH))
        if json_depth_exceeds(s, limit):
            raise ValueError(f"JSON nested deeper than {limit} levels")
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            return json.loads(s, **kwargs)
        except RecursionError:  # a limit set too high for this interpreter's stack
            raise ValueError("JSON nested too deep") from None


# --- request body limits ------------------------------------------------------------------------
#
# One global MAX_CONTENT_LENGTH (512 MB, for video) let anyone post 512 MB of JSON to any route.
# Each request now gets the limit of what it is: a JSON or other raw body is small, a plain form
# is a few MB (a long lesson), and only a logged-in person's multipart upload — which Werkzeug
# spools to disk, never memory — or a route declared with `body_limit` gets the upload limit.
# A declared Content-Length above the limit is answered 413 before a byte of the body is read;
# a body without one is cut off by Werkzeug at the same limit while it is read.

#: A route's own limit: an int (bytes) or "upload" (MAX_CONTENT_LENGTH).
BodyLimit = int | str


def body_limit(limit: BodyLimit) -> Any:
    """Decorate a view (innermost, below the route decorator) with its own body limit."""

    def mark(fn: Any) -> Any:
        fn.body_limit = limit
        return fn

    return mark


def request_body_limit() -> int:
    """The number of bytes this request's body may have."""
    from flask import request, session

    cfg = current_app.config
    upload = int(cfg.get("MAX_CONTENT_LENGTH") or 0) or 512 * 1024 * 1024
    view = current_app.view_functions.get(request.endpoint or "")
    own = getattr(view, "body_limit", None)
    if own is not None:
        return upload if own == "upload" else int(own)
    small = int(cfg.get("MAX_JSON_BODY") or 1024 * 1024)
    form = int(cfg.get("MAX_FORM_BODY") or 4 * int(cfg.get("MAX_FORM_MEMORY_SIZE") or 512 * 1024))
    if request.mimetype == "multipart/form-data":
        # Only someone signed in uploads files; a bearer token is checked before the API reads a body.
        signed_in = "_user_id" in session or request.headers.get("Authorization", "").startswith("Bearer ")
        return upload if signed_in else form
    if request.mimetype == "application/x-www-form-urlencoded":
        return form
    return small


def _limit_request_body() -> None:
    from flask import abort, request

    if request.method in ("GET", "HEAD", "OPTIONS") and not request.content_length:
        return
    limit = request_body_limit()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def init_app(app: Any) -> None:
    app.json = JSONProvider(app)
    # First of all before-request hooks: CSRF protection reads the form, so the limit must be set earlier.
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_request_body)
