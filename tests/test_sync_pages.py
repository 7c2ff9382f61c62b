"""Offline learning pages (issue 20): the installable app's shell, the learner's offline page, the
instructor's quiz setting, and who may see what."""

from __future__ import annotations

import re

from app.extensions import db
from app.sync.models import OfflineQuiz
from tests.quizzes_fixtures import make_quiz


def test_service_worker_and_manifest_make_lentera_installable(client):
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    assert sw.headers["Cache-Control"] == "no-cache"
    # an update check of an unchanged worker costs a 304, not the script again
    assert client.get("/sw.js", headers={"If-None-Match": sw.headers["ETag"]}).status_code == 304
    body = sw.get_data(as_text=True)
    # Workbox comes from the app itself, by content-hashed address: no CDN
    assert re.search(r'importScripts\("/v/[0-9a-f]{12}/workbox-sw\.js"\)', body)
    assert "googleapis" not in body and "https://" not in body
    assert re.search(r'/s/[0-9a-f]{12}/lentera\.css', body)
    for name in ("workbox-sw.js", "workbox-core.prod.js", "workbox-precaching.prod.js", "workbox-routing.prod.js",
                 "workbox-expiration.prod.js"):
        url = re.search(r'"(/v/[0-9a-f]{12}/' + re.escape(name) + ')"', body) or re.search(
            r'(/v/[0-9a-f]{12}/' + re.escape(name) + ')', body)
        assert url and client.get(url.group(1)).status_code == 200, name
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.get_json(force=True)
    assert data["display"] == "standalone" and data["start_url"] == "/" and data["icons"]
    from io import BytesIO

    from PIL import Image

    for icon in data["icons"]:
        got = client.get(icon["src"])
        assert got.status_code == 200, icon
        if icon["type"] == "image/png":
            assert Image.open(BytesIO(got.data)).size == tuple(int(n) for n in icon["sizes"].split("x"))
    assert client.get("/ikon-100.png").status_code == 404
    assert client.get("/offline/halaman").status_code == 200


def test_offline_page_and_course_card(app, client, org, login):
    quiz, _q = make_quiz(org.instructor, org.learner_a1)
    login(org.learner_a1)
    page = client.get("/offline")
    assert page.status_code == 200 and "Menunggu sinkronisasi" in page.get_data(as_text=True)
    course = client.get(f"/kursus/{quiz.course_id}").get_data(as_text=True)
    assert 'id="offline-download"' in course and "Unduh untuk belajar offline" in course
    assert f'data-package-url="/api/v1/courses/{quiz.course_id}/offline-package"' in course
    assert client.get("/manifest.webmanifest").status_code == 200
    html = client.get("/").get_data(as_text=True)
    assert 'rel="manifest"' in html and 'data-sw="/sw.js"' in html
    # a learner cannot change the quiz setting
    assert client.get(f"/mengajar/kursus/{quiz.course_id}/offline").status_code in (403, 404)


def test_instructor_allows_a_quiz_offline_but_not_a_time_limited_one(app, client, org, login):
    quiz, _q = make_quiz(org.instructor, org.learner_a1)
    timed, _t = make_quiz(org.instructor, org.learner_a1, time_limit_minutes=15)
    login(org.instructor)
    page = client.get(f"/mengajar/kursus/{quiz.course_id}/offline").get_data(as_text=True)
    assert "Kuis akhir" in page
    client.post(f"/mengajar/kursus/{quiz.course_id}/offline", data={"offline": [str(quiz.activity_id)]})
    assert db.session.get(OfflineQuiz, quiz.activity_id) is not None
    client.post(f"/mengajar/kursus/{quiz.course_id}/offline", data={})
    assert db.session.get(OfflineQuiz, quiz.activity_id) is None
    timed_page = client.get(f"/mengajar/kursus/{timed.course_id}/offline").get_data(as_text=True)
    assert "disabled" in timed_page and "tidak bisa offline" in timed_page
    resp = client.post(f"/mengajar/kursus/{timed.course_id}/offline", data={"offline": [str(timed.activity_id)]},
                       follow_redirects=True)
    assert "batas waktu" in resp.get_data(as_text=True)
    assert db.session.get(OfflineQuiz, timed.activity_id) is None
