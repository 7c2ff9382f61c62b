"""Certificates of programs (learning paths and certifications): issued when the last course of a
program is completed and at every recertification, once per completion, replaced by the next one;
shown, verified, listed, zipped and scoped like course certificates."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User, utcnow
from app.certificates import operations as ops
from app.certificates.models import Certificate
from app.corpu import operations as corpu_ops
from app.corpu.models import Program, ProgramCompletion
from app.courses.models import Activity
from app.courses.operations import complete_activity
from app.extensions import db
from tests.certificates_fixtures import assert_pdf_scoping, complete_at_once, complete_course, in_thread
from tests.conftest import count
from tests.factories import enrol_all, make_course


def program_certs(user=None) -> list[Certificate]:
    stmt = select(Certificate).where(Certificate.source == "program").order_by(Certificate.id)
    if user is not None:
        stmt = stmt.where(Certificate.user_id == user.id)
    return list(db.session.scalars(stmt))


def make_program(*, code: str = "LITDIG", title: str = "Program Literasi Digital ASN", validity_years=None,
                 certificate: bool | None = None, jps=(4, 6), course_certificates: bool = True):
    courses = [make_course(title=f"{title} — Modul {i + 1}", jp=jp, certificate=course_certificates)
               for i, jp in enumerate(jps)]
    program = corpu_ops.save_program(code=code, title=title, validity_years=validity_years, certificate=certificate,
                                     course_ids=[c.id for c in courses])
    db.session.commit()
    return program, courses


def finish_program(program, courses, *users, at: datetime | None = None) -> None:
    """Every user enrols in and completes every course of the program (at `at`), committed."""
    for course in courses:
        enrol_all(course, *users)
        for user in users:
            for section in course.sections:
                for activity in section.activities:
                    complete_activity(user, activity, at=at)
    db.session.commit()


# --- issuing ----------------------------------------------------------------------------------------

def test_last_course_of_a_program_issues_one_program_certificate(app, org):
    from pypdf import PdfReader

    program, (first, last) = make_program(jps=(4, "6.5"))
    me = org.learner_a1
    started = utcnow() - timedelta(days=10)
    enrol_all(first, me)
    for activity in first.sections[0].activities:  # the first course ten days ago: the program started then
        complete_activity(me, activity, at=started)
    db.session.commit()
    assert program_certs(me) == []  # one course of two: nothing yet
    enrol_all(last, me)
    complete_course(last, me)
    db.session.commit()

    [cert] = program_certs(me)
    completion = db.session.scalars(select(ProgramCompletion)).one()
    assert (cert.source_ref, cert.program_id, cert.course_id) == (str(completion.id), program.id, None)
    assert cert.title == "Program Literasi Digital ASN" and cert.jp == 10.5 and cert.training_type == "program"
    assert cert.start_date == started.date() and cert.end_date == completion.completed_on == utcnow().date()
    assert cert.expires_on is None and cert.current_key is not None
    assert cert.holder_name == me.name and cert.holder_nip == me.nip
    # the course certificates are there too, and all three share the instansi's one sequence
    assert count(Certificate) == 3
    serials = sorted(c.serial for c in db.session.scalars(select(Certificate)))
    assert serials == [f"UJI/{utcnow().year}/{n:06d}" for n in (1, 2, 3)]
    # the same completion announced again (a re-run subscriber) gives the same certificate
    assert ops.issue_for_program(me, program, completion) is cert
    db.session.commit()
    assert count(Certificate) == 3

    text = PdfReader(io.BytesIO(ops.render_certificate(cert, sign=False))).pages[0].extract_text()
    for expected in ("yang telah menyelesaikan program pembelajaran", "Program Literasi Digital ASN", "10,5 JP",
                     me.name, cert.serial):
        assert expected in text, expected


def test_program_without_certificate_issues_none_but_courses_still_do(app, org, client, login):
    program, courses = make_program(certificate=False)
    finish_program(program, courses, org.learner_a1)
    assert count(ProgramCompletion) == 1
    assert program_certs() == [] and count(Certificate) == 2
    login(org.learner_a1)
    assert "Sertifikat terbit otomatis" not in client.get(f"/program/{program.id}").get_data(as_text=True)


def test_staff_switch_the_certificate_on_the_program_form(app, org, client, login):
    a = make_course(title="APKD Dasar", code="APKD-1")
    db.session.commit()
    login(org.admin)  # programs are organisation-wide (issue 14)
    form = client.get("/program/baru").get_data(as_text=True)
    [box] = re.findall(r'<input[^>]*name="certificate"[^>]*>', form)
    assert "checked" in box  # on unless staff switch it off
    data = {"code": "APKD", "title": "Sertifikasi APKD", "validity_years": "3", "courses": "APKD-1"}
    assert client.post("/program/baru", data=data).status_code == 302  # the box left unticked
    program = db.session.scalar(select(Program))
    assert program.certificate is False
    assert client.post(f"/program/{program.id}/ubah", data=data | {"certificate": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Program, program.id).certificate is True
    assert "Sertifikat terbit otomatis" in client.get(f"/program/{program.id}").get_data(as_text=True)
    # and the learner who now completes it gets one
    finish_program(program, [a], org.learner_a1)
    assert [c.title for c in program_certs(org.learner_a1)] == ["Sertifikasi APKD"]


# --- expiry, recertification, verification ------------------------------------------------------------

def test_expired_certification_shows_expired_on_verify_and_in_the_api(app, org, client):
    program, courses = make_program(code="APKD", title="Sertifikasi APKD", validity_years=2, jps=(8,))
    long_ago = utcnow() - timedelta(days=3 * 366)
    finish_program(program, courses, org.learner_a1, at=long_ago)
    completion = db.session.scalars(select(ProgramCompletion)).one()
    [cert] = program_certs(org.learner_a1)
    assert cert.expires_on == completion.expires_on < utcnow().date()
    assert cert.training_type == "sertifikasi" and cert.issued_on == long_ago.date()
    text = client.get(f"/verify/{cert.public_id}").get_data(as_text=True)
    assert "Kedaluwarsa" in text and "telah berakhir" in text and "Sertifikasi APKD" in text
    assert "Sertifikasi</dd>" in text  # the type, in words
    body = client.get(f"/api/v1/certificates/{cert.public_id}").get_json()
    assert body["valid"] is False and body["expired"] is True and body["revoked"] is False
    assert body["expires_on"] == completion.expires_on.isoformat() and body["source"] == "program"


def test_recertification_issues_a_new_certificate_and_replaces_the_old(app, org, client, login):
    program, courses = make_program(code="APKD", title="Sertifikasi APKD", validity_years=3, jps=(8, 8))
    me = org.learner_a1
    finish_program(program, courses, me)
    [first] = program_certs(me)
    login(org.bpsdm_a)
    on = utcnow().date() - timedelta(days=1)
    resp = client.post(f"/program/{program.id}", data={"nip": me.nip, "on": on.isoformat()})
    assert resp.status_code == 302
    db.session.expire_all()
    first, second = program_certs(me)
    recert = db.session.scalars(select(ProgramCompletion).where(ProgramCompletion.kind == "recertification")).one()
    assert second.source_ref == str(recert.id) and second.training_type == "sertifikasi"
    assert (second.start_date, second.end_date, second.expires_on) == (on, on, recert.expires_on)
    assert second.issued_on == utcnow().date() and second.jp == 16
    assert first.replaced_by_id == second.id and first.current_key is None and second.current_key is not None
    assert count(Certificate) == 4  # two course certificates, two program certificates

    text = client.get(f"/verify/{first.public_id}").get_data(as_text=True)
    assert "Diganti" in text and second.serial in text
    body = client.get(f"/api/v1/certificates/{first.public_id}").get_json()
    assert body["valid"] is False and body["replaced_by"] == second.serial
    assert client.get(f"/api/v1/certificates/{second.public_id}").get_json()["valid"] is True

    # a name correction of the new one keeps the certification's expiry, it does not extend it
    fixed = ops.reissue(second, org.admin, holder_name="Learner A1, S.E.")
    db.session.commit()
    assert fixed.expires_on == recert.expires_on and fixed.program_id == program.id
    # the next recertification replaces the one in force (the corrected one)
    third_completion = corpu_ops.recertify(program, me, utcnow().date(), by=org.admin)
    db.session.commit()
    third = program_certs(me)[-1]
    assert third.source_ref == str(third_completion.id)
    db.session.refresh(fixed)
    assert fixed.replaced_by_id == third.id
    in_force = [c for c in program_certs(me) if c.current_key is not None]
    assert in_force == [third]


# --- pages, API, ZIP, scoping ---------------------------------------------------------------------------

def test_program_certificate_in_my_certificates_staff_search_and_api(app, org, client, login, auth):
    program, courses = make_program()
    finish_program(program, courses, org.learner_a1, org.learner_b)
    [mine] = program_certs(org.learner_a1)
    [theirs] = program_certs(org.learner_b)

    login(org.learner_a1)
    text = client.get("/sertifikat-saya").get_data(as_text=True)
    assert mine.serial in text and "Program pelatihan" in text and theirs.serial not in text
    client.post("/keluar")
    login(org.bpsdm_a)
    text = client.get("/sertifikat?q=Program Literasi").get_data(as_text=True)
    assert mine.serial in text and theirs.serial not in text  # learner_b is outside unit A
    assert client.get(f"/sertifikat/{mine.id}").status_code == 200
    assert client.get(f"/sertifikat/{theirs.id}").status_code == 403

    listed = client.get("/api/v1/certificates", headers=auth(org.learner_a1)).get_json()
    [item] = [c for c in listed["items"] if c["source"] == "program"]
    assert item["serial"] == mine.serial and item["program_id"] == program.id and item["course_id"] is None
    assert item["course"] == "Program Literasi Digital ASN" and item["jp"] == "10"
    assert item["training_type"] == "program" and item["status"] == "valid"
    assert len(listed["items"]) == 3 and listed["total"] == 3
    body = client.get(f"/api/v1/certificates/{mine.public_id}").get_json()  # public, no login
    for field in ("serial", "valid", "revoked", "holder", "course", "jp", "issued_on"):
        assert field in body, field
    assert (body["valid"], body["holder"], body["course"], body["jp"]) == (True, mine.holder_name,
                                                                           "Program Literasi Digital ASN", "10")


def test_only_the_holder_and_staff_in_reach_download_the_pdf(app, org, client, login):
    program, courses = make_program()
    finish_program(program, courses, org.learner_a1, org.learner_b)
    [a] = program_certs(org.learner_a1)
    [b] = program_certs(org.learner_b)
    assert_pdf_scoping(client, login, org, a.serial, b.serial)


def test_zip_by_unit_includes_program_certificates_and_by_course_does_not(app, org, client, login):
    from app.jobs.models import Job
    from app.jobs.operations import run_pending

    program, (first, second) = make_program()
    finish_program(program, [first, second], org.learner_a1, org.learner_b)
    login(org.bpsdm_a)

    def zipped(**form) -> set[str]:
        before = set(db.session.scalars(select(Job.id)))
        assert client.post("/sertifikat/zip", data=form).status_code == 302
        [job_id] = set(db.session.scalars(select(Job.id))) - before
        run_pending()
        status = client.get(f"/sertifikat/zip/{job_id}.json").get_json()
        assert status["state"] == "done", status
        return set(zipfile.ZipFile(io.BytesIO(client.get(status["download"]).data)).namelist())

    everything_a1 = {ops.pdf_filename(c) for c in db.session.scalars(
        select(Certificate).where(Certificate.user_id == org.learner_a1.id))}
    [program_pdf] = [ops.pdf_filename(c) for c in program_certs(org.learner_a1)]
    today = utcnow().date().isoformat()
    assert zipped(course_id=0, unit_id=org.a.id, date_from=today, date_to=today) == everything_a1
    by_course = zipped(course_id=second.id, unit_id=0)
    assert program_pdf not in by_course and len(by_course) == 1


# --- concurrency -------------------------------------------------------------------------------------


def test_parallel_completion_of_the_last_course_gives_one_program_certificate_each(app, org):
    from app.accounts import operations as acc

    users = [acc.create_user(f"p{i}", password="rahasia123", name=f"Peserta {i}", unit=org.a1) for i in range(5)]
    first = make_course(title="Modul 1", certificate=True, activities=[{"type": "lesson", "title": "Satu"}])
    last = make_course(title="Modul 2", certificate=True, activities=[{"type": "lesson", "title": "Dua"}])
    program = corpu_ops.save_program(code="PAR", title="Program Paralel", course_ids=[first.id, last.id])
    enrol_all(first, *users)
    enrol_all(last, *users)
    for u in users:
        complete_course(first, u)
    db.session.commit()
    activity_id = last.sections[0].activities[0].id
    user_ids = [u.id for u in users]
    results = complete_at_once(app, user_ids, activity_id)  # every learner's last activity, twice at once
    certs = program_certs()
    assert sorted(c.user_id for c in certs) == sorted(user_ids), results
    assert {c.program_id for c in certs} == {program.id}
    assert count(ProgramCompletion) == 5
    serials = [c.serial for c in db.session.scalars(select(Certificate))]
    assert len(serials) == len(set(serials)) == 15  # 5 x (two courses + the program)


def test_parallel_issue_for_one_completion_never_duplicates(app, org):
    program, courses = make_program(certificate=False)
    finish_program(program, courses, org.learner_a1)
    assert program_certs() == []
    # switched on afterwards; several workers then issue for the same completion at once
    program.certificate = True
    db.session.commit()
    completion_id, program_id, uid = db.session.scalars(select(ProgramCompletion.id)).one(), program.id, \
        org.learner_a1.id
    barrier = threading.Barrier(4)
    results: list[str] = []

    def issue():
        ops.issue_for_program(db.session.get(User, uid), db.session.get(Program, program_id),
                              db.session.get(ProgramCompletion, completion_id))

    threads = [in_thread(app, issue, results, barrier) for _ in range(4)]
    for t in threads:
        t.join(60)
    db.session.expire_all()
    assert len(program_certs()) == 1 and "ok" in results, results


def test_parallel_recertifications_leave_one_certificate_in_force(app, org):
    program, courses = make_program(code="APKD", title="Sertifikasi APKD", validity_years=3)
    finish_program(program, courses, org.learner_a1)
    program_id, uid = program.id, org.learner_a1.id
    barrier = threading.Barrier(3)
    results: list[str] = []

    def recertify():
        corpu_ops.recertify(db.session.get(Program, program_id), db.session.get(User, uid), date.today())

    threads = [in_thread(app, recertify, results, barrier) for _ in range(3)]
    for t in threads:
        t.join(60)
    db.session.expire_all()
    assert "ok" in results, results
    certs = program_certs(org.learner_a1)
    completions = list(db.session.scalars(select(ProgramCompletion.id)))
    # every committed completion has its certificate, and exactly one is in force
    assert sorted(int(c.source_ref) for c in certs) == sorted(completions)
    assert len([c for c in certs if c.current_key is not None]) == 1
    assert len([c for c in certs if c.replaced_by_id is None]) == 1


def test_two_last_courses_completed_at_once_still_complete_the_program(app, org):
    """One person finishes the program's two remaining courses in two requests at the same
    moment: neither transaction may miss the other's completion. No JP on these courses: a
    ledger credit would serialise the two transactions on the chain head and hide the race."""
    from app.accounts import operations as acc

    for round_ in range(3):
        user = acc.create_user(f"dua{round_}", password="rahasia123", name=f"Peserta {round_}", unit=org.a1)
        first = make_course(title=f"Modul A{round_}", certificate=False, jp=0, activities=[{"type": "lesson", "title": "A"}])
        second = make_course(title=f"Modul B{round_}", certificate=False, jp=0, activities=[{"type": "lesson", "title": "B"}])
        program = corpu_ops.save_program(code=f"DUA{round_}", title=f"Program Dua {round_}",
                                         course_ids=[first.id, second.id])
        enrol_all(first, user)
        enrol_all(second, user)
        db.session.commit()
        acts = [first.sections[0].activities[0].id, second.sections[0].activities[0].id]
        barrier = threading.Barrier(2)
        results: list[str] = []

        def completer(activity_id, uid=user.id):
            return lambda: complete_activity(db.session.get(User, uid), db.session.get(Activity, activity_id))

        threads = [in_thread(app, completer(a), results, barrier) for a in acts]
        for t in threads:
            t.join(60)
        assert results == ["ok", "ok"], results
        db.session.expire_all()
        assert db.session.scalar(select(ProgramCompletion.id).where(ProgramCompletion.program_id == program.id,
                                                                    ProgramCompletion.user_id == user.id))
        assert len(program_certs(user)) == 1
