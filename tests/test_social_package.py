"""Forum and live-session activities travel in a course package: export writes their settings into
course.yaml and an import of that package makes the same forum type and the same session time."""

from __future__ import annotations

import io
import zipfile

import yaml
from sqlalchemy import select

from app.courses.models import Course
from app.courses.package import export_package, import_package
from app.extensions import db
from app.forums.models import Forum
from app.live.models import LiveSession


def test_forum_and_live_round_trip(client, org, auth, tmp_path):
    h = auth(org.instructor)
    cid = client.post("/api/v1/courses", headers=h, json={"title": "Paket Sosial", "jp": 2, "mode": "online"}).json["id"]
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Sesi"}).json["id"]
    assert client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "forum", "title": "Tanya jawab", "forum_type": "qanda",
        "completion_replies": 2}).status_code == 201
    assert client.post(f"/api/v1/courses/{cid}/activities", headers=h, json={
        "section_id": sid, "type": "live", "title": "Ceramah", "url": "https://meet.jit.si/lentera-uji",
        "platform": "jitsi", "starts_at": "2027-02-01T10:00+09:00", "zone": "WIT", "minutes": 120,
        "min_minutes_present": 90, "ledger_rule": "KL06"}).status_code == 201
    data = export_package(db.session.get(Course, cid))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        name = next(n for n in z.namelist() if n.endswith("course.yaml"))
        manifest = yaml.safe_load(z.read(name))
        files = {n: z.read(n) for n in z.namelist()}
    acts = {a["type"]: a for a in manifest["sections"][0]["activities"]}
    assert acts["forum"]["forum_type"] == "qanda" and acts["forum"]["completion_replies"] == 2
    assert acts["live"]["zone"] == "WIT" and str(acts["live"]["starts_at"]).startswith("2027-02-01T10:00")
    assert acts["live"]["ledger_rule"] == "KL06"

    manifest["code"] = "PAKET-SOSIAL-2"
    files[name] = yaml.safe_dump(manifest, allow_unicode=True).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, content in files.items():
            z.writestr(n, content)
    path = tmp_path / "paket.zip"
    path.write_bytes(buf.getvalue())
    course, created = import_package(str(path), org.instructor)
    db.session.commit()
    assert created
    forum = db.session.scalar(select(Forum).where(Forum.title == "Tanya jawab").order_by(Forum.id.desc()))
    assert forum.type == "qanda" and forum.completion_replies == 2
    sessions = list(db.session.scalars(select(LiveSession).order_by(LiveSession.id)))
    assert len(sessions) == 2 and sessions[1].starts_at == sessions[0].starts_at
    assert (sessions[1].zone, sessions[1].min_minutes_present, sessions[1].platform) == ("Asia/Jayapura", 90, "jitsi")
