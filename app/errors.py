"""Errors a person can act on. Operations raise these; the API turns them into
`{"error": {"code", "message", "details"}}` with their status, and pages show the message."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

#: Where the REST API lives; a request under it is answered with the JSON error envelope.
API_PREFIX = "/api/v1"


class LenteraError(Exception):
    status: int = 422
    code: str = "rule_violated"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadInput(LenteraError):
    status, code = 400, "bad_request"


class Unauthorized(LenteraError):
    status, code = 401, "unauthorized"


class Forbidden(LenteraError):
    status, code = 403, "forbidden"


class NotFound(LenteraError):
    status, code = 404, "not_found"


class Conflict(LenteraError):
    status, code = 409, "conflict"


class TooLarge(LenteraError):
    status, code = 413, "too_large"


class RuleViolation(LenteraError):
    status, code = 422, "rule_violated"


class Throttled(LenteraError):
    status, code = 429, "too_many_requests"


def error_response(status: int, code: str, message: str, details: list | None = None) -> Response:
    """The API's error envelope: `{"error": {"code", "message", "details"}}` with `status`."""
    resp = jsonify({"error": {"code": code, "message": message, "details": details or []}})
    resp.status_code = status
    return resp


def is_api_request() -> bool:
    """Whether this request is the API's (errors answer JSON) or a page's (errors render HTML)."""
    return request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX
