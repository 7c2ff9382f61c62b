"""How many SQL statements one request sends: the measure of the query-count tests (issue 23),
which prove a page's statements do not grow with the data."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import event

from app.extensions import db


def counted(client: Any, url: str, method: str = "GET", **kw: Any) -> tuple[Any, int]:
    """(response, statements it sent) for one request, from an empty identity map as a worker
    starts each request: the test client shares the test's app context (and its `g`), so the
    session and the loaded person are dropped first."""
    n = 0
    db.session.remove()
    g.pop("_login_user", None)

    def counter(*_args: Any, **_kw: Any) -> None:
        nonlocal n
        n += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        resp = client.open(url, method=method, **kw)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return resp, n


def statements(client: Any, url: str, method: str = "GET", **kw: Any) -> int:
    """The statements of one request that must answer 200."""
    resp, n = counted(client, url, method, **kw)
    assert resp.status_code == 200, (url, resp.status_code, resp.data[:300])
    return n


def page_statements(client: Any, url: str) -> tuple[int, str]:
    """(statements, HTML) of a page that must answer 200."""
    resp, n = counted(client, url)
    assert resp.status_code == 200, (url, resp.status_code, resp.data[:300])
    return n, resp.get_data(as_text=True)
