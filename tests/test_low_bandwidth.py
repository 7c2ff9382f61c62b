"""Low bandwidth online (issue 20): compressed responses, content-hashed static addresses cached
for good, and a video page that costs nothing before "play"."""

from __future__ import annotations

import gzip
import re

import brotli
from flask import url_for

BR = {"Accept-Encoding": "gzip, deflate, br"}


def test_static_files_have_content_hashed_addresses_cached_immutably(app, client):
    with app.test_request_context():
        css = url_for("static", filename="lentera.css")
        hls = url_for("web.vendor", name="hls.light.min.js")
    assert re.fullmatch(r"/s/[0-9a-f]{12}/lentera\.css", css)
    assert re.fullmatch(r"/v/[0-9a-f]{12}/hls\.light\.min\.js", hls)
    resp = client.get(css, headers=BR)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.headers["Content-Encoding"] == "br"
    original = (app.static_folder and open(f"{app.static_folder}/lentera.css", "rb").read())
    assert brotli.decompress(resp.data) == original
    assert len(resp.data) < len(original) / 2
    # gzip for a client that takes no brotli; nothing for one that takes neither
    gz = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == original
    plain = client.get(css)
    assert "Content-Encoding" not in plain.headers and plain.data == original
    # a repeat with its ETag costs a 304 and no body
    again = client.get(css, headers={**BR, "If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    js = client.get(hls, headers=BR)
    assert js.headers["Cache-Control"].endswith("immutable") and len(js.data) < 150_000


def test_an_old_hash_is_served_but_not_cached_for_good(client):
    # A page cached before a deploy asks for the file by its old hash: it gets today's file,
    # revalidated, never pinned for a year under the wrong name.
    resp = client.get("/s/000000000000/lentera.css")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/lentera.css").headers["Cache-Control"] == "no-cache"


def test_no_file_outside_the_static_folder(client):
    for path in ("/s/abc/../../config.py", "/s/abc/%2e%2e/__init__.py", "/s/abc/nope.css", "/v/abc/nope.js",
                 "/static/../app/config.py"):
        assert client.get(path).status_code == 404, path


def test_pages_and_json_are_compressed_when_the_client_takes_it(app, client, org, login):
    login(org.learner_a1)
    page = client.get("/", headers=BR)
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in page.headers["Vary"]
    html = brotli.decompress(page.data).decode()
    assert "<html" in html
    # links in the page point at hashed addresses
    assert re.search(r'href="/s/[0-9a-f]{12}/lentera\.css"', html)
    me = client.get("/api/v1/me", headers={"Accept-Encoding": "gzip"})
    assert me.status_code == 200
    # JSON too, unless it is so small that compressing would not pay
    if me.headers.get("Content-Encoding") == "gzip":
        assert gzip.decompress(me.data).startswith(b"{")
    else:
        assert len(me.data) < app.config["COMPRESS_MIN_SIZE"]
    listing = client.get("/api/v1/courses?per_page=200", headers={"Accept-Encoding": "gzip"})
    assert listing.status_code == 200
    # a client that asks for nothing gets plain bytes
    assert "Content-Encoding" not in client.get("/").headers


def test_a_freshly_minted_token_is_never_compressed(app, client, org):
    # BREACH: an answer carrying a secret made for the person goes uncompressed.
    resp = client.post("/api/v1/auth/token", json={"username": "learner_a1", "password": "rahasia123"}, headers=BR)
    assert resp.status_code == 201
    assert "Content-Encoding" not in resp.headers and "token" in resp.get_json()


def test_video_page_loads_no_player_library_before_play(app, client, org, login, video_course, videos):
    from app.extensions import db
    from app.jobs.operations import run_pending
    from app.media import operations as media_ops
    from tests.media_fixtures import video_activity

    activity = video_activity(video_course)
    media_ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    db.session.commit()
    run_pending(kinds=["transcode"])
    login(org.learner_a1)
    html = client.get(f"/media/aktivitas/{activity.id}").get_data(as_text=True)
    assert "video-player" in html and 'preload="none"' in html and "poster=" not in html
    assert "<script src=\"/v/" not in html  # hls.js is fetched by player.js when "play" is pressed
    assert re.search(r'data-hls="/v/[0-9a-f]{12}/hls\.light\.min\.js"', html)
    # what the whole video costs at each quality, shown before play
    low = int(re.search(r'data-bytes-low="(\d+)"', html).group(1))
    high = int(re.search(r'data-bytes-high="(\d+)"', html).group(1))
    audio = int(re.search(r'data-bytes-audio="(\d+)"', html).group(1))
    assert 0 < audio < low <= high
