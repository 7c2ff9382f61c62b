"""Assignments through the API contract (API.md, second wave) and the pages: an instructor creates
one through the authoring route, a learner drafts, uploads and submits, the late and cut-off rules
hold in WIB, bad input is refused without losing the draft, and a released passing grade completes
the activity, the course and credits the JP."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.assignments import operations as ops
from app.assignments.models import Assignment, Submission
from app.courses.models import CourseCompletion
from app.extensions import db
from tests.factories import enrol_all

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def _course_with_assignment(client, h, **settings) -> tuple[int, dict]:
    cid = client.post("/api/v1/courses", headers=h, json={"title": "Latsar CPNS", "jp": 6, "mode": "online"}).json["id"]
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Aktualisasi"}).json["id"]
    spec = {"section_id": sid, "type": "assignment", "title": "Laporan aktualisasi",
            "description": "<p>Tulis laporan <script>x()</script>aktualisasi.</p>",
            "submission_types": ["text", "file"], "grading": "points", "max_grade": 100, "pass_grade": 70,
            **settings}
    resp = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json=spec)
    assert resp.status_code == 201, resp.json
    client.patch(f"/api/v1/courses/{cid}", headers=h, json={"published": True, "self_enrol": True})
    return cid, resp.json


def _enrol(client, cid, user, auth):
    resp = client.post(f"/api/v1/courses/{cid}/enrolments", headers=auth(user), json={"nip": user.nip})
    assert resp.status_code == 201, resp.json


def test_learner_submits_and_a_released_passing_grade_completes_the_course(client, org, auth):
    h = auth(org.instructor)
    due = (datetime.now(UTC) + timedelta(days=7)).isoformat(timespec="minutes")
    cid, act = _course_with_assignment(client, h, due_at=due, allowed_types=["pdf", "docx"], max_file_mb=1,
                                       require_statement=True)
    assert act["type"] == "assignment" and act["completion"] == "grade"
    aid = act["assignment_id"]
    assert isinstance(aid, int)
    doc = client.get(f"/api/v1/courses/{cid}", headers=h).json
    assert doc["sections"][0]["activities"][0]["assignment_id"] == aid

    _enrol(client, cid, org.learner_a1, auth)
    lh = auth(org.learner_a1)
    info = client.get(f"/api/v1/assignments/{aid}", headers=lh)
    assert info.status_code == 200
    assert info.json["submission_types"] == ["text", "file"] and info.json["grading"] == "points"
    assert info.json["max_grade"] == 100 and "<script>" not in info.json["instructions"]
    assert info.json["due_at"].endswith("+07:00")  # shown back in WIB

    draft = client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "<p>Rencana aksi</p>"})
    assert draft.status_code == 200 and draft.json["status"] == "draft"
    up = client.post(f"/api/v1/assignments/{aid}/submission/files", headers=lh, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(PDF), "laporan.pdf")})
    assert up.status_code == 201 and up.json["name"] == "laporan.pdf" and up.json["size"] == len(PDF)
    # A file named .pdf that is not one is refused by its content; too large -> 413; the draft stays.
    fake = client.post(f"/api/v1/assignments/{aid}/submission/files", headers=lh, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"MZ\x90\x00\x03" + b"\x00" * 50), "laporan.pdf")})
    assert fake.status_code == 422 and fake.json["error"]["code"] == "file_type_not_allowed"
    big = client.post(f"/api/v1/assignments/{aid}/submission/files", headers=lh, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(PDF + b"0" * (1024 * 1024)), "besar.pdf")})
    assert big.status_code == 413 and "1 MB" in big.json["error"]["message"]
    mine = client.get(f"/api/v1/assignments/{aid}/submission", headers=lh).json
    assert [f["name"] for f in mine["files"]] == ["laporan.pdf"] and "Rencana aksi" in mine["text"]

    # The own-work statement is required before submitting.
    refused = client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh, json={})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "statement_required"
    sub = client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh, json={"statement": True})
    assert sub.status_code == 200 and sub.json["status"] == "submitted" and sub.json["late"] is False
    again = client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "ubah"})
    assert again.status_code == 409

    # Graders see the list; a learner may not.
    assert client.get(f"/api/v1/assignments/{aid}/submissions", headers=lh).status_code == 403
    listing = client.get(f"/api/v1/assignments/{aid}/submissions", headers=h).json
    assert listing["total"] == 1 and listing["items"][0]["nip"] == org.learner_a1.nip
    assert listing["items"][0]["status"] == "submitted" and listing["items"][0]["grade"] is None

    nip = org.learner_a1.nip
    out = client.put(f"/api/v1/assignments/{aid}/submissions/{nip}/grade", headers=h, json={"grade": 101})
    assert out.status_code == 422 and out.json["error"]["code"] == "grade_out_of_range"
    held = client.put(f"/api/v1/assignments/{aid}/submissions/{nip}/grade", headers=h,
                      json={"grade": 85, "feedback": "Bagus", "release": False})
    assert held.status_code == 200 and held.json["marking_state"] == "in_marking"
    # Not released: the learner sees no grade and the course is not complete.
    assert client.get(f"/api/v1/assignments/{aid}/submission", headers=lh).json["grade"] is None
    assert client.get(f"/api/v1/courses/{cid}/progress", headers=lh).json["completed"] is False
    rel = client.put(f"/api/v1/assignments/{aid}/submissions/{nip}/grade", headers=h,
                     json={"grade": 85, "feedback": "Bagus", "release": True})
    assert rel.status_code == 200 and rel.json["released"] is True and rel.json["grade"] == 85
    seen = client.get(f"/api/v1/assignments/{aid}/submission", headers=lh).json
    assert seen["status"] == "graded" and seen["grade"] == 85 and seen["feedback"] == "Bagus"
    assert client.get(f"/api/v1/courses/{cid}/progress", headers=lh).json["completed"] is True
    ledger = client.get(f"/api/v1/ledger/{nip}", headers=lh).json
    assert any(e["jp"] == 6 for e in ledger["entries"])


def test_a_grade_below_the_pass_grade_does_not_complete(client, org, auth):
    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h)
    _enrol(client, cid, org.learner_a1, auth)
    lh = auth(org.learner_a1)
    aid = act["assignment_id"]
    client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "isi"})
    client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh)
    r = client.put(f"/api/v1/assignments/{aid}/submissions/{org.learner_a1.nip}/grade", headers=h,
                   json={"grade": 60, "release": True})
    assert r.status_code == 200
    assert client.get(f"/api/v1/courses/{cid}/progress", headers=lh).json["completed"] is False


def test_late_and_cutoff_are_judged_on_the_server_in_wib(app, org):
    from tests.factories import make_course

    course = make_course(org.instructor, activities=[{"type": "assignment", "title": "Tugas"}])
    enrol_all(course, org.learner_a1, org.learner_b)
    a = ops.get_or_create_assignment(course.sections[0].activities[0])
    # Due 1 March 2027 23:59 WIB = 16:59 UTC; cut-off a day later.
    ops.update_assignment(a, {"due_at": "2027-03-01T23:59", "cutoff_at": "2027-03-02"})
    assert a.due_at == datetime(2027, 3, 1, 16, 59) and a.cutoff_at == datetime(2027, 3, 2, 16, 59)
    ops.save_draft(a, org.learner_a1, text="isi")
    on_time = ops.submit(a, org.learner_a1, now=datetime(2027, 3, 1, 16, 58))
    assert on_time.late is False
    ops.save_draft(a, org.learner_b, text="isi")
    late = ops.submit(a, org.learner_b, now=datetime(2027, 3, 1, 17, 0))
    assert late.late is True


def test_after_the_cutoff_submitting_is_a_409_and_an_extension_reopens_the_window(client, org, auth):
    h = auth(org.instructor)
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="minutes")
    cut = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="minutes")
    cid, act = _course_with_assignment(client, h, due_at=past, cutoff_at=cut)
    _enrol(client, cid, org.learner_a1, auth)
    lh = auth(org.learner_a1)
    aid = act["assignment_id"]
    r = client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh)
    assert r.status_code == 409 and r.json["error"]["code"] == "after_cutoff"
    assert "WIB" in r.json["error"]["message"]
    a = db.session.get(Assignment, aid)
    ops.grant_extension(a, org.learner_a1, due_at=datetime.now(UTC) + timedelta(days=3), reason="Sakit",
                        by=org.instructor)
    db.session.commit()
    client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "isi"})
    ok = client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh)
    assert ok.status_code == 200 and ok.json["late"] is False


def test_scale_grading_and_bad_settings(client, org, auth):
    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h, grading="scale", scale=["Belum kompeten", "Kompeten"],
                                       pass_grade=2, max_grade=None)
    aid = act["assignment_id"]
    info = client.get(f"/api/v1/assignments/{aid}", headers=h).json
    assert info["grading"] == "scale" and info["max_grade"] == 2 and info["scale"] == ["Belum kompeten", "Kompeten"]
    _enrol(client, cid, org.learner_a1, auth)
    nip = org.learner_a1.nip
    assert client.put(f"/api/v1/assignments/{aid}/submissions/{nip}/grade", headers=h,
                      json={"grade": 3}).status_code == 422
    ok = client.put(f"/api/v1/assignments/{aid}/submissions/{nip}/grade", headers=h,
                    json={"grade": "Kompeten", "release": True})
    assert ok.status_code == 200 and ok.json["grade"] == 2 and ok.json["grade_text"] == "Kompeten"

    sid = client.get(f"/api/v1/courses/{cid}", headers=h).json["sections"][0]["id"]
    bad = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "assignment", "title": "Salah", "submission_types": ["video"],
        "due_at": "kemarin", "grading": "rubric", "rubric": {"title": "R", "criteria": [{"description": "Isi"}]}})
    assert bad.status_code == 422
    messages = " ".join(d["message"] for d in bad.json["error"]["details"])
    assert "submission_types" in messages and "due_at" in messages and "tingkat" in messages


def test_rubric_grading_through_the_api(client, org, auth):
    h = auth(org.instructor)
    rubric = {"title": "Rubrik aktualisasi", "criteria": [
        {"description": "Analisis isu", "levels": [{"description": "Kurang", "points": 10},
                                                   {"description": "Baik", "points": 40}]},
        {"description": "Rencana aksi", "levels": [{"description": "Kurang", "points": 20},
                                                   {"description": "Baik", "points": 60}]}]}
    cid, act = _course_with_assignment(client, h, grading="rubric", rubric=rubric, pass_grade=70)
    aid = act["assignment_id"]
    info = client.get(f"/api/v1/assignments/{aid}", headers=h).json
    assert info["max_grade"] == 100 and len(info["rubric"]["criteria"]) == 2
    c1, c2 = info["rubric"]["criteria"]
    _enrol(client, cid, org.learner_a1, auth)
    nip = org.learner_a1.nip
    partial = client.put(f"/api/v1/assignments/{aid}/submissions/{nip}/grade", headers=h,
                         json={"rubric": {str(c1["id"]): c1["levels"][1]["id"]}})
    assert partial.status_code == 422 and "Rencana aksi" in partial.json["error"]["message"]
    full = client.put(f"/api/v1/assignments/{aid}/submissions/{nip}/grade", headers=h, json={
        "rubric": {str(c1["id"]): c1["levels"][1]["id"], str(c2["id"]): c2["levels"][1]["id"]}, "release": True})
    assert full.status_code == 200 and full.json["grade"] == 100
    lh = auth(org.learner_a1)
    assert client.get(f"/api/v1/courses/{cid}/progress", headers=lh).json["completed"] is True


def test_files_are_served_as_attachments_only_to_those_allowed(client, org, auth, login):
    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h)
    _enrol(client, cid, org.learner_a1, auth)
    _enrol(client, cid, org.learner_b, auth)
    aid = act["assignment_id"]
    up = client.post(f"/api/v1/assignments/{aid}/submission/files", headers=auth(org.learner_a1),
                     content_type="multipart/form-data", data={"file": (io.BytesIO(_docx()), "rencana.docx")})
    assert up.status_code == 201, up.json
    fid = up.json["id"]
    login(org.learner_b)
    assert client.get(f"/tugas/berkas/{fid}").status_code == 403
    client.post("/keluar")
    login(org.instructor)
    resp = client.get(f"/tugas/berkas/{fid}")
    assert resp.status_code == 200 and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.mimetype.endswith("wordprocessingml.document")


def test_reopen_starts_a_new_attempt_keeping_the_first(app, org):
    from tests.factories import make_course

    course = make_course(org.instructor, activities=[{"type": "assignment", "title": "Tugas"}])
    enrol_all(course, org.learner_a1)
    a = ops.get_or_create_assignment(course.sections[0].activities[0])
    ops.update_assignment(a, {"max_attempts": 2, "pass_grade": 70})
    ops.save_draft(a, org.learner_a1, text="versi 1")
    first = ops.submit(a, org.learner_a1)
    ops.grade_submission(first, org.instructor, grade=50, release=True)
    second = ops.reopen(first, org.instructor)
    assert second.attempt == 2 and second.status == "draft" and "versi 1" in second.text
    ops.save_draft(a, org.learner_a1, text="versi 2")
    ops.submit(a, org.learner_a1)
    import pytest

    from app.errors import Conflict

    with pytest.raises(Conflict):
        ops.reopen(second, org.instructor)
    rows = db.session.scalars(select(Submission).where(Submission.assignment_id == a.id)
                              .order_by(Submission.attempt)).all()
    assert [(s.attempt, s.latest, s.grade) for s in rows] == [(1, False, Decimal("50.00")), (2, True, None)]
    assert db.session.scalar(select(CourseCompletion.id)) is None


def test_learner_page_draft_upload_and_submit(client, org, auth, login):
    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h, allowed_types=["pdf"])
    _enrol(client, cid, org.learner_a1, auth)
    login(org.learner_a1)
    page = client.get(f"/aktivitas/{act['id']}")
    assert page.status_code == 200 and b"submission-form" in page.data
    aid = act["assignment_id"]
    r = client.post(f"/tugas/{aid}/kumpul", data={"action": "save", "text": "<p>Draf saya</p>",
                                                 "file": (io.BytesIO(PDF), "a.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    bad = client.post(f"/tugas/{aid}/kumpul", data={"action": "save", "text": "<p>Draf saya 2</p>",
                                                   "file": (io.BytesIO(b"GIF89a...."), "b.pdf")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert b"tidak diterima" in bad.data
    sub = db.session.scalar(select(Submission))
    assert [f.name for f in sub.files] == ["a.pdf"] and "Draf saya 2" in sub.text
    done = client.post(f"/tugas/{aid}/kumpul", data={"action": "submit"}, follow_redirects=True)
    assert b"Tugas dikumpulkan" in done.data
    db.session.expire_all()
    assert db.session.scalar(select(Submission)).status == "submitted"


def test_grader_page_filters_and_inline_grade(client, org, auth, login):
    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h)
    _enrol(client, cid, org.learner_a1, auth)
    _enrol(client, cid, org.learner_b, auth)
    aid = act["assignment_id"]
    lh = auth(org.learner_a1)
    client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "isi"})
    client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh)
    login(org.instructor)
    page = client.get(f"/tugas/{aid}/penilaian?filter=needs_grading")
    assert page.status_code == 200 and b"Learner A1" in page.data and b"Learner B" not in page.data
    r = client.post(f"/tugas/{aid}/penilaian/{org.learner_a1.id}", data={"grade": "80", "inline": "1"})
    assert r.status_code == 302
    page = client.get(f"/tugas/{aid}/penilaian?filter=unreleased")
    assert b"Learner A1" in page.data
    client.post(f"/tugas/{aid}/rilis")
    db.session.expire_all()
    assert db.session.scalar(select(Submission).where(Submission.user_id == org.learner_a1.id)).marking_state == \
        "released"
    bad = client.post(f"/tugas/{aid}/penilaian/{org.learner_b.id}", data={"grade": "abc"})
    assert bad.status_code == 422
    # A learner is refused the grader page.
    client.post("/keluar")
    login(org.learner_a1)
    assert client.get(f"/tugas/{aid}/penilaian").status_code == 403


def test_workplace_assessment_by_the_atasan(client, org, auth, login):
    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h, workplace_assessment=True)
    _enrol(client, cid, org.learner_a1, auth)
    aid = act["assignment_id"]
    lh = auth(org.learner_a1)
    client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "Laporan"})
    client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh)
    login(org.head_a)
    home = client.get("/")
    assert b"panel-workplace" in home.data
    page = client.get("/penilaian-atasan")
    assert b"Laporan" in page.data
    sub = db.session.scalar(select(Submission))
    client.post("/penilaian-atasan", data={"submission_id": sub.id, "grade": "90", "feedback": "Diterapkan"})
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).workplace_grade == Decimal("90.00")
    client.post("/keluar")
    login(org.learner_b)  # not the atasan
    client.post("/penilaian-atasan", data={"submission_id": sub.id, "grade": "10"})
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).workplace_grade == Decimal("90.00")


def test_download_all_feedback_zip_and_reminders(client, org, auth, login):
    from app.notifications.models import Notification

    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h)
    _enrol(client, cid, org.learner_a1, auth)
    _enrol(client, cid, org.learner_b, auth)
    aid = act["assignment_id"]
    lh = auth(org.learner_a1)
    client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "<p>Teks saya</p>"})
    client.post(f"/api/v1/assignments/{aid}/submission/files", headers=lh, content_type="multipart/form-data",
                data={"file": (io.BytesIO(PDF), "laporan.pdf")})
    client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh)
    login(org.instructor)
    resp = client.get(f"/tugas/{aid}/semua.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(resp.data))
    folder = f"{org.learner_a1.nip} - Learner A1"
    assert sorted(zf.namelist()) == [f"{folder}/laporan.pdf", f"{folder}/teks-daring.html"]
    assert zf.read(f"{folder}/laporan.pdf") == PDF

    # Feedback back: a stranger's folder refuses the whole ZIP; the right one is saved.
    def zipped(entries):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as out:
            for name, data in entries.items():
                out.writestr(name, data)
        return buf.getvalue()

    bad = zipped({f"{folder}/catatan.pdf": PDF, "999999999999999999 - X/a.pdf": PDF})
    r = client.post(f"/tugas/{aid}/umpan-balik-zip", data={"file": (io.BytesIO(bad), "fb.zip")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert b"ZIP ditolak" in r.data
    assert db.session.scalar(select(Submission.feedback_file_key).where(
        Submission.user_id == org.learner_a1.id)) is None
    good = zipped({f"{folder}/catatan.pdf": PDF, f"{folder}/teks-daring.html": "x"})
    r = client.post(f"/tugas/{aid}/umpan-balik-zip", data={"file": (io.BytesIO(good), "fb.zip")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert b"1 berkas umpan balik disimpan" in r.data
    db.session.expire_all()
    sub = db.session.scalar(select(Submission).where(Submission.user_id == org.learner_a1.id))
    assert sub.feedback_file_name == "catatan.pdf"

    client.post(f"/tugas/{aid}/pengingat")
    notes = db.session.scalars(select(Notification).where(Notification.title.contains("Pengingat"))).all()
    assert [n.user_id for n in notes] == [org.learner_b.id]


def test_due_date_is_in_the_learner_agenda_until_handed_in(client, org, auth, login):
    h = auth(org.instructor)
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat(timespec="minutes")
    cid, act = _course_with_assignment(client, h, due_at=due)
    _enrol(client, cid, org.learner_a1, auth)
    login(org.learner_a1)
    page = client.get("/kalender").get_data(as_text=True)
    assert "Tenggat tugas" in page and "Laporan aktualisasi" in page
    lh = auth(org.learner_a1)
    aid = act["assignment_id"]
    client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "isi"})
    client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh)
    assert "Laporan aktualisasi" not in client.get("/kalender").get_data(as_text=True)


def test_resumable_upload_resumes_and_checks_the_whole_file(client, org, auth):
    import base64

    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h, allowed_types=["pdf"], max_file_mb=1)
    _enrol(client, cid, org.learner_a1, auth)
    lh = auth(org.learner_a1)
    aid = act["assignment_id"]
    meta = {"Upload-Metadata": "filename " + base64.b64encode(b"laporan akhir.pdf").decode()}
    big = client.post(f"/api/v1/assignments/{aid}/submission/uploads", headers={**lh, **meta,
                                                                               "Upload-Length": str(2 * 1024 * 1024)})
    assert big.status_code == 413
    data = PDF + b"x" * 5000
    start = client.post(f"/api/v1/assignments/{aid}/submission/uploads",
                        headers={**lh, **meta, "Upload-Length": str(len(data))})
    assert start.status_code == 201
    url = start.headers["Location"]
    octets = {**lh, "Content-Type": "application/offset+octet-stream"}
    first = client.patch(url, headers={**octets, "Upload-Offset": "0"}, data=data[:3000])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "3000"
    # The connection dropped; a resend from the wrong offset is a conflict, HEAD tells where to go on.
    assert client.patch(url, headers={**octets, "Upload-Offset": "0"}, data=data[:10]).status_code == 409
    assert client.head(url, headers=lh).headers["Upload-Offset"] == "3000"
    last = client.patch(url, headers={**octets, "Upload-Offset": "3000"}, data=data[3000:])
    assert last.status_code == 204
    mine = client.get(f"/api/v1/assignments/{aid}/submission", headers=lh).json
    assert [f["name"] for f in mine["files"]] == ["laporan akhir.pdf"]
    # A whole file that is not of an accepted type is refused at the end; the draft keeps its file.
    bad = b"\x00\x01binary" * 100
    s2 = client.post(f"/api/v1/assignments/{aid}/submission/uploads",
                     headers={**lh, **meta, "Upload-Length": str(len(bad))})
    r = client.patch(s2.headers["Location"], headers={**octets, "Upload-Offset": "0"}, data=bad)
    assert r.status_code == 422 and r.json["error"]["code"] == "file_type_not_allowed"
    assert client.get(s2.headers["Location"], headers=lh).json["state"] == "refused"
    assert len(client.get(f"/api/v1/assignments/{aid}/submission", headers=lh).json["files"]) == 1
    # Someone else's upload does not exist for them.
    assert client.head(url, headers=auth(org.learner_b)).status_code == 404


def test_a_named_mentor_assesses_instead_of_the_atasan(client, org, auth, login):
    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h, workplace_assessment=True)
    _enrol(client, cid, org.learner_a1, auth)
    aid = act["assignment_id"]
    lh = auth(org.learner_a1)
    client.put(f"/api/v1/assignments/{aid}/submission", headers=lh, json={"text": "Laporan mentor"})
    fid = client.post(f"/api/v1/assignments/{aid}/submission/files", headers=lh, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(PDF), "a.pdf")}).json["id"]
    client.post(f"/api/v1/assignments/{aid}/submission/submit", headers=lh)
    login(org.instructor)
    bad = client.post(f"/tugas/{aid}/penilaian/{org.learner_a1.id}",
                      data={"action": "assessor", "assessor_nip": "199001012015011999"})
    assert bad.status_code == 422
    client.post(f"/tugas/{aid}/penilaian/{org.learner_a1.id}", data={"action": "assessor",
                                                                     "assessor_nip": org.bpsdm_a.nip})
    client.post("/keluar")
    login(org.head_a)  # the atasan no longer assesses, nor opens the files
    assert b"Laporan mentor" not in client.get("/penilaian-atasan").data
    assert client.get(f"/tugas/berkas/{fid}").status_code == 403
    client.post("/keluar")
    login(org.bpsdm_a)
    assert b"Laporan mentor" in client.get("/penilaian-atasan").data
    assert client.get(f"/tugas/berkas/{fid}").status_code == 200
    sub = db.session.scalar(select(Submission))
    client.post("/penilaian-atasan", data={"submission_id": sub.id, "grade": "77"})
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).workplace_grade == Decimal("77.00")


def test_course_assignment_list_with_own_status(client, org, auth):
    h = auth(org.instructor)
    cid, act = _course_with_assignment(client, h)
    _enrol(client, cid, org.learner_a1, auth)
    lh = auth(org.learner_a1)
    listing = client.get(f"/api/v1/courses/{cid}/assignments", headers=lh)
    assert listing.status_code == 200 and listing.json["total"] == 1
    item = listing.json["items"][0]
    assert item["id"] == act["assignment_id"] and item["status"] == "new" and item["grade"] is None
    assert client.get(f"/api/v1/courses/{cid}/assignments", headers=auth(org.learner_b)).status_code == 403
    staff = client.get(f"/api/v1/courses/{cid}/assignments", headers=h).json
    assert staff["items"][0]["status"] is None


def test_a_corrupt_feedback_zip_stores_nothing(app, org):
    import pytest

    from app.errors import RuleViolation
    from app.storage import get_storage
    from tests.factories import make_course

    course = make_course(org.instructor, activities=[{"type": "assignment", "title": "Tugas"}])
    enrol_all(course, org.learner_a1)
    a = ops.get_or_create_assignment(course.sections[0].activities[0])
    folder = f"{org.learner_a1.nip} - Learner A1"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{folder}/a.pdf", PDF)
        zf.writestr(f"{folder}/b.pdf", PDF + b"tail")
    data = bytearray(buf.getvalue())
    pos = data.rfind(b"tail")
    data[pos] ^= 0xFF  # the second file's bytes no longer match its checksum
    before = set(get_storage().list("assignments/"))
    with pytest.raises(RuleViolation) as exc:
        ops.apply_feedback_zip(a, bytes(data), allowed={org.learner_a1.nip: org.learner_a1}, by=org.instructor)
    assert "rusak" in exc.value.message
    assert set(get_storage().list("assignments/")) == before
