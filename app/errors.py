"""Errors a person can act on. Operations raise these; the API turns them into
`{"error": {"code", "message", "details"}}` with their status, and pages show the message."""

from __future__ import annotations

from typing import Any


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
