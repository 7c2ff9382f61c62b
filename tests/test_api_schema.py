"""Schemathesis against our own OpenAPI document: generated requests (a bounded number per
operation) as the administrator; zero 5xx and every response as documented."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app, org):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case, org, auth, app):
    # As the site administrator, who may call every route: the most code runs. The
    # authorisation matrix (test_authz_matrix.py) covers the other roles.
    case.call_and_validate(headers=auth(org.admin), checks=CHECKS)
