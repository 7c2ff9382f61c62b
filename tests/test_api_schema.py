"""Schemathesis against our own OpenAPI document: for every operation, a bounded number of
generated requests as the site administrator (who may call every route, so the most code runs;
test_authz_matrix.py covers the other roles). Zero 5xx, and every response as documented."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow  # schemathesis walks every route


@schemathesis.serializer("application/offset+octet-stream")
def _tus_chunk(ctx, value) -> bytes:
    """The resumable upload's PATCH body (tus): raw bytes."""
    return value if isinstance(value, bytes) else str(value).encode()


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6


def test_api_conforms_to_its_schema(app, org, auth):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Schemathesis' WSGI client asks for gzip but does not undo it: the bodies are checked as sent plainly.
    headers = {**auth(org.admin), "Accept-Encoding": "identity"}
    failures: list[str] = []
    operations = 0
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def exercise(case):
            calls.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations >= 30 and len(calls) >= 3 * operations
    assert not failures, "\n\n".join(failures)
