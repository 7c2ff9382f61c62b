"""The rich-text editor's server side: pictures authors add to a course are checked by content,
re-encoded, stored under the course and served only to its readers (issue 22)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from app.errors import BadInput, TooLarge
from app.images import prepare_image


def _png(w: int = 40, h: int = 30, colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, "PNG")
    return buf.getvalue()


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (50, 50), (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x8825] = {1: "S", 2: (2.0, 31.0, 0.0)}  # GPS
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def _png_header_only(w: int, h: int) -> bytes:
    """A valid PNG signature and IHDR claiming a huge size: a decompression bomb's calling card."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def test_images_are_re_encoded_and_lose_their_metadata():
    raw = _jpeg_with_gps()
    assert b"KameraRahasia" in raw
    img = prepare_image(io.BytesIO(raw))
    assert img.extension == "jpg" and b"KameraRahasia" not in img.data
    assert Image.open(io.BytesIO(img.data)).getexif().get(0x8825) is None
    polyglot = _png() + b"<script>alert(1)</script>"
    assert b"<script>" not in prepare_image(io.BytesIO(polyglot)).data


def test_large_pictures_are_shrunk_and_bombs_refused():
    big = prepare_image(io.BytesIO(_png(3000, 1000)))
    assert (big.width, big.height) == (1600, 533)
    for side in (40000, 9000):  # Pillow's own bomb guard, and ours below it
        with pytest.raises(TooLarge, match="megapiksel"):
            prepare_image(io.BytesIO(_png_header_only(side, side)))
    with pytest.raises(BadInput, match="bukan gambar"):
        prepare_image(io.BytesIO(b"%PDF-1.7\n..."))
    square = prepare_image(io.BytesIO(_png(300, 120)), square=96)
    assert (square.width, square.height) == (96, 96)


@pytest.fixture
def course_with_readers(org):
    from app.extensions import db
    from tests.factories import make_course

    c = make_course(org.instructor, title="Menulis Nota Dinas")
    c.published = False
    db.session.commit()
    return c.id


def test_only_the_course_editors_upload_and_only_its_readers_see(client, app, org, login, course_with_readers):
    cid = course_with_readers
    login(org.learner_a1)
    resp = client.post(f"/kursus/{cid}/gambar", data={"image": (io.BytesIO(_png()), "a.png")},
                       headers={"Accept": "application/json"})
    assert resp.status_code in (403, 404)
    client.post("/keluar")
    login(org.instructor)
    resp = client.post(f"/kursus/{cid}/gambar", data={"image": (io.BytesIO(b"MZ\x90\x00evil"), "a.png")})
    assert resp.status_code == 400 and "bukan gambar" in resp.json["error"]["message"]
    resp = client.post(f"/kursus/{cid}/gambar", data={"image": (io.BytesIO(_png()), "../../etc/passwd.png")})
    assert resp.status_code == 201
    url = resp.json["url"]
    assert url.startswith(f"/kursus/{cid}/gambar/") and url.endswith(".png")
    got = client.get(url)
    assert got.status_code == 200 and got.data.startswith(b"\x89PNG")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/kursus/{cid}/gambar/..%2f..%2fsecret.png").status_code == 404
    client.post("/keluar")
    login(org.learner_a1)  # the course is not published: its pictures are not the learner's to see
    assert client.get(url).status_code == 404


def test_lesson_html_from_the_editor_is_kept_and_cleaned(client, app, org, login, course_with_readers):
    from app.courses import operations as ops
    from app.courses import queries as q
    from app.extensions import db

    c = q.get_course(course_with_readers)
    a = ops.add_activity(c.sections[0], "lesson", "Struktur nota", body=(
        '<h2>Bagian</h2><table><tbody><tr><td data-row="row-1">Kepala</td></tr></tbody></table>'
        '<p><img src="/kursus/1/gambar/abc.png" onerror="alert(1)"></p><ol><li>satu</li></ol>'))
    db.session.commit()
    body = a.body
    assert "<h2>Bagian</h2>" in body and "<td>Kepala</td>" in body and "<ol><li>satu</li></ol>" in body
    assert 'src="/kursus/1/gambar/abc.png"' in body and "onerror" not in body and "data-row" not in body


def test_profile_picture_is_squared_shown_in_lists_and_replaced(client, org, login):
    """Issue 22: a small profile picture, resized on upload, shown in the participants list."""
    from app.extensions import db
    from app.storage import get_storage
    from tests.factories import enrol_all, make_course

    course = make_course(org.instructor, title="Pelayanan Prima")
    enrol_all(course, org.learner_a1)
    db.session.commit()
    login(org.learner_a1)
    resp = client.post("/akun/foto", data={"picture": (io.BytesIO(b"not an image"), "foto.jpg")},
                       follow_redirects=True)
    assert "bukan gambar" in resp.get_data(as_text=True) and org.learner_a1.picture is None
    client.post("/akun/foto", data={"picture": (io.BytesIO(_png(800, 400)), "foto.png")})
    db.session.refresh(org.learner_a1)
    first = org.learner_a1.picture
    got = client.get(f"/akun/foto/{first}")
    assert got.status_code == 200 and Image.open(io.BytesIO(got.data)).size == (256, 256)
    client.post("/akun/foto", data={"picture": (io.BytesIO(_png(300, 300, (0, 0, 255))), "baru.png")})
    db.session.refresh(org.learner_a1)
    assert org.learner_a1.picture != first and not get_storage().exists(f"accounts/pictures/{first}")
    client.post("/keluar")
    login(org.instructor)
    page = client.get(f"/kursus/{course.id}/peserta").get_data(as_text=True)
    assert f"/akun/foto/{org.learner_a1.picture}" in page
    assert client.get("/akun/foto/..%2f..%2fsecret").status_code == 404
    client.post("/keluar")
    login(org.learner_a1)
    client.post("/akun/foto", data={"action": "hapus"})
    db.session.refresh(org.learner_a1)
    assert org.learner_a1.picture is None
