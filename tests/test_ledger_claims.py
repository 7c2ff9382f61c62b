"""Claims of external learning, their verification, notifications, and attendance batches."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.ledger import operations as ops
from app.ledger import queries
from app.ledger.models import AttendanceBatch, Claim, LedgerEntry
from app.ledger.rules import rule_by_code
from app.notifications.models import Notification
from app.storage import get_storage
from tests.conftest import count, nip_for
from tests.ledger_fixtures import tiny_pdf, xlsx_bytes


def claim_form(**over):
    data = {"rule": "KL06", "title": "Seminar Nasional Transformasi Digital", "organiser": "Kementerian Kominfo",
            "start_date": "2026-03-10", "end_date": "2026-03-11", "days": "2", "minutes": "", "stated_jp": "",
            "certificate_number": "SEM-2026-117",
            "evidence": (io.BytesIO(tiny_pdf()), "sertifikat.pdf")}
    data.update(over)
    return data


def as_user(client, login, user):
    """Switch the test client to another person (log out, then in through the login page)."""
    client.post("/keluar")
    return login(user)


def submit(client, **over):
    return client.post("/jp/klaim/baru", data=claim_form(**over), content_type="multipart/form-data")


def test_claim_workflow_approve(org, login, client):
    login(org.learner_a1)
    resp = submit(client, international="y")
    assert resp.status_code == 302
    claim = db.session.scalar(select(Claim))
    assert claim.state == "submitted" and claim.evidence_type == "application/pdf"
    assert get_storage().read_bytes(claim.evidence_key).startswith(b"%PDF")
    assert count(LedgerEntry) == 0
    assert "Menunggu verifikasi" in client.get("/jp/klaim").get_data(as_text=True)

    as_user(client, login, org.bpsdm_a)
    queue = client.get("/jp/verifikasi").get_data(as_text=True)
    assert f'data-claim="{claim.id}"' in queue and "Seminar Nasional Transformasi Digital" in queue
    review = client.get(f"/jp/verifikasi/{claim.id}").get_data(as_text=True)
    assert "12 JP" in review  # 2 days x 6 JP international
    assert client.get(f"/jp/klaim/{claim.id}/bukti").status_code == 200
    resp = client.post(f"/jp/verifikasi/{claim.id}/setujui", data={"reason": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    entry = claim.entry
    assert claim.state == "approved" and claim.reviewer_id == org.bpsdm_a.id
    assert (entry.jp, entry.rule_code, entry.kind, entry.source_type, entry.source_id) == (
        Decimal("12.00"), "KL06", "seminar", "claim", claim.id)
    assert (entry.jenis_diklat_id, entry.certificate_number, entry.international) == (9, "SEM-2026-117", True)
    assert (entry.year, entry.start_date, entry.end_date) == (2026, date(2026, 3, 10), date(2026, 3, 11))
    assert queries.year_total(org.learner_a1.id, 2026) == Decimal(12)

    note = db.session.scalar(select(Notification).where(Notification.user_id == org.learner_a1.id))
    assert "disetujui" in note.title and "12 JP" in note.body and note.read_at is None
    # Approving twice is refused; nothing more is credited.
    again = client.post(f"/jp/verifikasi/{claim.id}/setujui", data={"reason": ""}, follow_redirects=True)
    assert "sudah diverifikasi" in again.get_data(as_text=True)
    assert count(LedgerEntry) == 1

    as_user(client, login, org.learner_a1)
    page = client.get("/notifikasi").get_data(as_text=True)
    assert "Klaim JP disetujui" in page
    opened = client.post(f"/notifikasi/{note.id}/buka")
    assert opened.status_code == 302 and opened.location.startswith("/jp")
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None


def test_claim_workflow_reject_tells_the_learner_why(org, login, client):
    login(org.learner_a1)
    submit(client, rule="NKL02", title="Mentoring kepemimpinan", days="", minutes="180")
    claim = db.session.scalar(select(Claim))
    as_user(client, login, org.bpsdm_a)
    assert client.post(f"/jp/verifikasi/{claim.id}/tolak", data={"reason": ""}, follow_redirects=True) \
        .get_data(as_text=True).count("Alasan penolakan wajib diisi") >= 1
    resp = client.post(f"/jp/verifikasi/{claim.id}/tolak", data={"reason": "Bukti tidak memuat nama Anda"})
    assert resp.status_code == 302
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert claim.state == "rejected" and claim.reason == "Bukti tidak memuat nama Anda"
    assert count(LedgerEntry) == 0
    note = db.session.scalar(select(Notification).where(Notification.user_id == org.learner_a1.id))
    assert "ditolak" in note.title and "Bukti tidak memuat nama Anda" in note.body
    as_user(client, login, org.learner_a1)
    assert "Bukti tidak memuat nama Anda" in client.get("/jp/klaim").get_data(as_text=True)


def test_claim_refuses_bad_evidence_and_lengths(org, login, client):
    login(org.learner_a1)
    fake = submit(client, evidence=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "sertifikat.pdf"))
    assert fake.status_code == 422 and "PDF, PNG atau JPEG" in fake.get_data(as_text=True)
    big = submit(client, evidence=(io.BytesIO(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)), "besar.pdf"))
    assert big.status_code == 422 and "terlalu besar" in big.get_data(as_text=True)
    no_days = submit(client, days="")
    assert no_days.status_code == 422 and "jumlah hari" in no_days.get_data(as_text=True)
    too_many_days = submit(client, days="5")
    assert too_many_days.status_code == 422
    backwards = submit(client, start_date="2026-03-12")
    assert backwards.status_code == 422
    ancient = submit(client, start_date="1990-03-10", end_date="1990-03-11")  # issue 22: not silently taken
    assert ancient.status_code == 422 and "tahun 1990 sudah terlalu lama" in ancient.get_data(as_text=True)
    png = submit(client, evidence=(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "foto.png"))
    assert png.status_code == 302
    assert count(Claim) == 1 and db.session.scalar(select(Claim.evidence_type)) == "image/png"


def test_queue_and_review_are_scoped(org, login, client):
    login(org.learner_b)
    submit(client, title="Seminar pegawai B")
    claim_b = db.session.scalar(select(Claim))
    as_user(client, login, org.bpsdm_a)
    assert f'data-claim="{claim_b.id}"' not in client.get("/jp/verifikasi").get_data(as_text=True)
    assert client.get(f"/jp/verifikasi/{claim_b.id}").status_code == 403
    assert client.post(f"/jp/verifikasi/{claim_b.id}/setujui", data={}).status_code == 403
    assert client.get(f"/jp/klaim/{claim_b.id}/bukti").status_code == 403
    as_user(client, login, org.learner_a1)
    assert client.get("/jp/verifikasi").status_code == 403
    assert client.get(f"/jp/klaim/{claim_b.id}/bukti").status_code == 403
    as_user(client, login, org.admin)
    assert f'data-claim="{claim_b.id}"' in client.get("/jp/verifikasi").get_data(as_text=True)


def test_staff_cannot_approve_their_own_claim(org, login, client):
    login(org.bpsdm_a)
    submit(client)
    claim = db.session.scalar(select(Claim))
    assert client.post(f"/jp/verifikasi/{claim.id}/setujui", data={}).status_code == 403
    assert count(LedgerEntry) == 0


# --- attendance ---------------------------------------------------------------------------------------

def make_batch(org, **kw):
    args = {"rule": rule_by_code("KL10"), "title": "Bimtek Pengelolaan Keuangan Daerah",
            "organiser": "BPSDM Provinsi Uji", "start_date": date(2026, 2, 3), "end_date": date(2026, 2, 5),
            "stated_jp": Decimal(24)}
    args.update(kw)
    b = ops.create_batch(org.bpsdm_a, **args)
    db.session.commit()
    return b


def test_attendance_by_hand_is_idempotent(org, login, client):
    batch = make_batch(org)
    login(org.bpsdm_a)
    nips = f"{org.learner_a1.nip}\n{org.head_a.nip}\n"
    resp = client.post(f"/jp/kehadiran/{batch.id}/daftar", data={"nips": nips})
    assert resp.status_code == 200 and "2 peserta dikreditkan" in resp.get_data(as_text=True)
    again = client.post(f"/jp/kehadiran/{batch.id}/daftar", data={"nips": nips + org.instructor.nip})
    assert "1 peserta dikreditkan; 2 sudah tercatat" in again.get_data(as_text=True)
    assert count(LedgerEntry) == 3
    assert queries.year_total(org.learner_a1.id, 2026) == Decimal(24)
    e = db.session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == org.learner_a1.id))
    assert (e.source_type, e.source_id, e.rule_code, e.jenis_diklat_id, e.kind) == (
        "attendance", batch.id, "KL10", 8, "classroom")


def test_attendance_upload_refused_whole_with_every_bad_row(org, login, client):
    batch = make_batch(org)
    login(org.bpsdm_a)
    csv = ("nip;nama\n"
           f"{org.learner_a1.nip};Learner A1\n"
           "12345;Pendek\n"
           f"{nip_for(77)};Tidak ada\n"
           f"{org.learner_b.nip};Unit B\n"
           f"{org.learner_a1.nip};Dobel\n")
    resp = client.post(f"/jp/kehadiran/{batch.id}/unggah", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(csv.encode()), "hadir.csv")})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="import-errors"' in html
    for row in ("<td>3</td>", "<td>4</td>", "<td>5</td>", "<td>6</td>"):
        assert row in html
    assert "18 angka" in html and "tidak ditemukan" in html and "di luar jangkauan" in html
    assert count(LedgerEntry) == 0  # nothing saved, not even the good row

    good = xlsx_bytes([["nip", "nama"], [org.learner_a1.nip, "A1"], [org.head_a.nip, "Head"]])
    for _ in range(2):  # the same file twice credits once
        resp = client.post(f"/jp/kehadiran/{batch.id}/unggah", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(good), "hadir.xlsx")})
        assert resp.status_code == 200
    assert count(LedgerEntry) == 2


def test_attendance_scoping_and_rules(org, login, client):
    login(org.learner_a1)
    assert client.get("/jp/kehadiran").status_code == 403
    as_user(client, login, org.bpsdm_a)
    resp = client.post("/jp/kehadiran", data={"rule": "KL06", "title": "Seminar Akuntabilitas",
                                              "organiser": "BPSDM", "start_date": "2026-04-01",
                                              "end_date": "2026-04-02", "days": "2"})
    assert resp.status_code == 302
    batch = db.session.scalar(select(AttendanceBatch))
    assert batch.jp == Decimal(8) and batch.unit_id == org.a.id
    missing = client.post("/jp/kehadiran", data={"rule": "KL06", "title": "Seminar", "organiser": "BPSDM",
                                                 "start_date": "2026-04-01", "end_date": "2026-04-02"})
    assert "jumlah hari" in missing.get_data(as_text=True) and count(AttendanceBatch) == 1


def test_notifications_are_private(org, login, client):
    from app.notifications.operations import notify

    note = notify(org.learner_b, "Pengingat", "Target JP belum tercapai", link="/jp")
    db.session.commit()
    login(org.learner_a1)
    assert "Pengingat" not in client.get("/notifikasi").get_data(as_text=True)
    assert client.post(f"/notifikasi/{note.id}/buka").status_code == 404
