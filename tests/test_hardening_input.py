"""Issue 14, findings 4, 8, 9 and 12: input that tries to leave the site, to be too large, or to be
odd enough for a 500 is answered with a clear refusal or taken safely."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest

HOSTILE_NEXT = ["/\t/evil.example", "/%09/evil.example", "\t//evil.example", "/\r\n/evil.example", "/\\evil.example",
                "\\\\evil.example", "//evil.example", "https://evil.example/", "http:evil.example", " //evil.example",
                "/\x00/evil.example", "\x0b//evil.example", "javascript:alert(1)", "http://[evil.example/"]


def _assert_local(location: str) -> None:
    # what a browser would do with the header: drop tabs and newlines, read backslashes as slashes
    seen = location.replace("\t", "").replace("\r", "").replace("\n", "").replace("\\", "/").strip()
    parts = urlsplit(seen)
    assert not parts.netloc or parts.netloc == "localhost", location
    assert seen.startswith("/") and not seen.startswith("//"), location
    assert not any(ord(c) < 32 for c in location), location


def test_login_next_stays_on_the_site(app, org, client):
    for target in HOSTILE_NEXT:
        resp = client.post("/masuk", query_string={"next": target},
                           data={"username": org.learner_a1.username, "password": "rahasia123"})
        assert resp.status_code == 302, target
        _assert_local(resp.headers["Location"])
        again = client.get("/masuk", query_string={"next": target})  # already logged in
        assert again.status_code == 302, target
        _assert_local(again.headers["Location"])
        client.post("/keluar")


def test_language_switch_stays_on_the_site(app, client):
    for target in HOSTILE_NEXT:
        resp = client.get("/lang/en", query_string={"next": target})
        assert resp.status_code == 302, target
        _assert_local(resp.headers["Location"])
        if "\n" not in target:  # a header cannot carry a newline
            by_referrer = client.get("/lang/id", headers={"Referer": target})
            assert by_referrer.status_code == 302, target
            _assert_local(by_referrer.headers["Location"])


def test_same_site_targets_are_kept(app, org, client):
    resp = client.get("/lang/en", query_string={"next": "/katalog?q=arsip"})
    assert resp.headers["Location"] == "/katalog?q=arsip"
    resp = client.get("/lang/id", headers={"Referer": "http://localhost/kursus-saya"})
    assert resp.headers["Location"] == "/kursus-saya"
    resp = client.post("/masuk?next=%2Fjp", data={"username": org.learner_a1.username, "password": "rahasia123"})
    assert resp.headers["Location"] == "/jp"
    # a tab typed into a same-site path is dropped, not followed elsewhere
    assert client.get("/masuk", query_string={"next": "/k\tursus-saya"}).headers["Location"] == "/kursus-saya"


# --- finding 12: odd input is refused, never a 500 ------------------------------------------------

ODD_NUMBERS = ["²", "٣", "１", "NaN", "sNaN", "-Infinity", "1e999999", "9" * 40, "-1", "\x00", " 3 ", "3\r\nX: y"]
#: Every query parameter a page or the API reads (grep "args.get" in app/), plus the API's paging.
QUERY_NAMES = ["below", "category", "competency", "course_id", "download", "employment_type", "golongan", "hal",
               "jp_max", "jp_min", "kategori", "kotak", "mode", "nip", "page", "per_page", "periode", "position",
               "pratinjau", "q", "role", "serial", "state", "status", "tahun", "unit", "unit_id", "year", "format"]


def _path_values(org, course) -> dict[str, object]:
    return {"course_id": course.id, "activity_id": course.sections[0].activities[0].id, "user_id": org.learner_a1.id,
            "unit_id": org.a.id, "year": 2026, "nip": org.learner_a1.nip, "section_id": course.sections[0].id,
            "code": "x", "fmt": "xlsx"}


def _fill(rule, values: dict[str, object]) -> str | None:
    url = rule.rule
    for arg in rule.arguments:
        value = values.get(arg, 1 if "int:" in url else "x")
        url = url.replace(f"<int:{arg}>", str(value)).replace(f"<path:{arg}>", str(value)).replace(f"<{arg}>", str(value))
    return url


def _server_errors(client, method: str, url: str, **kwargs) -> str | None:
    try:
        resp = client.open(url, method=method, **kwargs)
    except Exception as exc:  # TESTING propagates what would have been a 500
        return f"{method} {url}: {type(exc).__name__}: {str(exc)[:200]}"
    if resp.status_code >= 500:
        return f"{method} {url}: {resp.status_code}"
    return None


#: The GET routes are split into shards so pytest-xdist can spread ~40 requests per route over
#: both workers (one test of every route was the suite's longest, 12 min under load on PostgreSQL).
GET_SHARDS = 4


@pytest.mark.slow  # every GET route, ~40 requests each
@pytest.mark.parametrize("shard", range(GET_SHARDS))
def test_odd_numbers_in_every_query_string_are_not_a_server_error(app, org, client, login, shard):
    from tests.factories import make_course

    course = make_course(org.instructor)
    from app.extensions import db

    db.session.commit()
    values = _path_values(org, course)
    login(org.admin)
    failures = []
    rules = [rule for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
             if "GET" in rule.methods and rule.endpoint not in ("static", "web.vendor")
             and not rule.rule.startswith("/static")
             and rule.endpoint not in ("accounts.logout", "accounts.logout_get")]
    assert len(rules) > 100  # the shards together cover every GET route
    for rule in rules[shard::GET_SHARDS]:
        url = _fill(rule, values)
        # each parameter alone with a non-ASCII digit (another bad parameter could answer 400 first),
        # then every odd number in all of them at once
        tries = [{name: "²"} for name in QUERY_NAMES] + [dict.fromkeys(QUERY_NAMES, odd) for odd in ODD_NUMBERS]
        for query in tries:
            failure = _server_errors(client, "GET", url, query_string=query)
            if failure:
                failures.append(f"{failure} {query}")
                break
    assert not failures, "\n".join(failures)


def _write_rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"}):
            yield rule, method


DEEP = "[" * 50_000 + "]" * 50_000
HOSTILE_JSON = [DEEP, '{"a":' * 50_000 + "1" + "}" * 50_000, '{"jp": NaN, "planned_jp": Infinity}',
                '{"jp": "NaN", "planned_jp": "sNaN", "minutes": -Infinity, "cost": "Infinity"}']


@pytest.mark.slow  # every write route
def test_hostile_json_on_every_write_route_is_refused(app, org, client, auth):
    from app.extensions import db
    from tests.factories import make_course

    course = make_course(org.instructor)
    db.session.commit()
    values = _path_values(org, course)
    headers = auth(org.admin)
    failures = []
    for rule, method in _write_rules(app):
        url = _fill(rule, values)
        for body in HOSTILE_JSON:
            failure = _server_errors(client, method, url, data=body, headers=headers,
                                     content_type="application/json")
            if failure:
                failures.append(failure)
                break
        # a form with every expected field missing (the program form without `courses` was a 500)
        failure = _server_errors(client, method, url, data={"unexpected": "1"}, headers=headers)
        if failure:
            failures.append(failure + " (empty form)")
    assert not failures, "\n".join(failures)
    resp = client.post(f"/api/v1/courses/{course.id}/sections", data=DEEP, headers=headers,
                       content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_json"
    nan = client.post("/api/v1/plans/2026/items", data='{"kind": "other", "title": "x", "planned_jp": NaN}',
                      headers=headers, content_type="application/json")
    assert nan.status_code == 400
    nan_text = client.post("/api/v1/plans/2026/items", data='{"kind": "other", "title": "x", "planned_jp": "NaN"}',
                           headers=headers, content_type="application/json")
    assert nan_text.status_code == 400 and "angka" in nan_text.get_json()["error"]["message"]


def test_nan_in_planned_jp_rules_and_costs_is_a_form_error(app, org, client, login):
    from app.courses.models import Course
    from app.extensions import db
    from app.ledger.models import JpRule
    from tests.factories import make_course

    course = make_course(org.instructor)
    rule = db.session.scalars(db.select(JpRule)).first()
    db.session.commit()
    login(org.admin)
    for value in ("NaN", "sNaN", "Infinity", "-inf"):
        resp = client.post("/rencana/2026/kegiatan", data={"kind": "other", "title": "Magang", "planned_jp": value})
        assert resp.status_code == 302, value
        assert "angka" in client.get(resp.headers["Location"]).get_data(as_text=True), value  # "not a number"
        page = client.post(f"/jp/aturan/{rule.code}", data={"name": rule.name, "category": rule.category,
                                                            "unit": "per_day", "jp_national": value,
                                                            "jp_international": "8", "active": "y"})
        assert page.status_code in (200, 400) and "angka" in page.get_data(as_text=True), value
        cost = client.post("/kebutuhan-pelatihan/biaya", data={"course_id": course.id, "cost": value})
        assert cost.status_code < 500, value
        assert db.session.get(Course, course.id) is not None
    from app.corpu.models import CourseCost, PlanItem

    assert not db.session.scalars(db.select(PlanItem)).all()
    assert all(c.cost_per_participant.is_finite() for c in db.session.scalars(db.select(CourseCost)))


def test_program_edit_without_courses_is_a_form_error(app, org, client, login):
    from app.corpu import operations as corpu_ops
    from app.extensions import db
    from tests.factories import make_course

    course = make_course(org.instructor)
    program = corpu_ops.save_program(code="P-1", title="Program", course_ids=[course.id])
    db.session.commit()
    login(org.admin)
    for url in ("/program/baru", f"/program/{program.id}/ubah"):
        resp = client.post(url, data={"code": "P-1", "title": "Program"})
        assert resp.status_code == 400, url
        assert "wajib" in resp.get_data(as_text=True).lower(), url
    assert [pc.course_id for pc in program.courses] == [course.id]


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_a_huge_png_logo_is_refused_not_decoded(app, org):
    from app.certificates import operations as cert_ops
    from app.certificates.models import CertificateTemplate
    from app.errors import TooLarge
    from app.extensions import db

    tpl = db.session.scalars(db.select(CertificateTemplate)).first()
    if tpl is None:
        tpl = CertificateTemplate()
        db.session.add(tpl)
        db.session.flush()
    for w, h in ((40_000, 40_000), (9_000, 9_000)):
        with pytest.raises(TooLarge):
            cert_ops.store_image(tpl, "logo", "logo.png", _png_header(w, h))


# --- finding 8: request bodies have the limit of what they are --------------------------------------

class _Unreadable:
    """A request body that must not be read: the limit is decided from Content-Length alone."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_oversized_bodies_are_refused_before_they_are_read(app, client):
    environ = {"CONTENT_LENGTH": str(400 * 1024 * 1024), "CONTENT_TYPE": "application/json",
               "wsgi.input": _Unreadable()}
    resp = client.post("/api/v1/auth/token", environ_overrides=environ)
    assert resp.status_code == 413
    body = resp.get_json()["error"]
    assert body["code"] == "too_large" and "KB" in body["message"]
    page = client.post("/masuk", environ_overrides={**environ, "CONTENT_TYPE": "application/x-www-form-urlencoded"})
    assert page.status_code == 413 and "terlalu besar" in page.get_data(as_text=True)


def test_json_is_small_forms_moderate_uploads_only_for_people_signed_in(app, org, client, login):
    big_json = '{"username": "' + "a" * (2 * 1024 * 1024) + '", "password": "x"}'
    assert client.post("/api/v1/auth/token", data=big_json, content_type="application/json").status_code == 413
    file_9mb = {"file": (io.BytesIO(b"nip,nama\n" + b"x" * (9 * 1024 * 1024)), "pegawai.csv")}
    anonymous = client.post("/admin/pegawai/impor", data=file_9mb, content_type="multipart/form-data")
    assert anonymous.status_code == 413
    login(org.admin)
    file_9mb = {"file": (io.BytesIO(b"nip,nama\n" + b"x" * (9 * 1024 * 1024)), "pegawai.csv")}
    signed_in = client.post("/admin/pegawai/impor", data=file_9mb, content_type="multipart/form-data")
    assert signed_in.status_code != 413 and signed_in.status_code < 500
    # a long lesson still fits a plain form (2 MB per field)
    form = client.post("/akun", data={"name": "x" * (1024 * 1024)})
    assert form.status_code != 413


# --- finding 9: course.yaml cannot expand itself ----------------------------------------------------

def _alias_bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_aliases_and_anchors_are_refused_before_expansion(app, org, client, auth, tmp_path):
    import time

    from app.courses.package import PackageRefused, import_package
    from tests.courses_fixtures import COURSE_YAML, package_files, zip_package

    bomb = COURSE_YAML + _alias_bomb()
    started = time.monotonic()
    with pytest.raises(PackageRefused) as exc:
        import_package(zip_package(package_files(**{"course.yaml": bomb})), org.instructor)
    assert time.monotonic() - started < 5
    [problem] = exc.value.details
    assert problem["file"] == "course.yaml" and "alias" in problem["message"]
    assert problem["line"] == len(COURSE_YAML.splitlines()) + 1  # the first anchor
    # a harmless-looking anchor is refused too: the manifest is plain data
    merged = COURSE_YAML + "defaults: &d {required: true}\nother:\n  <<: *d\n"
    with pytest.raises(PackageRefused):
        import_package(zip_package(package_files(**{"course.yaml": merged})), org.instructor)
    # through the API: a 4xx with the reason, quickly
    resp = client.post("/api/v1/courses/import", headers=auth(org.instructor),
                       data={"file": (io.BytesIO(zip_package(package_files(**{"course.yaml": bomb}))), "p.zip")},
                       content_type="multipart/form-data")
    assert 400 <= resp.status_code < 500 and "alias" in str(resp.get_json()["error"])


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(app):
    """Without Content-Length (chunked, behind a server that terminates the stream) Werkzeug reads
    at most the limit: the rest is never read, and the cut body is refused as bad input."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    sent = {"bytes": 0}

    class Counting(io.BytesIO):
        def read(self, *args):
            chunk = super().read(*args)
            sent["bytes"] += len(chunk)
            return chunk

        def readinto(self, b):
            n = super().readinto(b)
            sent["bytes"] += n or 0
            return n

    body = Counting(b'{"username": "' + b"a" * (8 * 1024 * 1024) + b'", "password": "x"}')
    environ = EnvironBuilder("/api/v1/auth/token", method="POST", input_stream=body,
                             content_type="application/json").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input_terminated"] = True
    _it, status, _headers = run_wsgi_app(app, environ)
    assert status.startswith(("400", "413"))
    assert sent["bytes"] <= app.config["MAX_JSON_BODY"] + 64 * 1024
