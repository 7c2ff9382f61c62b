"""Essay attachments in the attempt (Moodle's attachments / attachmentsrequired / filetypeslist /
maxbytes): uploaded on the page without JavaScript and through the API, refused with the file
named, required at submit, served only to the owner and the course's graders within reach,
always as a download, shown in grading and review, deleted with the attempt — on local storage
and on an S3 server."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.quizzes import operations as ops
from app.quizzes.models import Attempt, AttemptFile
from app.storage import get_storage
from tests.counting import statements
from tests.quizzes_fixtures import make_quiz

ESSAY_GIFT = "::e::Lampirkan laporan Anda.{}\n\n::t::Laporan wajib dibuat?{T}"


def essay_quiz(org, *learners, **data):
    quiz, qs = make_quiz(org.instructor, *(learners or (org.learner_a1,)), gift=ESSAY_GIFT, pass_percent=50)
    essay = qs["e"]
    essay.data = {**essay.data, "attachments": 2, "attachments_required": 1, "file_types": ".pdf, document",
                  "max_bytes": 2000, **data}
    db.session.commit()
    return quiz, essay


def files_of(attempt_id: int) -> list[AttemptFile]:
    return list(db.session.scalars(select(AttemptFile).where(AttemptFile.attempt_id == attempt_id)
                                   .order_by(AttemptFile.id)))


def flashes(html: str) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', html, re.S))


def test_page_upload_refusals_remove_required_at_submit_and_review(client, org, login):
    quiz, essay = essay_quiz(org)
    login(org.learner_a1)
    started = client.post(f"/kuis/{quiz.id}/mulai")
    attempt_url = started.headers["Location"]
    aid = int(attempt_url.rstrip("/").rsplit("/", 1)[-1])
    page = client.get(attempt_url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert f'name="q-{essay.id}-files"' in page and 'accept=".doc,.docx,' in page  # the group "document" expanded

    # one good file, one of a refused type and one too large, in one post: the good one goes in,
    # each refused one is named with the reason
    resp = client.post(attempt_url, data={
        "present-" + str(essay.id): "1", f"q-{essay.id}": "Laporan terlampir.", "upload": str(essay.id), "page": "1",
        f"q-{essay.id}-files": [(io.BytesIO(b"%PDF-1.4 laporan"), "laporan akhir.pdf"),
                                (io.BytesIO(b"MZ\x90\x00"), "virus.exe"),
                                (io.BytesIO(b"%PDF" + b"x" * 3000), "besar.pdf")]},
        content_type="multipart/form-data", follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "virus.exe" in flashes(text) and "jenisnya tidak diterima" in flashes(text)
    assert "besar.pdf" in flashes(text) and "terlalu besar" in flashes(text)
    assert [f.name for f in files_of(aid)] == ["laporan akhir.pdf"]
    assert "laporan akhir.pdf" in text and "Laporan terlampir." in text  # the text was saved in the same post
    stored = files_of(aid)[0]
    assert get_storage().read_bytes(stored.key) == b"%PDF-1.4 laporan"

    # the count is the essay's: a second fits, a third is refused by name
    client.post(attempt_url, data={"upload": str(essay.id), "page": "1",
                                   f"q-{essay.id}-files": [(io.BytesIO(b"catatan"), "catatan.txt")]},
                content_type="multipart/form-data")
    third = client.post(attempt_url, data={"upload": str(essay.id), "page": "1",
                                           f"q-{essay.id}-files": [(io.BytesIO(b"lagi"), "lagi.txt")]},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "lagi.txt" in flashes(third.get_data(as_text=True))
    assert [f.name for f in files_of(aid)] == ["laporan akhir.pdf", "catatan.txt"]

    # removed before submitting: row and bytes
    for f in files_of(aid):
        client.post(attempt_url, data={"remove_file": str(f.id), "page": "1"})
        assert not get_storage().exists(f.key)
    assert files_of(aid) == []

    # the summary names the essay still lacking its file, and the submit is refused over it
    summary = client.get(f"/percobaan/{aid}/ringkasan").get_data(as_text=True)
    assert "lampirkan sedikitnya 1 berkas" in summary
    refused = client.post(attempt_url, data={"go": "submit"}, follow_redirects=True)
    assert "lampirkan sedikitnya 1 berkas" in flashes(refused.get_data(as_text=True))
    assert db.session.get(Attempt, aid).state == "open"

    client.post(attempt_url, data={"upload": str(essay.id), "page": "1",
                                   f"q-{essay.id}-files": [(io.BytesIO(b"%PDF-1.4 final"), "final.pdf")]},
                content_type="multipart/form-data")
    done = client.post(attempt_url, data={"go": "submit"})
    assert done.status_code == 302 and "/tinjau" in done.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Attempt, aid).state == "finished"
    review = client.get(f"/percobaan/{aid}/tinjau").get_data(as_text=True)
    f = files_of(aid)[0]
    assert f"/percobaan/{aid}/berkas/{f.id}" in review and "final.pdf" in review
    got = client.get(f"/percobaan/{aid}/berkas/{f.id}")
    assert got.status_code == 200 and got.data == b"%PDF-1.4 final"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.mimetype == "application/octet-stream"


def test_html_file_is_a_download_never_inline_and_names_are_escaped(client, org, login):
    quiz, essay = essay_quiz(org, file_types="", max_bytes=0)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    name = '<img src=x onerror=alert(1)>.html'
    f = ops.attach_file(attempt.id, essay.id, name, io.BytesIO(b"<script>alert(1)</script>"), org.learner_a1)
    db.session.commit()
    login(org.learner_a1)
    page = client.get(f"/percobaan/{attempt.id}").get_data(as_text=True)
    # markup characters in a name are taken out when it is stored, and what is left is escaped
    assert "<img src=x" not in page and "-img src=x onerror=alert(1)-.html" in page
    f2 = ops.attach_file(attempt.id, essay.id, "a&b 'c'.html", io.BytesIO(b"<p>x</p>"), org.learner_a1)
    db.session.commit()
    assert "a&amp;b &#39;c&#39;.html" in client.get(f"/percobaan/{attempt.id}").get_data(as_text=True)
    assert client.get(f"/percobaan/{attempt.id}/berkas/{f2.id}").headers["Content-Disposition"] == \
        "attachment; filename*=UTF-8''a%26b%20%27c%27.html"
    got = client.get(f"/percobaan/{attempt.id}/berkas/{f.id}")
    assert got.status_code == 200 and got.mimetype == "application/octet-stream"
    assert got.headers["Content-Disposition"].startswith("attachment")


def test_api_upload_list_delete_submit_and_who_may_download(client, org, auth, app, login):
    from app.accounts import operations as accounts

    quiz, essay = essay_quiz(org, org.learner_a1, org.learner_b)
    scoped_admin = accounts.create_user("admin_a", password="rahasia123", name="Admin A", unit=org.a)
    accounts.set_roles(scoped_admin, ["admin"], {"admin": org.a})
    db.session.commit()
    h = auth(org.learner_a1)
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json
    q = next(x for x in body["questions"] if x["id"] == essay.id)
    assert q["attachments"] == 2 and q["attachments_required"] == 1 and ".pdf" in q["file_types"]
    assert q["files"] == []
    url = f"/api/v1/attempts/{body['id']}/answers/{essay.id}/files"
    bad = client.post(url, data={"file": (io.BytesIO(b"x"), "skrip.sh")}, headers=h, content_type="multipart/form-data")
    assert bad.status_code == 422 and "skrip.sh" in bad.json["error"]["message"]
    missing = client.post(url, data={}, headers=h, content_type="multipart/form-data")
    assert missing.status_code == 400
    early = client.post(f"/api/v1/attempts/{body['id']}/submit", headers=h)
    assert early.status_code == 422 and early.json["error"]["code"] == "attachments_required"
    ok = client.post(url, data={"file": (io.BytesIO(b"%PDF-1.4 a"), "a.pdf")}, headers=h,
                     content_type="multipart/form-data")
    assert ok.status_code == 201 and ok.json["name"] == "a.pdf" and ok.json["size"] == 10
    listed = client.get(f"/api/v1/attempts/{body['id']}", headers=h).json
    assert [f["name"] for f in next(x for x in listed["questions"] if x["id"] == essay.id)["files"]] == ["a.pdf"]
    file_url = ok.json["url"]
    assert client.get(file_url, headers=h).data == b"%PDF-1.4 a"

    # a text question does not take files; another learner's attempt is not found
    other_q = next(x for x in body["questions"] if x["id"] != essay.id)
    assert client.post(f"/api/v1/attempts/{body['id']}/answers/{other_q['id']}/files",
                       data={"file": (io.BytesIO(b"%PDF"), "b.pdf")}, headers=h,
                       content_type="multipart/form-data").status_code == 422
    hb = auth(org.learner_b)
    assert client.get(file_url, headers=hb).status_code == 404
    assert client.post(url, data={"file": (io.BytesIO(b"%PDF"), "c.pdf")}, headers=hb,
                       content_type="multipart/form-data").status_code == 404
    # graders: the course's instructor; a unit-limited admin only for people within reach
    assert client.get(file_url, headers=auth(org.instructor)).status_code == 200
    assert client.get(file_url, headers=auth(scoped_admin)).status_code == 200  # learner_a1 is in unit A1
    b_body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=hb).json
    b_file = client.post(f"/api/v1/attempts/{b_body['id']}/answers/{essay.id}/files",
                         data={"file": (io.BytesIO(b"%PDF-1.4 b"), "b.pdf")}, headers=hb,
                         content_type="multipart/form-data").json
    assert client.get(b_file["url"], headers=auth(scoped_admin)).status_code == 404  # unit B: out of reach
    assert client.get(b_file["url"], headers=auth(org.instructor)).status_code == 200

    gone = client.delete(file_url, headers=h)
    assert gone.status_code == 204 and files_of(body["id"]) == []
    client.post(url, data={"file": (io.BytesIO(b"%PDF-1.4 d"), "d.pdf")}, headers=h, content_type="multipart/form-data")
    result = client.post(f"/api/v1/attempts/{body['id']}/submit", headers=h)
    assert result.status_code == 200 and result.json["needs_grading"] is True
    after = client.post(url, data={"file": (io.BytesIO(b"%PDF"), "e.pdf")}, headers=h, content_type="multipart/form-data")
    assert after.status_code == 409
    # the unit-limited admin's results and essay pages list only people within reach
    login(scoped_admin)
    results = client.get(f"/kuis/{quiz.id}/hasil").get_data(as_text=True)
    assert org.learner_a1.name in results and org.learner_b.name not in results
    assert client.get(f"/percobaan/{b_body['id']}/tinjau").status_code == 404


def test_grader_sees_files_on_the_essay_page_and_deleting_the_attempt_deletes_them(client, org, login):
    quiz, essay = essay_quiz(org)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    f = ops.attach_file(attempt.id, essay.id, "bukti.pdf", io.BytesIO(b"%PDF-1.4 bukti"), org.learner_a1)
    ops.save_answer(attempt.id, essay.id, "Lihat lampiran.", org.learner_a1)
    ops.submit_attempt(attempt.id, org.learner_a1)
    db.session.commit()
    key = f.key
    login(org.instructor)
    page = client.get(f"/kuis/{quiz.id}/esai").get_data(as_text=True)
    assert "bukti.pdf" in page and f"/percobaan/{attempt.id}/berkas/{f.id}" in page
    assert client.get(f"/percobaan/{attempt.id}/berkas/{f.id}").status_code == 200
    assert get_storage().exists(key)
    resp = client.post(f"/percobaan/{attempt.id}/hapus")
    assert resp.status_code == 302
    assert db.session.get(Attempt, attempt.id) is None and files_of(attempt.id) == []
    assert not get_storage().exists(key)


@pytest.fixture
def s3_app(app, s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "uji")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rahasia-uji")
    monkeypatch.setitem(app.config, "LENTERA_STORAGE", "s3")
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setitem(app.config, "S3_BUCKET", f"lentera-{uuid.uuid4().hex[:12]}")
    app.extensions.pop("lentera_storage", None)
    yield app
    app.extensions.pop("lentera_storage", None)


def test_on_s3_files_are_stored_served_as_signed_downloads_and_deleted(s3_app, client, org, auth):
    import requests

    quiz, essay = essay_quiz(org)
    h = auth(org.learner_a1)
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json
    ok = client.post(f"/api/v1/attempts/{body['id']}/answers/{essay.id}/files",
                     data={"file": (io.BytesIO(b"%PDF-1.4 s3"), "laporan di awan é.pdf")}, headers=h,
                     content_type="multipart/form-data")
    assert ok.status_code == 201, ok.json
    key = files_of(body["id"])[0].key
    store = get_storage()
    assert store.kind == "s3" and store.read_bytes(key) == b"%PDF-1.4 s3"
    got = client.get(ok.json["url"], headers=h)
    assert got.status_code == 302  # a short-lived signed URL to the bucket, as a download
    signed = requests.get(got.headers["Location"], timeout=10)
    assert signed.content == b"%PDF-1.4 s3"
    assert signed.headers["Content-Disposition"] == "attachment; filename*=UTF-8''laporan%20di%20awan%20%C3%A9.pdf"
    assert client.get(ok.json["url"], headers=auth(org.learner_b)).status_code == 404
    keys = ops.delete_attempt(db.session.get(Attempt, body["id"]))
    db.session.commit()
    assert store.exists(key)  # the bytes wait for the commit
    ops.purge_files(keys)
    assert not store.exists(key)


def test_attempt_page_statements_stay_flat_with_more_essays_and_files(client, org, login):
    """One query brings every attached file of the attempt, however many essays take files."""
    attempts = []
    for essays in (1, 4):
        gift = "\n\n".join(f"::e{i}::Esai {i}.{{}}" for i in range(essays)) + "\n\n::t::Benar?{T}"
        quiz, qs = make_quiz(org.instructor, org.learner_a1, gift=gift)
        for q in qs.values():
            if q.type == "essay":
                q.data = {**q.data, "attachments": 3}
        db.session.commit()
        attempt = ops.start_attempt(quiz, org.learner_a1)
        for q in qs.values():
            if q.type == "essay":
                ops.attach_file(attempt.id, q.id, f"{q.name}.pdf", io.BytesIO(b"%PDF-1.4"), org.learner_a1)
        db.session.commit()
        attempts.append(attempt.id)
    login(org.learner_a1)
    statements(client, f"/percobaan/{attempts[0]}")  # warm up
    one, four = (statements(client, f"/percobaan/{aid}") for aid in attempts)
    assert one == four, (one, four)


@pytest.mark.browser
def test_phone_learner_uploads_and_removes_a_file(live_server, page, browser_login, tmp_path):
    from app.accounts.models import User
    from app.courses.operations import enrol
    from tests.factories import make_course

    with live_server.app.app_context():
        peserta = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(None, title="Kuis Lampiran", activities=[{"type": "quiz", "title": "Kuis lampiran"}])
        questions, _ = ops.import_questions(course, "::lap::Unggah laporan.{}", "gift", category="Lampiran")
        questions[0].data = {**questions[0].data, "attachments": 1, "attachments_required": 1, "file_types": ".pdf"}
        quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
        ops.set_slots(quiz, question_ids=[questions[0].id])
        enrol(course, peserta)
        db.session.commit()
        quiz_id, qid = quiz.id, questions[0].id
        db.session.remove()
    report = tmp_path / "laporan saya.pdf"
    report.write_bytes(b"%PDF-1.4 dari ponsel")
    page.set_viewport_size({"width": 375, "height": 667})
    browser_login("peserta")
    page.goto(f"/kuis/{quiz_id}")
    page.click("text=Mulai kuis")
    page.wait_for_url("**/percobaan/*")
    page.set_input_files(f"input[name=q-{qid}-files]", str(report))
    page.click(f"button[name=upload][value='{qid}']")
    page.wait_for_selector("text=laporan saya.pdf")
    # one file allowed: the picker goes away; the page does not scroll sideways on a phone
    assert page.locator(f"input[name=q-{qid}-files]").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("button[name=remove_file]")
    page.wait_for_selector(f"input[name=q-{qid}-files]")
    assert page.locator("text=laporan saya.pdf").count() == 0
