"""SCORM 1.2 activities: upload (API, page, course package), the manifest, safe extraction, the
sandboxed content path, CMI persistence with the SCORM 1.2 limits, completion → course → JP,
attempts, and the report with its XLSX."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from tests.scorm_packages import NS, SVG, build_zip, manifest, multi_sco, sco_page, single_sco


def _course(client, h, jp: int = 3) -> tuple[int, int]:
    cid = client.post("/api/v1/courses", headers=h, json={"title": "Etika Pelayanan Publik", "jp": jp,
                                                         "mode": "online"}).json["id"]
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Materi"}).json["id"]
    return cid, sid


def _add_scorm(client, h, cid, sid, data: bytes, *, title: str = "Modul SCORM", spec: dict | None = None):
    form = {"section_id": str(sid), "type": "scorm", "title": title, "package": (io.BytesIO(data), "modul.zip")}
    if spec:
        form["spec"] = json.dumps(spec)
    return client.post(f"/api/v1/courses/{cid}/activities", headers=h, content_type="multipart/form-data", data=form)


def _publish_and_enrol(client, h, cid, learner, auth):
    assert client.patch(f"/api/v1/courses/{cid}", headers=h, json={"published": True, "self_enrol": True}).status_code == 200
    me = auth(learner)
    assert client.post(f"/api/v1/courses/{cid}/enrolments", headers=me, json={"nip": learner.nip}).status_code == 201
    return me


def _put(client, me, scorm_id, sco_id, values):
    return client.put(f"/api/v1/scorm/{scorm_id}/scos/{sco_id}/cmi", headers=me, json=values)


def test_single_sco_through_the_api_completes_the_course_and_credits_jp(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h, jp=3)
    act = _add_scorm(client, h, cid, sid, single_sco())
    assert act.status_code == 201, act.json
    assert act.json["type"] == "scorm" and act.json["completion"] == "scorm"
    scorm_id = act.json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)

    doc = client.get(f"/api/v1/courses/{cid}", headers=me).json
    assert doc["sections"][0]["activities"][0]["scorm_id"] == scorm_id
    pkg = client.get(f"/api/v1/scorm/{scorm_id}", headers=me)
    assert pkg.status_code == 200, pkg.json
    (sco,) = pkg.json["scos"]
    assert sco["title"] == "Etika ASN" and sco["status"] == "not attempted"
    assert re.match(r"^/scorm-konten/[^/]+/sco/index\.html$", sco["launch_url"])

    first = _put(client, me, scorm_id, sco["id"], {"cmi.core.lesson_status": "incomplete", "cmi.core.lesson_location": "3",
                                                  "cmi.core.session_time": "0000:02:00"})
    assert first.status_code == 200, first.json
    assert first.json["lesson_status"] == "incomplete" and first.json["total_time"] == "0000:02:00.00"
    assert client.get(f"/api/v1/courses/{cid}/progress", headers=me, query_string={"nip": org.learner_a1.nip}
                      ).json["completed"] is False

    done = _put(client, me, scorm_id, sco["id"], {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": 88,
                                                 "cmi.core.session_time": "0000:01:00.5"})
    assert done.status_code == 200, done.json
    assert done.json["lesson_status"] == "completed" and done.json["score_raw"] == 88.0
    assert done.json["total_time"] == "0000:03:00.50"
    assert done.json["cmi"]["cmi.core.lesson_location"] == "3"
    assert client.get(f"/api/v1/courses/{cid}/progress", headers=me, query_string={"nip": org.learner_a1.nip}
                      ).json["completed"] is True
    ledger = client.get(f"/api/v1/ledger/{org.learner_a1.nip}", headers=me,
                        query_string={"year": date.today().year}).json
    assert any(e["title"] == "Etika Pelayanan Publik" and e["jp"] == 3 for e in ledger["entries"]), ledger
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["completed"] is True


def test_values_beyond_scorm_12_limits_are_refused_whole(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    scorm_id = _add_scorm(client, h, cid, sid, single_sco()).json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    sco_id = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]["id"]

    too_long = _put(client, me, scorm_id, sco_id, {"cmi.suspend_data": "x" * 4097, "cmi.core.lesson_location": "2"})
    assert too_long.status_code == 422
    err = too_long.json["error"]
    assert err["code"] == "cmi_invalid" and "4096" in err["message"]
    assert err["details"][0]["element"] == "cmi.suspend_data"
    for bad in ({"cmi.core.lesson_status": "selesai"}, {"cmi.core.score.raw": "101"}, {"cmi.core.score.raw": "abc"},
                {"cmi.core.session_time": "90 menit"}, {"cmi.core.student_id": "199001012015011001"},
                {"cmi.tidak.ada": "1"}, {"cmi.interactions.0.type": "essay"}, {"cmi.core.lesson_status": "not attempted"},
                {"cmi.interactions.9999.id": "q"}):
        resp = _put(client, me, scorm_id, sco_id, bad)
        assert resp.status_code == 422, (bad, resp.json)
        assert set(resp.json["error"]) == {"code", "message", "details"}
    assert _put(client, me, scorm_id, sco_id, ["bukan objek"]).status_code == 400
    # Nothing of the refused requests was stored; exactly 4096 is fine.
    ok = _put(client, me, scorm_id, sco_id, {"cmi.suspend_data": "x" * 4096})
    assert ok.status_code == 200 and "cmi.core.lesson_location" not in ok.json["cmi"]
    assert ok.json["cmi"]["cmi.suspend_data"] == "x" * 4096


def test_mastery_score_decides_passed_or_failed(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    scorm_id = _add_scorm(client, h, cid, sid, single_sco(mastery=75)).json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    sco_id = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]["id"]
    low = _put(client, me, scorm_id, sco_id, {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "60"})
    assert low.json["lesson_status"] == "failed"
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["completed"] is False
    high = _put(client, me, scorm_id, sco_id, {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "75"})
    assert high.json["lesson_status"] == "passed"
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["completed"] is True


def test_multi_sco_with_prerequisites(client, org, auth):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    scorm_id = _add_scorm(client, h, cid, sid, multi_sco()).json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    doc = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json
    assert [(s["title"], s["depth"], s["launch_url"] is not None) for s in doc["toc"]] == [
        ("Bab 1", 0, False), ("Pengantar", 1, True), ("Inti", 1, True), ("Tes", 1, True)]
    heading = doc["toc"][0]
    a, b, c = doc["scos"]
    assert b["launch_url"].endswith("/b/index.html?bagian=2")
    assert (a["open"], b["open"], c["open"]) == (True, False, False)
    assert _put(client, me, scorm_id, heading["id"], {"cmi.core.lesson_status": "completed"}).status_code == 422

    _put(client, me, scorm_id, a["id"], {"cmi.core.lesson_status": "completed"})
    doc = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json
    assert [s["open"] for s in doc["scos"]] == [True, True, False]
    _put(client, me, scorm_id, b["id"], {"cmi.core.lesson_status": "passed"})
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][2]["open"] is True
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["completed"] is False
    assert _put(client, me, scorm_id, c["id"], {"cmi.core.lesson_status": "completed",
                                                "cmi.core.score.raw": "85"}).json["lesson_status"] == "passed"
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["completed"] is True


def test_the_content_path_is_sandboxed_and_carries_the_learners_cmi(client, org, auth, app):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    scorm_id = _add_scorm(client, h, cid, sid, single_sco()).json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    sco = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]
    _put(client, me, scorm_id, sco["id"], {"cmi.suspend_data": "halaman=7", "cmi.core.exit": "suspend",
                                           "cmi.core.lesson_status": "incomplete"})
    url = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]["launch_url"]
    base = url.rsplit("/", 1)[0]

    anon = app.test_client()  # the content frame sends no session: the token is its only right
    page = anon.get(url)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox ") and "allow-scripts" in csp and "allow-same-origin" not in csp
    html = page.get_data(as_text=True)
    token = url.split("/")[2]
    assert html.index(f"/scorm-konten/{token}/__lentera__/scorm12.js") < html.index("<title>")
    boot = anon.get(f"/scorm-konten/{token}/__lentera__/boot.js")
    assert boot.status_code == 200 and "sandbox" in boot.headers["Content-Security-Policy"]
    cfg = json.loads(re.search(r"var cfg=(\{.*?\});\n", boot.get_data(as_text=True)).group(1))
    assert cfg["cmi"]["cmi.suspend_data"] == "halaman=7" and cfg["cmi"]["cmi.core.entry"] == "resume"
    assert cfg["cmi"]["cmi.launch_data"] == "mulai=1"
    assert cfg["cmi"]["cmi.core.student_id"] == org.learner_a1.nip
    runtime = anon.get(f"/scorm-konten/{token}/__lentera__/scorm12.js")
    assert runtime.status_code == 200 and b"Scorm12API" in runtime.data
    img = anon.get(f"{base}/gambar.svg")
    assert img.status_code == 200 and img.data == SVG
    for bad in (f"{base}/../../imsmanifest.xml", f"/scorm-konten/{token}/%2e%2e/x", f"/scorm-konten/{token}/tidak-ada.html",
                "/scorm-konten/palsu/sco/index.html", f"/scorm-konten/{token}x/sco/index.html"):
        assert anon.get(bad).status_code == 404, bad

    # The commit URL: flat CMI as text/plain (no preflight), answered CORS-readable.
    commit = anon.post(f"/scorm-konten/{token}/__lentera__/commit", data=json.dumps({
        "cmi.core.lesson_status": "completed", "cmi.core.student_id": "echoed back", "cmi.core.session_time": "0000:00:10",
        "cmi.interactions.0.id": "q1", "cmi.interactions.0.result": "correct"}), content_type="text/plain;charset=UTF-8")
    assert commit.status_code == 200 and commit.json == {"result": True, "errorCode": 0}
    assert commit.headers["Access-Control-Allow-Origin"] == "*"
    state = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json
    assert state["scos"][0]["status"] == "completed" and state["completed"] is True
    refused = anon.post(f"/scorm-konten/{token}/__lentera__/commit", data=json.dumps({"cmi.suspend_data": "y" * 5000}),
                        content_type="text/plain")
    assert refused.status_code == 422 and refused.json["result"] is False
    # Someone not enrolled (the token's user left the course) sees nothing.
    other = auth(org.learner_b)
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=other).status_code == 404
    assert _put(client, other, scorm_id, sco["id"], {"cmi.core.lesson_status": "completed"}).status_code == 404


def test_bad_packages_are_refused_with_clear_messages(client, org, auth, app):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    page = sco_page("X")
    cases = {
        "no manifest": (build_zip({"index.html": page}), "imsmanifest.xml"),
        "scorm 2004": (build_zip({"imsmanifest.xml": manifest([{"id": "I", "title": "T", "href": "index.html"}],
                                                              schemaversion="2004 4th Edition"),
                                  "index.html": page}), "SCORM 2004"),
        "outside": (build_zip({"imsmanifest.xml": manifest([{"id": "I", "title": "T", "href": "../luar.html"}]),
                               "index.html": page}), "luar paket"),
        "zip slip": (build_zip({"imsmanifest.xml": manifest([{"id": "I", "title": "T", "href": "index.html"}]),
                                "index.html": page, "../../etc/evil.html": "x"}), "tidak aman"),
        "absolute": (build_zip({"imsmanifest.xml": manifest([{"id": "I", "title": "T", "href": "index.html"}]),
                                "index.html": page, "/tmp/evil.html": "x"}), "tidak aman"),
        "symlink": (build_zip({"imsmanifest.xml": manifest([{"id": "I", "title": "T", "href": "index.html"}]),
                               "index.html": page}, symlinks={"kunci": "/etc/passwd"}), "simbolik"),
        "missing file": (build_zip({"imsmanifest.xml": manifest([{"id": "I", "title": "T", "href": "tidak.html"}])}),
                         "tidak ada"),
        "not xml": (build_zip({"imsmanifest.xml": "<manifest", "index.html": page}), "XML"),
        "not a zip": (b"PK bukan zip", "zip"),
    }
    for name, (data, words) in cases.items():
        resp = _add_scorm(client, h, cid, sid, data, title=name)
        assert resp.status_code == 422, (name, resp.json)
        text = resp.json["error"]["message"] + " ".join(d["message"] for d in resp.json["error"]["details"])
        assert words in text, (name, text)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("imsmanifest.xml", manifest([{"id": "I", "title": "T", "href": "index.html"}]))
        zf.writestr("index.html", page)
        zf.writestr("nol.bin", b"\0" * (20 * 1024 * 1024))
    resp = _add_scorm(client, h, cid, sid, bomb.getvalue(), title="bom")
    assert resp.status_code == 422 and "bom zip" in json.dumps(resp.json["error"]["details"])
    course = client.get(f"/api/v1/courses/{cid}", headers=h).json
    assert course["sections"][0]["activities"] == []  # nothing of a refused package was saved


def test_attempts_setting(client, org, auth, login):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    scorm_id = _add_scorm(client, h, cid, sid, single_sco(), spec={"max_attempts": 2}).json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    sco_id = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]["id"]
    _put(client, me, scorm_id, sco_id, {"cmi.core.lesson_status": "failed", "cmi.core.score.raw": "40"})
    # The page's button: a second attempt starts from the beginning; a third is refused.
    login(org.learner_a1)
    assert client.post(f"/scorm/{scorm_id}/percobaan-baru").status_code == 302
    second = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json
    assert second["attempt"]["number"] == 2 and second["scos"][0]["status"] == "not attempted"
    assert client.post(f"/scorm/{scorm_id}/percobaan-baru").status_code == 302  # untouched: still the second
    _put(client, me, scorm_id, sco_id, {"cmi.core.lesson_status": "incomplete"})
    client.post(f"/scorm/{scorm_id}/percobaan-baru")
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["attempt"]["number"] == 2


def test_course_package_with_a_scorm_activity(client, org, auth):
    h = auth(org.instructor)
    course_yaml = """code: SCORM-PKG-01
title: Kursus Paket SCORM
jp: 2
mode: online
sections:
  - title: Modul
    activities:
      - type: scorm
        title: Modul interaktif
        package: scorm/modul.zip
        max_attempts: 3
"""
    data = build_zip({"course.yaml": course_yaml, "scorm/modul.zip": single_sco()})
    resp = client.post("/api/v1/courses/import", headers=h, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "kursus.zip")})
    assert resp.status_code == 201, resp.json
    doc = client.get(f"/api/v1/courses/{resp.json['id']}", headers=h).json
    act = doc["sections"][0]["activities"][0]
    assert act["type"] == "scorm" and isinstance(act["scorm_id"], int)
    bad = build_zip({"course.yaml": course_yaml.replace("SCORM-PKG-01", "SCORM-PKG-02"),
                     "scorm/modul.zip": build_zip({"index.html": "x"})})
    resp = client.post("/api/v1/courses/import", headers=h, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(bad), "kursus.zip")})
    assert resp.status_code == 422
    assert any("imsmanifest.xml" in d["message"] and d["file"] == "scorm/modul.zip" for d in resp.json["error"]["details"])


@pytest.fixture()
def played(client, org, auth):
    """A course whose SCORM activity two learners played: one passed, one left it unfinished."""
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    act = _add_scorm(client, h, cid, sid, multi_sco(), title="=HYPERLINK(\"http://x\")")
    scorm_id = act.json["scorm_id"]
    assert client.patch(f"/api/v1/courses/{cid}", headers=h, json={"published": True, "self_enrol": True}).status_code == 200
    for learner in (org.learner_a1, org.learner_b):
        me = auth(learner)
        client.post(f"/api/v1/courses/{cid}/enrolments", headers=me, json={"nip": learner.nip})
    me = auth(org.learner_a1)
    scos = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"]
    for s in scos:
        _put(client, me, scorm_id, s["id"], {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "90",
                                             "cmi.core.session_time": "0000:05:00"})
    _put(client, auth(org.learner_b), scorm_id, scos[0]["id"], {"cmi.core.lesson_status": "incomplete"})
    return act.json["id"], scorm_id


def test_report_and_xlsx_for_staff_only(client, org, auth, played, login, app):
    activity_id, scorm_id = played
    login(org.instructor)
    page = client.get(f"/mengajar/scorm/{scorm_id}/laporan")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert org.learner_a1.name in html and org.learner_b.name in html and "Lulus" in html
    xlsx = client.get(f"/mengajar/scorm/{scorm_id}/laporan.xlsx")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    a1 = rows[org.learner_a1.name]
    assert a1[3] == 1 and a1[4] == "Lulus" and a1[5] == 90 and a1[7] == "0000:15:00.00"
    assert rows[org.learner_b.name][4] == "Belum selesai"
    edit = client.get(f"/mengajar/aktivitas/{activity_id}")
    assert edit.status_code == 200 and "Paket Tiga SCO" in edit.get_data(as_text=True)
    learner = app.test_client()
    assert learner.post("/masuk", data={"username": org.learner_a1.username, "password": "rahasia123"}).status_code == 302
    assert learner.get(f"/mengajar/scorm/{scorm_id}/laporan").status_code in (403, 404)
    assert learner.get(f"/mengajar/scorm/{scorm_id}/laporan.xlsx").status_code in (403, 404)


def test_the_activity_page_shows_the_toc_and_the_sandboxed_frame(client, org, auth, played, login):
    activity_id, scorm_id = played
    login(org.learner_b)
    page = client.get(f"/aktivitas/{activity_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'sandbox="allow-scripts' in html and "allow-same-origin" not in html
    assert "Pengantar" in html and "Belum selesai" in html and "/scorm-konten/" in html
    assert "🔒 Tes" in html  # its prerequisites are not met yet


def test_course_export_carries_the_package_and_imports_again(client, org, auth, login):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    scorm_id = _add_scorm(client, h, cid, sid, multi_sco(), spec={"max_attempts": 4}).json["scorm_id"]
    login(org.instructor)
    exported = client.get(f"/mengajar/kursus/{cid}/ekspor")
    assert exported.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(exported.data))
    import yaml

    course_yaml = yaml.safe_load(zf.read(next(n for n in zf.namelist() if n.endswith("course.yaml"))))
    entry = course_yaml["sections"][0]["activities"][0]
    assert entry["type"] == "scorm" and entry["max_attempts"] == 4
    inner = next(n for n in zf.namelist() if n.endswith(entry["package"]))
    assert zipfile.ZipFile(io.BytesIO(zf.read(inner))).read("imsmanifest.xml")
    course_yaml["code"] = "SALINAN-SCORM"
    root = inner[: -len(entry["package"])]
    again = build_zip({"course.yaml": yaml.safe_dump(course_yaml), entry["package"]: zf.read(inner)})
    resp = client.post("/api/v1/courses/import", headers=h, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(again), "salinan.zip")})
    assert resp.status_code == 201, resp.json
    doc = client.get(f"/api/v1/courses/{resp.json['id']}", headers=h).json
    new_id = doc["sections"][0]["activities"][0]["scorm_id"]
    assert new_id != scorm_id and root is not None
    assert [s["title"] for s in client.get(f"/api/v1/scorm/{new_id}", headers=h).json["toc"]] == [
        "Bab 1", "Pengantar", "Inti", "Tes"]


def test_manifests_as_authoring_tools_write_them(client, org, auth):
    """Variations seen in packages from authoring tools: no namespace prefix on scormtype, camel
    case `scormType`, `xml:base` on resources, item parameters, a dependency, an asset item, and
    the whole package zipped inside a top folder."""
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    xml = """<?xml version="1.0" encoding="utf-8"?>
<manifest identifier="ALAT-1" version="1.3" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2" xmlns:xml="http://www.w3.org/XML/1998/namespace">
 <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
 <organizations default="B"><organization identifier="A"><title>Bukan ini</title></organization>
  <organization identifier="B"><title>Kursus &amp; Alat</title>
   <item identifier="i1" identifierref="r1" parameters="?mulai=awal" isvisible="true"><title>Pembuka</title>
     <adlcp:masteryscore>80</adlcp:masteryscore><adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>
     <adlcp:timelimitaction>continue,no message</adlcp:timelimitaction></item>
   <item identifier="i2" identifierref="r2"><title>Lampiran</title></item>
  </organization></organizations>
 <resources xml:base="konten/">
  <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="story.html">
    <file href="story.html"/><dependency identifierref="umum"/></resource>
  <resource identifier="r2" type="webcontent" scormtype="asset" xml:base="lampiran/" href="baca.html"/>
  <resource identifier="umum" type="webcontent" adlcp:scormtype="asset"><file href="js/umum.js"/></resource>
 </resources>
</manifest>"""
    data = build_zip({"paket/imsmanifest.xml": xml, "paket/konten/story.html": sco_page("Pembuka"),
                      "paket/konten/js/umum.js": "var x=1;", "paket/konten/lampiran/baca.html": "<p>baca</p>"})
    act = _add_scorm(client, h, cid, sid, data)
    assert act.status_code == 201, act.json
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    doc = client.get(f"/api/v1/scorm/{act.json['scorm_id']}", headers=me).json
    assert [(s["title"], s["launch_url"].split("/", 3)[3]) for s in doc["scos"]] == [
        ("Pembuka", "konten/story.html?mulai=awal"), ("Lampiran", "konten/lampiran/baca.html")]
    from app.scorm.models import ScormSco

    first = db.session.get(ScormSco, doc["scos"][0]["id"])
    assert (first.mastery_score, first.max_time_allowed, first.time_limit_action) == (80, "00:30:00", "continue,no message")
    assert db.session.get(ScormSco, doc["scos"][1]["id"]).scorm_type == "asset"
    # An asset is complete once opened; the SCO still needs its own status.
    assert client.get(doc["scos"][1]["launch_url"].split("?")[0]).status_code == 200
    after = client.get(f"/api/v1/scorm/{act.json['scorm_id']}", headers=me).json
    assert [s["status"] for s in after["scos"]] == ["not attempted", "completed"]


def test_a_separate_content_origin_lets_a_packages_frames_share_it(client, org, auth, app):
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    scorm_id = _add_scorm(client, h, cid, sid, single_sco()).json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    app.config.update(SCORM_CONTENT_ORIGIN="http://konten.localhost", PUBLIC_BASE_URL="http://lentera.localhost")
    try:
        url = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]["launch_url"]
        assert url.startswith("http://konten.localhost/scorm-konten/")
        path = url.removeprefix("http://konten.localhost")
        there = app.test_client().get(path, base_url="http://konten.localhost")
        csp = there.headers["Content-Security-Policy"]
        assert "allow-same-origin" in csp and "frame-ancestors 'self' http://lentera.localhost" in csp
        here = app.test_client().get(path)  # the same file reached through the app's own host
        assert "allow-same-origin" not in here.headers["Content-Security-Policy"]
    finally:
        app.config.pop("SCORM_CONTENT_ORIGIN")
        app.config.pop("PUBLIC_BASE_URL")


def test_what_published_packages_taught_built_at_test_time(client, org, auth, app):
    """The behaviours tests/test_scorm_world.py met in published packages, in packages written here:
    a commit made before the SCO set a status (the run-time echoes "not attempted") is stored, not
    refused; the SCO's own view stays "not attempted", so the next launch can still complete it at
    LMSFinish; an isvisible="false" item is neither listed nor required; the package's own
    XMLHttpRequest (with a Range preflight) may read its files from the opaque-origin frame."""
    page = sco_page("Tanpa status")
    items = "".join(
        f'<item identifier="{i}" identifierref="R-{i}" isvisible="{vis}"><title>{t}</title></item>'
        for i, t, vis in (("A", "Materi", "true"), ("TERSEMBUNYI", "Catatan penyusun", "false")))
    res = "".join(f'<resource identifier="R-{i}" type="webcontent" adlcp:scormtype="sco" href="{i}/index.html">'
                  f'<file href="{i}/index.html"/></resource>' for i in ("A", "TERSEMBUNYI"))
    xml = (f'<?xml version="1.0"?><manifest identifier="M" {NS}>'
           "<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>"
           f'<organizations default="TIDAK-ADA"><organization identifier="O"><title>Paket</title>{items}'
           f"</organization></organizations><resources>{res}</resources></manifest>")
    data = build_zip({"imsmanifest.xml": xml, "A/index.html": page, "A/data.json": '{"ok": true}',
                      "TERSEMBUNYI/index.html": page})
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    act = _add_scorm(client, h, cid, sid, data)
    assert act.status_code == 201, act.json
    scorm_id = act.json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    doc = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json
    assert [t["title"] for t in doc["toc"]] == ["Materi"]  # the default names no organisation: the first is read
    assert any("isvisible" in w for w in doc["warnings"])
    url = doc["scos"][0]["launch_url"]
    token = url.split("/")[2]
    anon = app.test_client()

    own = anon.get(f"/scorm-konten/{token}/A/data.json")
    assert own.status_code == 200 and own.headers["Access-Control-Allow-Origin"] == "*"
    pre = anon.options(f"/scorm-konten/{token}/A/data.json", headers={
        "Origin": "null", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"})
    assert pre.status_code == 204 and "Range" in pre.headers["Access-Control-Allow-Headers"]

    commit = f"/scorm-konten/{token}/__lentera__/commit"
    first = anon.post(commit, data=json.dumps({"cmi.core.lesson_status": "not attempted",
                                               "cmi.core.lesson_location": "2"}), content_type="text/plain")
    assert first.status_code == 200, first.json
    state = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]
    assert state["status"] == "incomplete"  # attempted, in reports
    boot = anon.get(f"/scorm-konten/{token}/__lentera__/boot.js").get_data(as_text=True)
    cfg = json.loads(re.search(r"var cfg=(\{.*?\});\n", boot).group(1))
    # not handed back: the run-time starts from "not attempted" and completes the SCO at LMSFinish
    assert "cmi.core.lesson_status" not in cfg["cmi"] and cfg["cmi"]["cmi.core.lesson_location"] == "2"
    assert "lesson_status === \"not attempted\"" in boot and "defineProperty(window, \"API\"" in boot
    # The REST API still refuses "not attempted": a client never sets it.
    put = _put(client, me, scorm_id, state["id"], {"cmi.core.lesson_status": "not attempted"})
    assert put.status_code == 422
    done = anon.post(commit, data=json.dumps({"cmi.core.lesson_status": "completed"}), content_type="text/plain")
    assert done.status_code == 200
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["completed"] is True


def test_a_commit_from_a_superseded_attempt_is_refused_and_nothing_is_stored(client, org, auth, app):
    from app.accounts.models import User
    from app.scorm import operations as ops
    from app.scorm.models import ScormAttempt, ScormPackage

    h = auth(org.instructor)
    cid, sid = _course(client, h)
    scorm_id = _add_scorm(client, h, cid, sid, single_sco()).json["scorm_id"]
    me = _publish_and_enrol(client, h, cid, org.learner_a1, auth)
    url = client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["scos"][0]["launch_url"]
    commit = f"/scorm-konten/{url.split('/')[2]}/__lentera__/commit"
    anon = app.test_client()
    first = anon.post(commit, data=json.dumps({"cmi.core.lesson_location": "1"}), content_type="text/plain")
    assert first.status_code == 200
    pkg = db.session.get(ScormPackage, scorm_id)
    ops.new_attempt(pkg, db.session.get(User, org.learner_a1.id))  # "another device" starts attempt 2
    db.session.commit()
    late = anon.post(commit, data=json.dumps({"cmi.core.lesson_status": "completed"}), content_type="text/plain")
    assert late.status_code == 409 and late.json["result"] is False and "Percobaan baru" in late.json["message"]
    attempts = db.session.scalars(select(ScormAttempt).order_by(ScormAttempt.number)).all()
    assert [a.number for a in attempts] == [1, 2] and all(a.completed_at is None for a in attempts)
    assert client.get(f"/api/v1/scorm/{scorm_id}", headers=me).json["completed"] is False
