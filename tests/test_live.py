"""Live online sessions (issue 18): settings in WIB/WITA/WIT through the authoring API, attendance from
a real Zoom participant export (tests/data/zoom_participants.csv) with unknown people listed and
nothing half-saved, attendance by hand, completion -> course -> ledger (and an extra KL06 entry when
the session names it), reminders once, and BigBlueButton driven through its checksum-signed API
against a small stand-in server started here."""

from __future__ import annotations

import hashlib
import io
import threading
import urllib.parse
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.courses.models import ActivityCompletion, CourseCompletion
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.live.models import LiveAttendance, LiveSession
from app.notifications.models import Notification

ZOOM = (Path(__file__).parent / "data" / "zoom_participants.csv").read_bytes()


def _live_course(client, org, auth, **settings) -> dict:
    h = auth(org.instructor)
    cid = client.post("/api/v1/courses", headers=h, json={"title": "Ceramah Daring Keuangan Daerah", "jp": 3,
                                                          "mode": "online"}).json["id"]
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Sesi"}).json["id"]
    spec = {"section_id": sid, "type": "live", "title": "Ceramah daring", "url": "https://zoom.us/j/81234567890",
            "starts_at": "2027-01-05T09:00", "zone": "WITA", "minutes": 90, "min_minutes_present": 60} | settings
    act = client.post(f"/api/v1/courses/{cid}/activities", headers=h, json=spec)
    assert act.status_code == 201, act.json
    assert act.json["completion"] == "attendance" and act.json["live_session_id"]
    client.patch(f"/api/v1/courses/{cid}", headers=h, json={"published": True})
    for person in (org.learner_a1, org.learner_b):
        client.post(f"/api/v1/courses/{cid}/enrolments", headers=h, json={"nip": person.nip})
    return {"course_id": cid, "activity_id": act.json["id"], "h": h}


def _import(client, h, aid, data=ZOOM, **query):
    return client.post(f"/api/v1/activities/{aid}/attendance/import", headers=h, query_string=query,
                       content_type="multipart/form-data", data={"file": (io.BytesIO(data), "participants.csv")})


def test_zoom_report_import_lists_unknown_people_and_saves_nothing_half(client, org, auth):
    c = _live_course(client, org, auth)
    aid, h = c["activity_id"], c["h"]
    info = client.get(f"/api/v1/activities/{aid}/live", headers=auth(org.learner_a1)).json
    assert info["starts_at"] == "2027-01-05T09:00:00+08:00" and info["zone"] == "WITA" and info["min_minutes_present"] == 60

    stop = _import(client, h, aid)
    assert stop.status_code == 422 and stop.json["error"]["code"] == "unknown_participants"
    assert [d["name"] for d in stop.json["error"]["details"]] == ["Narasumber Tamu (Kemendagri)"]
    assert db.session.scalar(select(func.count()).select_from(LiveAttendance)) == 0
    assert db.session.scalar(select(func.count()).select_from(ActivityCompletion)) == 0

    skip = _import(client, h, aid, on_unknown="skip")
    assert skip.status_code == 200, skip.json
    assert (skip.json["present"], skip.json["absent"], skip.json["matched"]) == (1, 1, 2)
    assert [u["name"] for u in skip.json["unknown"]] == ["Narasumber Tamu (Kemendagri)"]
    rows = {a.user_id: a for a in db.session.scalars(select(LiveAttendance))}
    # learner_a1: 09:00:10–09:40 and 09:45–10:30 (the phone's 09:50–10:00 overlaps): 39 + 45 minutes
    assert rows[org.learner_a1.id].minutes == 84 and rows[org.learner_a1.id].present
    # learner_b joined as a guest with the NIP in the display name: 15 minutes, under the minimum
    assert rows[org.learner_b.id].minutes == 15 and not rows[org.learner_b.id].present
    # the present learner completed the activity, hence the course, hence the course's JP
    assert db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.user_id == org.learner_a1.id))
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == org.learner_a1.id))
    assert entry is not None and float(entry.jp) == 3.0
    assert db.session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == org.learner_b.id)) is None

    listed = client.get(f"/api/v1/activities/{aid}/attendance", headers=h).json
    assert {(i["nip"], i["present"]) for i in listed["items"]} == {(org.learner_a1.nip, True), (org.learner_b.nip, False)}

    # staff record learner_b by hand
    manual = client.post(f"/api/v1/activities/{aid}/attendance", headers=h,
                         json={"items": [{"nip": org.learner_b.nip, "minutes": 70}]})
    assert manual.status_code == 200 and manual.json["present"] == 2
    assert db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.user_id == org.learner_b.id))


def test_bad_reports_and_outsiders_are_refused(client, org, auth):
    c = _live_course(client, org, auth)
    aid, h = c["activity_id"], c["h"]
    bad = b"name,email,join,leave\nLearner A1,learner_a1@example.go.id,kemarin pagi,01/05/2027 10:00 AM\n" \
          b"Learner B,learner_b@example.go.id,01/05/2027 10:00 AM,01/05/2027 09:00 AM\n"
    resp = _import(client, h, aid, bad)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_rows"
    assert [(d["row"], d["column"]) for d in resp.json["error"]["details"]] == [(2, "join"), (3, "leave")]
    assert _import(client, h, aid, b"foo,bar\n1,2\n").status_code == 422
    assert _import(client, h, aid, b"").status_code == 400
    assert _import(client, auth(org.learner_a1), aid).status_code == 403
    assert client.post(f"/api/v1/activities/{aid}/attendance/import", headers=h, json={}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(LiveAttendance)) == 0
    # a plain CSV of name/email/duration works too
    plain = b"nama,email,durasi\nLearner A1,LEARNER_A1@example.go.id,75\n"
    ok = _import(client, h, aid, plain)
    assert ok.status_code == 200 and ok.json["present"] == 1

    for settings, words in (({"zone": "CET"}, "WITA"), ({"url": "javascript:alert(1)"}, "https"),
                           ({"starts_at": "besok"}, "starts_at"), ({"min_minutes_present": 100}, "minimal")):
        h2 = c["h"]
        sid = client.get(f"/api/v1/courses/{c['course_id']}", headers=h2).json["sections"][0]["id"]
        resp = client.post(f"/api/v1/courses/{c['course_id']}/activities", headers=h2,
                           json={"section_id": sid, "type": "live", "title": "X", "minutes": 90} | settings)
        assert resp.status_code == 422 and words in str(resp.json["error"]["details"]), (settings, resp.json)


def test_a_named_rule_credits_each_attendee_and_reminders_go_once(client, org, auth, app):
    c = _live_course(client, org, auth, ledger_rule="KL06")
    client.post(f"/api/v1/activities/{c['activity_id']}/attendance", headers=c["h"],
                json={"items": [{"nip": org.learner_a1.nip}]})
    kinds = sorted(e.kind for e in db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == org.learner_a1.id)))
    assert kinds == ["course", "seminar"]
    seminar = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "seminar"))
    assert float(seminar.jp) == 4.0 and seminar.rule_code == "KL06"

    from app.live.operations import send_reminders

    s = db.session.scalar(select(LiveSession))
    assert send_reminders(now=s.starts_at - timedelta(hours=3)) == 0  # not yet: the reminder is an hour before
    assert send_reminders(now=s.starts_at - timedelta(minutes=30)) == 2
    assert send_reminders(now=s.starts_at - timedelta(minutes=20)) == 0
    db.session.commit()
    note = db.session.scalar(select(Notification).where(Notification.user_id == org.learner_b.id,
                                                        Notification.title.like("Sesi daring%")))
    assert note is not None and "09.00 WITA" in note.title and "08.00 WIB" in note.title


def test_pages_show_the_time_and_take_a_report(client, org, auth, login):
    c = _live_course(client, org, auth)
    login(org.learner_a1)
    page = client.get(f"/aktivitas/{c['activity_id']}").get_data(as_text=True)
    assert "05-01-2027 09.00 WITA" in page and "Gabung sesi daring" in page
    join = client.get(f"/sesi-daring/{c['activity_id']}/gabung")
    assert join.status_code == 302 and join.location == "https://zoom.us/j/81234567890"
    assert client.get(f"/mengajar/sesi-daring/{c['activity_id']}/kehadiran").status_code == 403
    client.post("/keluar")
    login(org.instructor)
    resp = client.post(f"/mengajar/sesi-daring/{c['activity_id']}/kehadiran",
                       data={"file": (io.BytesIO(ZOOM), "peserta.csv")}, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Narasumber Tamu (Kemendagri)" in html and "Tidak ada yang disimpan" in html
    assert db.session.scalar(select(func.count()).select_from(LiveAttendance)) == 0
    resp = client.post(f"/mengajar/sesi-daring/{c['activity_id']}/kehadiran",
                       data={"file": (io.BytesIO(ZOOM), "peserta.csv"), "skip_unknown": "1"},
                       content_type="multipart/form-data")
    assert "1 hadir" in resp.get_data(as_text=True)
    edit = client.get(f"/mengajar/aktivitas/{c['activity_id']}").get_data(as_text=True)
    assert "Pengaturan sesi daring" in edit


# --- BigBlueButton ------------------------------------------------------------------------------------------

SECRET = "rahasia-bbb-uji"


class _StandIn(BaseHTTPRequestHandler):
    """The part of BBB's API Lentera uses: create, join; checksum = sha1(call + query + secret)."""

    calls: list[tuple[str, dict]] = []

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802
        parsed = urllib.parse.urlsplit(self.path)
        call = parsed.path.rsplit("/", 1)[-1]
        query, _sep, given = parsed.query.rpartition("&checksum=")
        ok = hashlib.sha1((call + query + SECRET).encode()).hexdigest() == given
        params = dict(urllib.parse.parse_qsl(query))
        if not ok:
            body = "<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey></response>"
        else:
            self.calls.append((call, params))
            body = f"<response><returncode>SUCCESS</returncode><meetingID>{params.get('meetingID', '')}</meetingID></response>"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def bbb_server(app, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _StandIn.calls = []
    monkeypatch.setitem(app.config, "LIVE_BBB_URL", f"http://127.0.0.1:{server.server_port}/bigbluebutton/")
    monkeypatch.setitem(app.config, "LIVE_BBB_SECRET", SECRET)
    yield server
    server.shutdown()
    server.server_close()


def test_bigbluebutton_create_join_and_end_callback(client, org, auth, login, bbb_server, app):
    c = _live_course(client, org, auth, platform="bbb", url=None, min_minutes_present=30)
    login(org.learner_a1)
    join = client.get(f"/sesi-daring/{c['activity_id']}/gabung")
    assert join.status_code == 302, join.get_data(as_text=True)[:300]
    call, params = _StandIn.calls[0]
    assert call == "create" and params["meetingID"].startswith("lentera-")
    callback = params["meta_analytics-callback-url"]
    assert params["meta_endCallbackUrl"] == callback and "/sesi-daring/bbb/" in callback
    # the join URL is signed: the stand-in accepts it, and refuses it tampered with
    assert b"SUCCESS" in urllib.request.urlopen(join.location).read()
    joined = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(join.location).query))
    assert joined["role"] == "VIEWER" and joined["userID"] == f"lentera-{org.learner_a1.id}"
    assert b"checksumError" in urllib.request.urlopen(join.location.replace("VIEWER", "MODERATOR")).read()

    # BBB posts its learning-dashboard JSON when the meeting ends
    path = urllib.parse.urlsplit(callback).path
    payload = {"version": "1.0", "meeting_id": params["meetingID"], "data": {"duration": 5400, "attendees": [
        {"ext_user_id": f"lentera-{org.learner_a1.id}", "name": "Learner A1", "moderator": False, "duration": 3000},
        {"ext_user_id": f"lentera-{org.learner_b.id}", "name": "Learner B", "moderator": False, "duration": 600},
        {"ext_user_id": "w_guest123", "name": "Tamu", "moderator": False, "duration": 4000}]}}
    done = client.post(path, json=payload)
    assert done.status_code == 200 and done.json["present"] == 1 and done.json["matched"] == 2
    assert db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.user_id == org.learner_a1.id))
    assert db.session.scalar(select(LiveSession.ended_at)) is not None
    assert client.post("/sesi-daring/bbb/palsu", json=payload).status_code == 404

    # a server that refuses: a clear message, no 500
    app.config["LIVE_BBB_SECRET"] = "salah"
    resp = client.get(f"/sesi-daring/{c['activity_id']}/gabung", follow_redirects=True)
    assert resp.status_code == 200 and "BigBlueButton menolak" in resp.get_data(as_text=True)


def test_live_sessions_appear_in_the_calendar(client, org, auth, login):
    from datetime import UTC, datetime

    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    _live_course(client, org, auth, starts_at=start.isoformat(), zone="WIB")
    login(org.learner_a1)
    page = client.get("/kalender").get_data(as_text=True)
    assert "Ceramah daring" in page and "Sesi daring" in page
