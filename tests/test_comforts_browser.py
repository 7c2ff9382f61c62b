"""Browser checks of issue 22's comforts: the API reference renders under the site's CSP."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_api_reference_renders_every_route_without_csp_errors(page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=20000)
    assert page.locator(".opblock").count() >= 40
    assert "Lentera REST API" in page.locator(".info").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
