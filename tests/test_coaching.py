"""Coaching and mentoring (issue 18): engagements with goals linked to gaps or plan items, sessions
recorded by one party and confirmed by the other, one ledger entry per confirmed session (NKL01 /
NKL02, minutes / 45), the atasan's view of staff, BPSDM's counts per unit, and bad input."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.accounts.models import utcnow
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.operations import current_year, local_date


def _today() -> date:
    return local_date(utcnow())


def _engagement(client, auth, learner, coach, kind="coaching", by=None) -> dict:
    resp = client.post("/api/v1/coaching", headers=auth(by or learner), json={
        "kind": kind, "learner_nip": learner.nip, "coach_nip": coach.nip,
        "goals": [{"text": "Menyusun laporan keuangan SKPD tepat waktu", "competency": None}]})
    assert resp.status_code == 201, resp.json
    return resp.json


def test_a_session_confirmed_by_both_becomes_one_ledger_entry(client, org, auth):
    e = _engagement(client, auth, org.learner_a1, org.head_a)
    assert e["kind"] == "coaching" and e["coach_nip"] == org.head_a.nip and len(e["goals"]) == 1
    learner, coach = auth(org.learner_a1), auth(org.head_a)
    held = (_today() - timedelta(days=1)).isoformat()
    s = client.post(f"/api/v1/coaching/{e['id']}/sessions", headers=learner,
                    json={"held_on": held, "minutes": 90, "topics": "Rekonsiliasi BKU", "actions": "Latihan mingguan"})
    assert s.status_code == 201 and s.json["confirmed_by"] == [org.learner_a1.nip] and s.json["confirmed"] is False
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    # the recording party cannot confirm again; an outsider cannot confirm
    again = client.post(f"/api/v1/coaching/{e['id']}/sessions/{s.json['id']}/confirm", headers=learner)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_confirmed"
    assert client.post(f"/api/v1/coaching/{e['id']}/sessions/{s.json['id']}/confirm",
                       headers=auth(org.learner_b)).status_code == 403
    ok = client.post(f"/api/v1/coaching/{e['id']}/sessions/{s.json['id']}/confirm", headers=coach)
    assert ok.status_code == 200 and set(ok.json["confirmed_by"]) == {org.learner_a1.nip, org.head_a.nip}
    assert ok.json["confirmed"] and ok.json["jp"] == 2.0
    entries = list(db.session.scalars(select(LedgerEntry)))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.user_id, entry.kind, entry.rule_code, entry.minutes, float(entry.jp)) == \
        (org.learner_a1.id, "coaching", "NKL01", 90, 2.0)
    assert entry.source_type == "coaching" and entry.occurred_on.isoformat() == held
    ledger = client.get(f"/api/v1/ledger/{org.learner_a1.nip}", headers=learner,
                        query_string={"year": entry.year}).json
    assert any(x["kind"] == "coaching" and x["jp"] == 2.0 for x in ledger["entries"])
    # a second confirmation changes nothing
    assert client.post(f"/api/v1/coaching/{e['id']}/sessions/{s.json['id']}/confirm", headers=coach).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_mentoring_is_credited_under_nkl02_and_the_coach_may_record(client, org, auth):
    e = _engagement(client, auth, org.learner_b, org.instructor, kind="mentoring", by=org.instructor)
    s = client.post(f"/api/v1/coaching/{e['id']}/sessions", headers=auth(org.instructor),
                    json={"held_on": _today().isoformat(), "minutes": 45, "topics": "Karier fungsional"}).json
    assert s["confirmed_by"] == [org.instructor.nip]
    client.post(f"/api/v1/coaching/{e['id']}/sessions/{s['id']}/confirm", headers=auth(org.learner_b))
    entry = db.session.scalar(select(LedgerEntry))
    assert (entry.kind, entry.rule_code, float(entry.jp)) == ("mentoring", "NKL02", 1.0)


def test_bad_sessions_and_engagements_are_refused(client, org, auth):
    e = _engagement(client, auth, org.learner_a1, org.head_a)
    h = auth(org.learner_a1)
    url = f"/api/v1/coaching/{e['id']}/sessions"
    cases = [
        ({"held_on": (_today() + timedelta(days=2)).isoformat(), "minutes": 60, "topics": "x"}, 422, "future_date"),
        ({"held_on": _today().isoformat(), "minutes": 1441, "topics": "x"}, 422, "session_too_long"),
        ({"held_on": _today().isoformat(), "minutes": 0, "topics": "x"}, 400, "invalid_minutes"),
        ({"held_on": _today().isoformat(), "minutes": 30, "topics": "  "}, 400, "topics_required"),
        ({"held_on": "2026-13-40", "minutes": 30, "topics": "x"}, 400, "invalid_body"),
        ({"held_on": f"{current_year() - 5}-01-05", "minutes": 30, "topics": "x"}, 422, "too_old"),
    ]
    for body, status, code in cases:
        resp = client.post(url, headers=h, json=body)
        assert resp.status_code == status and resp.json["error"]["code"] == code, (body, resp.json)
        assert resp.json["error"]["message"]
    # someone else records nothing
    assert client.post(url, headers=auth(org.learner_b), json=cases[1][0] | {"minutes": 30}).status_code == 403
    same = client.post("/api/v1/coaching", headers=h, json={"kind": "coaching", "learner_nip": org.learner_a1.nip,
                                                            "coach_nip": org.learner_a1.nip, "goals": "x"})
    assert same.status_code == 422 and same.json["error"]["code"] == "same_person"
    unknown = client.post("/api/v1/coaching", headers=h, json={"kind": "coaching", "learner_nip": org.learner_a1.nip,
                                                               "coach_nip": "199001012015011999", "goals": "x"})
    assert unknown.status_code == 400 and unknown.json["error"]["code"] == "unknown_nip"
    outsider = client.post("/api/v1/coaching", headers=auth(org.learner_b), json={
        "kind": "coaching", "learner_nip": org.learner_a1.nip, "coach_nip": org.head_a.nip, "goals": "x"})
    assert outsider.status_code == 403
    nogoal = client.post("/api/v1/coaching", headers=h, json={"kind": "coaching", "learner_nip": org.learner_a1.nip,
                                                              "coach_nip": org.head_a.nip, "goals": []})
    assert nogoal.status_code == 400 and nogoal.json["error"]["code"] == "goals_required"
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_atasan_sees_staff_and_bpsdm_counts_per_unit(client, org, auth):
    e = _engagement(client, auth, org.learner_a1, org.instructor)
    other = _engagement(client, auth, org.learner_b, org.instructor, kind="mentoring")
    for eng, learner in ((e, org.learner_a1), (other, org.learner_b)):
        s = client.post(f"/api/v1/coaching/{eng['id']}/sessions", headers=auth(learner),
                        json={"held_on": _today().isoformat(), "minutes": 120, "topics": "t"}).json
        client.post(f"/api/v1/coaching/{eng['id']}/sessions/{s['id']}/confirm", headers=auth(org.instructor))
    head = auth(org.head_a)
    staff = client.get("/api/v1/coaching", headers=head, query_string={"scope": "staff"}).json
    assert [x["id"] for x in staff["items"]] == [e["id"]]  # learner_b is in unit B, outside the head's unit
    assert client.get(f"/api/v1/coaching/{e['id']}", headers=head).status_code == 200
    assert client.get(f"/api/v1/coaching/{other['id']}", headers=head).status_code == 403
    assert client.get("/api/v1/coaching", headers=auth(org.learner_a1)).json["total"] == 1

    summary = client.get("/api/v1/coaching/summary", headers=auth(org.bpsdm_a)).json
    assert summary["units"] == [{"unit": "Bidang A1", "engagements": 1, "coaching_sessions": 1,
                                 "mentoring_sessions": 0, "minutes": 120, "jp": 2.67}]
    everything = client.get("/api/v1/coaching/summary", headers=auth(org.admin)).json["units"]
    assert {u["unit"] for u in everything} == {"Bidang A1", "Dinas B"}
    assert client.get("/api/v1/coaching/summary", headers=auth(org.learner_a1)).status_code == 403


def test_pages_record_and_confirm(client, org, auth, login):
    login(org.learner_a1)
    resp = client.post("/pendampingan/baru", data={"kind": "coaching", "learner_nip": org.learner_a1.nip,
                                                   "coach_nip": org.head_a.nip, "goals": "Memimpin rapat\nMenulis telaahan"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Memimpin rapat" in html and "Menulis telaahan" in html
    from app.coaching.models import Engagement

    e = db.session.scalar(select(Engagement))
    resp = client.post(f"/pendampingan/{e.id}", data={"held_on": _today().isoformat(), "minutes": "9999",
                                                      "topics": "x"}, follow_redirects=True)
    assert "paling lama sehari" in resp.get_data(as_text=True)
    client.post(f"/pendampingan/{e.id}", data={"held_on": _today().isoformat(), "minutes": "60",
                                               "topics": "<script>alert(1)</script>Rapat"})
    client.post("/keluar")
    login(org.head_a)
    home = client.get("/").get_data(as_text=True)
    assert "menunggu konfirmasi" in home.lower()
    page = client.get(f"/pendampingan/{e.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    sid = e.sessions[0].id
    done = client.post(f"/pendampingan/{e.id}/sesi/{sid}/konfirmasi", follow_redirects=True).get_data(as_text=True)
    assert "JP dicatat" in done
    client.post("/keluar")
    login(org.bpsdm_a)
    assert "Bidang A1" in client.get("/bpsdm/pendampingan").get_data(as_text=True)
