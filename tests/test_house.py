"""The house's dependency rules (DESIGN.md), read off the source: domains never import the API
layer; the API calls the domains, not the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, with `from x import y` also giving `x.y` (y may be a module)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [n.name for n in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{n.name}" for n in node.names]
    return names


def test_no_module_outside_the_api_imports_it():
    # The application factory registers the API's blueprint; nothing else may lean on the API.
    files = [p for p in APP.rglob("*.py") if "api" not in p.relative_to(APP).parts[:1] and p != APP / "__init__.py"]
    bad = [f"{p.relative_to(APP)}: {name}" for p in files for name in imported_modules(p)
           if name == "app.api" or name.startswith("app.api.")]
    assert len(files) > 50 and not bad, bad


def test_the_scan_sees_an_import_inside_a_function(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from app.api.core import paginate\n")
    assert "app.api.core.paginate" in imported_modules(probe)


def test_docs_api_md_is_the_served_openapi_document(app, client):
    """docs/api.md is written from the routes; a route added without regenerating it fails here."""
    from app.api.docs import DOCS, api_markdown

    assert (DOCS / "api.md").read_text() == api_markdown(), "run: flask --app wsgi docs api"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data
    assert client.get("/vendor/swagger-ui-bundle.js").status_code == 200
    css = client.get("/vendor/swagger-ui.css")
    assert css.status_code == 200 and css.mimetype == "text/css"


def test_docs_links_resolve():
    import re

    root = APP.parent
    for md in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)\)", md.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            assert (md.parent / target).exists(), f"{md.name} links to missing {target}"


# --- one commit idiom (issue 15, item 2) ------------------------------------------------------------
# Every page view and API route runs in the request's transaction: committed once after the view
# returns, rolled back when it raises (app/web.py, `in_request_transaction`).

#: Views or API modules allowed to commit in the middle of a request, with the reason. None today:
#: jobs are rows a scheduler picks up later, mail goes through jobs, and work that must wait for the
#: commit (deleting a removed file's bytes) is handed to `web.after_commit`.
MID_REQUEST_COMMITS: dict[str, str] = {}


def commits_in(path: Path) -> list[str]:
    """`<file>:<line>` of every `….commit()` called on a session in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
                and "session" in ast.unparse(node.func.value)):
            where = path.relative_to(APP) if path.is_relative_to(APP) else path.name
            found.append(f"{where}:{node.lineno}")
    return found


def test_no_view_and_no_api_route_commits_itself():
    files = sorted(APP.glob("*/views.py")) + sorted((APP / "api").glob("*.py"))
    found = [hit for p in files for hit in commits_in(p) if hit.split(":")[0] not in MID_REQUEST_COMMITS]
    assert len(files) > 30 and not found, found
    # app/web.py commits in two places only: the wrapper around every view, and the end of a
    # request that only read (COMMIT instead of ROLLBACK: end_read_only_transaction)
    assert len(commits_in(APP / "web.py")) == 2


def test_the_commit_scan_sees_a_commit(tmp_path):
    probe = tmp_path / "views.py"
    probe.write_text("def v():\n    if True:\n        db.session.commit()\n    session.commit()\n")
    assert sorted(commits_in(probe)) == ["views.py:3", "views.py:4"]


def test_every_endpoint_runs_in_the_request_transaction(app):
    from app.web import NO_TRANSACTION_ENDPOINTS

    unwrapped = [name for name, view in app.view_functions.items()
                 if name not in NO_TRANSACTION_ENDPOINTS and not getattr(view, "lentera_one_transaction", False)]
    assert len(app.view_functions) > 300 and not unwrapped, unwrapped


def committed_count(model, **where) -> int:
    """Rows as another connection sees them: only what was committed."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from app.extensions import db

    with Session(db.engine) as other:
        return other.scalar(select(func.count()).select_from(model).filter_by(**where))


def write_then_refuse(monkeypatch, module, name: str, error):
    """Make `module.name` do its real work, then refuse: partial writes that must not survive."""
    real = getattr(module, name)

    def refusing(*args, **kwargs):
        real(*args, **kwargs)
        from app.extensions import db

        db.session.flush()
        raise error

    monkeypatch.setattr(module, name, refusing)


def test_a_page_writes_are_committed_when_the_view_returns(org, login, client):
    from app.courses.models import Enrolment
    from tests.factories import make_course

    course = make_course(org.instructor)
    from app.extensions import db

    db.session.commit()
    login(org.learner_a1)
    resp = client.post(f"/kursus/{course.id}/daftar")
    assert resp.status_code == 302
    assert committed_count(Enrolment, course_id=course.id, user_id=org.learner_a1.id) == 1


def test_pages_that_only_read_keep_the_prepared_statements(app, org, login, client, backend):
    """psycopg forgets its prepared statements at every ROLLBACK; a request that only read ends
    with COMMIT, so PostgreSQL plans the page's statements once per connection, not per request."""
    if backend != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from sqlalchemy import event

    from app.extensions import db

    login(org.learner_a1)
    seen = []
    with app.app_context():
        engine = db.engine

    def remember(conn, *_args):
        seen.append(conn.connection.dbapi_connection)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
            assert client.get("/katalog").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    raw = seen[-1]
    assert all(c is raw for c in seen[-3:])  # one pooled connection served the pages
    prepared = raw.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
    raw.commit()
    assert prepared >= 2  # the signed-in person's statement and the catalogue's


def test_a_page_whose_operation_fails_leaves_nothing(app, org, login, client, monkeypatch):
    from app.courses import operations as course_ops
    from app.courses.models import Course, Enrolment
    from app.errors import Conflict, RuleViolation
    from app.extensions import db
    from tests.conftest import count
    from tests.factories import make_course

    course = make_course(org.instructor)
    db.session.commit()
    courses_before = committed_count(Course)
    login(org.learner_a1)
    # through run_operation: the failed step is undone, the page answers with the reason
    write_then_refuse(monkeypatch, course_ops, "self_enrol", RuleViolation("Pendaftaran ditolak."))
    resp = client.post(f"/kursus/{course.id}/daftar", follow_redirects=True)
    assert resp.status_code == 200 and "Pendaftaran ditolak." in resp.get_data(as_text=True)
    assert committed_count(Enrolment, course_id=course.id) == 0 and count(Enrolment) == 0
    # a view that lets the error reach the shared handler: rolled back before the error page
    instructor = app.test_client()
    assert instructor.post("/masuk", data={"username": "instructor", "password": "rahasia123"}).status_code == 302
    write_then_refuse(monkeypatch, course_ops, "duplicate_course", Conflict("Salinan ditolak."))
    resp = instructor.post(f"/mengajar/kursus/{course.id}/duplikat")
    assert resp.status_code == 409 and "Salinan ditolak." in resp.get_data(as_text=True)
    assert committed_count(Course) == courses_before == count(Course)


def test_an_api_route_that_raises_after_a_write_leaves_nothing(org, auth, client, monkeypatch):
    from app.courses import operations as course_ops
    from app.courses.models import Enrolment
    from app.errors import Conflict
    from app.extensions import db
    from tests.conftest import count
    from tests.factories import make_course

    course = make_course(org.instructor)
    db.session.commit()
    h = auth(org.learner_a1)
    write_then_refuse(monkeypatch, course_ops, "self_enrol", Conflict("Sudah penuh.", code="full"))
    resp = client.post(f"/api/v1/courses/{course.id}/enrolments", json={"nip": org.learner_a1.nip}, headers=h)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "full"
    assert committed_count(Enrolment, course_id=course.id) == 0 and count(Enrolment) == 0
    monkeypatch.undo()
    resp = client.post(f"/api/v1/courses/{course.id}/enrolments", json={"nip": org.learner_a1.nip}, headers=h)
    assert resp.status_code == 201 and committed_count(Enrolment, course_id=course.id) == 1


def test_a_page_that_catches_the_error_and_answers_an_envelope_keeps_nothing(org, login, client, monkeypatch):
    """The rich-text editor's picture upload catches the error and answers the envelope itself, so
    the view returns normally: the request's commit must not keep what the failed operation wrote."""
    import io

    from app.courses import operations as course_ops
    from app.courses.models import Course
    from app.errors import BadInput
    from app.extensions import db
    from tests.factories import make_course

    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)

    def retitle_then_refuse(c, stream):
        c.title = "Judul yang tidak boleh tersimpan"
        db.session.flush()
        raise BadInput("Bukan gambar.")

    monkeypatch.setattr(course_ops, "store_course_image", retitle_then_refuse)
    resp = client.post(f"/kursus/{course.id}/gambar", data={"image": (io.BytesIO(b"x"), "a.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and resp.json["error"]["message"] == "Bukan gambar."
    assert committed_count(Course, title="Judul yang tidak boleh tersimpan") == 0


def test_opening_an_overdue_attempt_closes_it_through_the_operation(org, login, client, monkeypatch):
    from datetime import timedelta

    from app.accounts.models import utcnow
    from app.extensions import db
    from app.quizzes import operations as quiz_ops
    from app.quizzes.models import Attempt
    from tests.quizzes_fixtures import make_quiz

    quiz, qs = make_quiz(org.instructor, org.learner_a1, time_limit_minutes=10)
    start = utcnow() - timedelta(minutes=11)
    attempt = quiz_ops.start_attempt(quiz, org.learner_a1, now=start)
    quiz_ops.save_answer(attempt.id, qs["tf"].id, True, org.learner_a1, now=start + timedelta(minutes=5))
    in_time = quiz_ops.start_attempt(make_quiz(org.instructor, org.learner_a1, time_limit_minutes=10)[0],
                                     org.learner_a1)
    db.session.commit()
    assert quiz_ops.close_overdue_attempt(in_time, utcnow()) is False and in_time.state == "open"

    calls = []
    real = quiz_ops.close_overdue_attempt
    monkeypatch.setattr(quiz_ops, "close_overdue_attempt", lambda a, now=None: calls.append(a.id) or real(a, now))
    login(org.learner_a1)
    resp = client.get(f"/percobaan/{attempt.id}")
    assert resp.status_code == 302 and f"/percobaan/{attempt.id}/tinjau" in resp.headers["Location"]
    assert calls == [attempt.id]
    assert committed_count(Attempt, id=attempt.id, state="finished") == 1
    db.session.expire_all()
    closed = db.session.get(Attempt, attempt.id)
    assert closed.score == 1.0 and closed.finished_at is not None
    # the attempt still in time is shown, and stays open
    assert client.get(f"/percobaan/{in_time.id}").status_code == 200
    assert committed_count(Attempt, id=in_time.id, state="open") == 1
