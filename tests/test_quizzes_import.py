"""Importing a question bank with Moodle's "stop on error" choice: stop (all or nothing, the
default) or skip (keep the good questions, list the bad ones with their line or element), the
same through the page, the API and the command line."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.quizzes.models import Question
from tests.conftest import count
from tests.factories import make_course
from tests.quizzes_fixtures import FIXTURES

BROKEN_GIFT = (FIXTURES / "broken.gift").read_bytes()  # Q1 good; Q2, Q3, Q4 bad on lines 5, 7, 9


def _url(course, on_error=None):
    url = f"/api/v1/courses/{course.id}/questions/import"
    return url + (f"?on_error={on_error}" if on_error else "")


def test_api_skip_saves_the_good_and_lists_the_bad(client, org, auth):
    course = make_course(org.instructor)
    db.session.commit()
    h = {**auth(org.instructor), "Content-Type": "text/plain"}
    resp = client.post(_url(course, "skip"), data=BROKEN_GIFT, headers=h)
    assert resp.status_code == 201, resp.json
    assert resp.json["imported"] == 1 and resp.json["category"] == "Bawaan"
    assert [d["line"] for d in resp.json["skipped"]] == [5, 7, 9]
    assert all(d["message"] for d in resp.json["skipped"])
    assert list(db.session.scalars(select(Question.name))) == ["Q1"]


def test_api_stop_is_the_default_and_saves_nothing(client, org, auth):
    course = make_course(org.instructor)
    db.session.commit()
    h = {**auth(org.instructor), "Content-Type": "text/plain"}
    for url in (_url(course), _url(course, "stop")):
        resp = client.post(url, data=BROKEN_GIFT, headers=h)
        assert resp.status_code == 422
        assert [d["line"] for d in resp.json["error"]["details"]] == [5, 7, 9]
    assert count(Question) == 0


def test_api_skip_on_xml_names_the_element(client, org, auth):
    course = make_course(org.instructor)
    db.session.commit()
    resp = client.post(_url(course, "skip"), data=(FIXTURES / "broken.xml").read_bytes(),
                       headers={**auth(org.instructor), "Content-Type": "application/xml"})
    assert resp.status_code == 201
    assert resp.json["imported"] == 1
    assert [(d["line"], d["element"]) for d in resp.json["skipped"]] == [
        (13, "quiz/question[2]/answer[2]/@fraction"), (15, "quiz/question[3]")]


def test_api_bad_on_error_and_unreadable_files_are_clear_4xx(client, org, auth):
    course = make_course(org.instructor)
    db.session.commit()
    h = auth(org.instructor)
    bad_choice = client.post(_url(course, "ignore"), data=b"Soal {=a ~b}", headers={**h, "Content-Type": "text/plain"})
    assert bad_choice.status_code == 400
    # a file that cannot be read at all is refused even when skipping
    not_xml = client.post(_url(course, "skip"), data=b"<quiz><question", headers={**h, "Content-Type": "application/xml"})
    assert not_xml.status_code == 422 and "XML tidak valid" in not_xml.json["error"]["details"][0]["message"]
    binary = client.post(_url(course, "skip"), data=b"\xff\xfe\x00PDF\x00", headers={**h, "Content-Type": "text/plain"})
    assert binary.status_code == 422 and "UTF-8" in binary.json["error"]["details"][0]["message"]
    assert count(Question) == 0


def test_import_page_offers_skip_and_lists_what_was_skipped(client, org, login):
    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    page = client.get(f"/kursus/{course.id}/bank-soal/impor")
    assert b'name="on_error"' in page.data and b'value="skip"' in page.data
    resp = client.post(f"/kursus/{course.id}/bank-soal/impor",
                       data={"text": BROKEN_GIFT.decode(), "on_error": "skip"})
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "1 soal diimpor" in body and 'id="skipped"' in body
    assert body.count("<tr><td>5</td>") == 1 and "<tr><td>9</td>" in body
    assert count(Question) == 1
    stopped = client.post(f"/kursus/{course.id}/bank-soal/impor", data={"text": BROKEN_GIFT.decode(), "on_error": "stop"})
    assert stopped.status_code == 422 and count(Question) == 1


def test_cli_on_error_skip(app, org):
    make_course(org.instructor, code="CLI-SKIP")
    db.session.commit()
    runner = app.test_cli_runner()
    stop = runner.invoke(args=["quizzes", "import", "CLI-SKIP", str(FIXTURES / "broken.gift")])
    assert stop.exit_code != 0 and count(Question) == 0
    skip = runner.invoke(args=["quizzes", "import", "CLI-SKIP", str(FIXTURES / "broken.gift"), "--on-error", "skip"])
    assert skip.exit_code == 0, skip.output
    assert "1 soal diimpor" in skip.output and "3 soal dilewati" in skip.output
    assert "broken.gift:7:" in skip.output
    assert count(Question) == 1


def _big_gift(n: int, bad_at: int | None = None) -> bytes:
    rows = [f"::q{i}::Soal nomor {i}?{{=benar{i} ~salah{i}}}" for i in range(n)]
    if bad_at is not None:
        rows[bad_at] = f"::q{bad_at}::Soal rusak {{=a ~%33%b}}"
    return ("$CATEGORY: Besar\n\n" + "\n\n".join(rows)).encode()


def test_large_import_runs_as_a_job_in_steps_with_progress(client, org, auth, login, monkeypatch):
    from app.jobs.operations import run_pending
    from app.quizzes import operations as ops

    monkeypatch.setattr(ops, "LARGE_IMPORT_BYTES", 1000)
    monkeypatch.setattr(ops, "IMPORT_STEP", 7)
    course = make_course(org.instructor)
    db.session.commit()
    h = {**auth(org.instructor), "Content-Type": "text/plain"}
    resp = client.post(_url(course, "skip"), data=_big_gift(40, bad_at=12), headers=h)
    assert resp.status_code == 202, resp.json
    status_url = resp.json["status_url"]
    assert resp.json["state"] == "queued" and count(Question) == 0  # nothing written in the request
    steps = []
    real_save = ops._save_parsed

    def counting(*a, **k):
        steps.append(len(a[1]))
        return real_save(*a, **k)

    monkeypatch.setattr(ops, "_save_parsed", counting)
    assert run_pending(kinds=[ops.IMPORT_JOB]) == 1
    assert steps == [7, 7, 7, 7, 7, 4]  # 39 good questions, committed 7 at a time
    done = client.get(status_url, headers=h).json
    assert done["state"] == "done" and done["progress"] == 100
    assert done["result"]["imported"] == 39 and done["result"]["category"] == "Besar"
    assert [d["line"] for d in done["result"]["skipped"]] == [27]
    assert count(Question) == 39
    login(org.instructor)
    page = client.get(f"/kursus/{course.id}/bank-soal/impor/{done['job_id']}").get_data(as_text=True)
    assert "39 soal diimpor" in page and "<tr><td>27</td>" in page


def test_large_import_stop_on_error_saves_nothing(client, org, auth, login, monkeypatch):
    from app.jobs.operations import run_pending
    from app.quizzes import operations as ops

    monkeypatch.setattr(ops, "LARGE_IMPORT_BYTES", 1000)
    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    page = client.post(f"/kursus/{course.id}/bank-soal/impor", data={"text": _big_gift(30, bad_at=20).decode(),
                                                                     "on_error": "stop"})
    assert page.status_code == 302 and "/bank-soal/impor/" in page.location
    run_pending(kinds=[ops.IMPORT_JOB])
    shown = client.get(page.location).get_data(as_text=True)
    assert "ditolak" in shown and "<tr><td>43</td>" in shown and count(Question) == 0
    other = make_course(org.admin)
    db.session.commit()
    job_id = int(page.location.rsplit("/", 1)[1])
    assert client.get(f"/api/v1/courses/{other.id}/questions/imports/{job_id}",
                      headers=auth(org.admin)).status_code == 404  # another course's job is not found there
