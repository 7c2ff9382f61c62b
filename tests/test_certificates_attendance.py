"""Certificates in bulk for classroom training recorded in the JP ledger (attendance lists)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.certificates.models import Certificate
from app.extensions import db
from app.ledger import operations as ledger
from app.ledger.models import LedgerEntry
from app.ledger.rules import rule_by_code


def make_batch(org):
    batch = ledger.create_batch(org.bpsdm_a, rule=rule_by_code("KL10"), title="Bimtek Pengelolaan Keuangan Daerah",
                                organiser="BPSDM Provinsi Uji", start_date=date(2026, 2, 3),
                                end_date=date(2026, 2, 5), stated_jp=Decimal(24))
    db.session.commit()
    return batch


def test_issue_certificates_for_an_attendance_batch(app, org, client, login):
    batch = make_batch(org)
    ledger.record_attendance(org.bpsdm_a, batch, [(1, org.learner_a1.nip), (2, org.head_a.nip),
                                                  (3, org.instructor.nip)])
    db.session.commit()
    # one attendee's entry is reversed: no certificate for them
    wrong = db.session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == org.instructor.id))
    ledger.reverse_entry(org.bpsdm_a, wrong, "Tidak hadir")
    db.session.commit()

    login(org.bpsdm_a)
    page = client.get("/sertifikat/kehadiran").get_data(as_text=True)
    assert "Bimtek Pengelolaan Keuangan Daerah" in page
    resp = client.post(f"/sertifikat/kehadiran/{batch.id}/terbitkan", follow_redirects=True)
    assert "2 sertifikat diterbitkan" in resp.get_data(as_text=True)
    certs = list(db.session.scalars(select(Certificate).order_by(Certificate.id)))
    assert {c.user_id for c in certs} == {org.learner_a1.id, org.head_a.id}
    c = certs[0]
    assert c.course_id is None and c.source == "attendance" and c.title == "Bimtek Pengelolaan Keuangan Daerah"
    assert c.jp == batch.jp and c.start_date == date(2026, 2, 3) and c.end_date == date(2026, 2, 5)
    # repeating issues nothing new
    resp = client.post(f"/sertifikat/kehadiran/{batch.id}/terbitkan", follow_redirects=True)
    assert "0 sertifikat diterbitkan" in resp.get_data(as_text=True)
    assert len(list(db.session.scalars(select(Certificate)))) == 2
    # the certificate renders and verifies like a course certificate
    assert client.get(f"/certificates/{c.serial}.pdf").data.startswith(b"%PDF")
    body = client.get(f"/api/v1/certificates/{c.public_id}").get_json()
    assert body["course"] == "Bimtek Pengelolaan Keuangan Daerah" and body["jp"] == f"{batch.jp.normalize():f}"


def test_attendance_issue_api_is_for_staff_in_reach(app, org, client, auth):
    batch = make_batch(org)
    ledger.record_attendance(org.bpsdm_a, batch, [(1, org.learner_a1.nip)])
    db.session.commit()
    url = f"/api/v1/certificates/attendance-batches/{batch.id}"
    assert client.post(url, headers=auth(org.learner_a1)).status_code == 403
    resp = client.post(url, headers=auth(org.admin))
    assert resp.status_code == 200 and resp.get_json() == {"issued": 1, "already": 0}
    assert client.post("/api/v1/certificates/attendance-batches/999", headers=auth(org.admin)).status_code == 404
