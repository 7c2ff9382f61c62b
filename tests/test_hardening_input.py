"""Issue 14, findings 4, 8, 9 and 12: input that tries to leave the site, to be too large, or to be
odd enough for a 500 is answered with a clear refusal or taken safely."""

from __future__ import annotations

from urllib.parse import urlsplit

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
