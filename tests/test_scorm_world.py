"""SCORM packages published by others (tests/data/README.md names each one's source and licence):
each SCORM 1.2 package imports with the table of contents its manifest says, SCORM 2004 ones are
refused with the message, and in Chromium Rustici's golf examples and a package made with the
Reload editor (ADL's sample SCO functions) play through scorm-again, report status / score / time,
persist on the server and complete the activity.

The packages are read from LENTERA_SCORM_CORPUS (default tests/data/scorm/). They are other
people's code (HTML and JavaScript), so they are not committed with Lentera; a missing package
skips its case with the README's pointer, and the behaviours each one taught us are also built at
test time in tests/test_scorm.py (which always runs)."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.factories import enrol_all, make_course

CORPUS = Path(os.environ.get("LENTERA_SCORM_CORPUS") or Path(__file__).parent / "data" / "scorm")
PHONE = {"width": 390, "height": 844}

#: file -> (expected TOC as (title, depth, launchable)), or the refusal code
GOLF_MULTI = [("Playing the Game", 0, False), ("How to Play", 1, True), ("Par?", 1, True), ("Keeping Score", 1, True),
              ("Other Scoring Systems", 1, True), ("The Rules of Golf", 1, True), ("Playing Golf Quiz", 1, True)]
EXPECTED: dict[str, list[tuple[str, int, bool]] | str] = {
    "RuntimeMinimumCalls_SCORM12.zip": GOLF_MULTI + [
        ("Etiquette", 0, False), ("Taking Care of the Course", 1, True), ("Avoiding Distraction", 1, True),
        ("Playing Politely", 1, True), ("Etiquette Quiz", 1, True), ("Handicapping", 0, False),
        ("Handicapping Overview", 1, True), ("Calculating a Handicap", 1, True),
        ("Calculating a Handicapped Score", 1, True), ("Handicapping Example", 1, True), ("Handicapping Quiz", 1, True),
        ("Having Fun", 0, False), ("How to Have Fun Playing Golf", 1, True), ("How to Make Friends Playing Golf", 1, True),
        ("Having Fun Quiz", 1, True)],
    "RuntimeMinimumCalls_SCORM12-mini.zip": GOLF_MULTI + [
        ("Having Fun", 0, False), ("How to Have Fun Playing Golf", 1, True), ("How to Make Friends Playing Golf", 1, True),
        ("Having Fun Quiz", 1, True)],
    "singlescobasic.zip": [("Golf Explained", 0, True)],
    "singlesco_scorm12.zip": [("Golf Explained", 0, True)],
    # no <organization>: the resource is the one item
    "singlescobasic_missingorg.zip": [("resource_1", 0, True)],
    # the organisations' default names no organisation (the first is read); "SCO not visible" is
    # isvisible="false" and left out; an item with a resource and children; an asset
    "complexscorm.zip": [("The first content (one SCO)", 0, True), ("The second content (one SCO too)", 0, True),
                         ("Third content (this is an asset)", 0, True), ("SCO with subscoes", 0, True),
                         ("Sub-SCO", 1, True), ("Sub-Sub-SCO", 2, True),
                         ("SCO with prerequisite (first and secon SCO)", 0, True)],
    "captivate_12.zip": [("Course Object title", 0, True)],
    "scormdriver_12.zip": [("Course Title", 0, True)],
    # Reload Editor's package of ADL's sample SCO functions: six SCOs, each needing the one before
    "reload_adl_12.zip": [(f"SCO {n}", 0, True) for n in range(1, 7)],
    "RuntimeBasicCalls_SCORM20043rdEdition.zip": "refused",
    "ispring_2004.zip": "refused",
}


def _package(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"{name} is not in {CORPUS} (tests/data/README.md says where it comes from)")
    return path.read_bytes()


def _course(client, h) -> tuple[int, int]:
    cid = client.post("/api/v1/courses", headers=h, json={"title": "Kursus Paket Dunia", "jp": 2,
                                                         "mode": "online"}).json["id"]
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Materi"}).json["id"]
    return cid, sid


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_published_packages_import_with_their_manifests_toc_or_are_refused(client, org, auth, name):
    data = _package(name)
    h = auth(org.instructor)
    cid, sid = _course(client, h)
    resp = client.post(f"/api/v1/courses/{cid}/activities", headers=h, content_type="multipart/form-data",
                       data={"section_id": str(sid), "type": "scorm", "title": name,
                             "package": (io.BytesIO(data), name)})
    expected = EXPECTED[name]
    if isinstance(expected, str):
        assert resp.status_code == 422, resp.json
        err = resp.json["error"]
        text = err["message"] + " ".join(d["message"] for d in err["details"])
        assert "Ini paket SCORM 2004" in text and "SCORM 1.2" in text, err
        return
    assert resp.status_code == 201, resp.json
    doc = client.get(f"/api/v1/scorm/{resp.json['scorm_id']}", headers=h).json
    toc = [(t["title"], t["depth"], t["launch_url"] is not None) for t in doc["toc"]]
    assert toc == expected
    assert len(doc["scos"]) == sum(1 for _t, _d, launchable in expected if launchable)


# --- in Chromium ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def konten_browser(browser):
    """A Chromium that resolves konten.test to this machine (the separate content origin)."""
    from tests.conftest import CHROMIUM_ARGS

    b = browser.browser_type.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True,
                                    args=CHROMIUM_ARGS + ["--host-resolver-rules=MAP konten.test 127.0.0.1"])
    yield b
    b.close()


def _activity_with(live_server, data: bytes, name: str, title: str) -> int:
    from app.scorm.operations import store_package

    app = live_server.app
    with app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        learner = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(instructor, title=title, jp=2, activities=[{"type": "scorm", "title": title}])
        enrol_all(course, learner)
        activity = course.sections[0].activities[0]
        store_package(activity, data, name)
        activity_id = activity.id
        db.session.commit()
        db.session.remove()
    return activity_id


def _learner_page(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, locale="id-ID", viewport=PHONE, is_mobile=True, has_touch=True)
    lp = ctx.new_page()
    lp.set_default_timeout(30000)
    lp.goto("/masuk")
    lp.fill("input[name=username]", "peserta")
    lp.fill("input[name=password]", "lentera123")
    lp.click("button[type=submit]")
    lp.wait_for_url(lambda u: "/masuk" not in u)
    return ctx, lp


def _states(live_server, activity_id: int) -> dict[str, object]:
    from app.courses.models import ActivityCompletion
    from app.scorm.models import ScormPackage, ScormScoState

    with live_server.app.app_context():
        pkg = db.session.scalar(select(ScormPackage).where(ScormPackage.activity_id == activity_id))
        learner = db.session.scalar(select(User).where(User.username == "peserta"))
        states = {s.sco.title: s for s in db.session.scalars(select(ScormScoState).join(ScormScoState.attempt)
                                                              .where(ScormScoState.sco.has(package_id=pkg.id)))}
        out = {title: (s.lesson_status, s.score_raw, s.time_cs, dict(s.cmi)) for title, s in states.items()}
        out["__done__"] = db.session.scalar(select(ActivityCompletion).where(
            ActivityCompletion.activity_id == activity_id, ActivityCompletion.user_id == learner.id)) is not None
        db.session.remove()
    return out


@pytest.mark.browser
def test_rustici_golf_single_sco_plays_to_passed_on_the_content_origin(live_server, konten_browser):
    """Rustici's "Run-time Basic Calls" golf example: a launch page holding the pages in an inner
    frame; the test in that frame reports its score through `parent.RecordTest` — so it runs on the
    separate content origin, inside the shell page that holds the API."""
    data = _package("singlescobasic.zip")
    activity_id = _activity_with(live_server, data, "singlescobasic.zip", "Golf Dasar")
    port = live_server.url.rsplit(":", 1)[1]
    app = live_server.app
    app.config["SCORM_CONTENT_ORIGIN"] = f"http://konten.test:{port}"
    app.config["CSP_FRAME_SOURCES"] = [f"http://konten.test:{port}"]
    ctx, lp = _learner_page(konten_browser, live_server)
    try:
        lp.goto(f"/aktivitas/{activity_id}")
        sco = lp.frame_locator("iframe.scorm-frame").frame_locator("#sco")
        sco.locator("#butNext").wait_for()
        for _ in range(15):  # every page up to the knowledge check
            sco.locator("#butNext").click()
        test = sco.frame_locator("#contentFrame")
        test.locator("input[type=button][value='Submit Answers']").wait_for()
        for radio in test.locator(".correctAnswer input[type=radio]").all():
            radio.check()
        for box in test.locator(".correctAnswer input[type=text]").all():
            box.fill(box.locator("xpath=..").inner_text().strip().strip("()").strip())
        test.locator("input[type=button][value='Submit Answers']").click()
        test.locator("text=Score: 100").wait_for()
        lp.wait_for_timeout(1500)
        sco.locator("#butExit").click()
        lp.wait_for_selector("#activity-done")
    finally:
        ctx.close()
        app.config.pop("SCORM_CONTENT_ORIGIN", None)
        app.config.pop("CSP_FRAME_SOURCES", None)
    states = _states(live_server, activity_id)
    status, score, time_cs, cmi = states["Golf Explained"]
    assert status == "passed" and score == 100
    assert time_cs > 0 and cmi["cmi.core.lesson_location"] == "15"
    assert states["__done__"] is True


@pytest.mark.browser
def test_rustici_golf_multi_sco_minimum_calls_complete_on_lmsfinish(live_server, browser):
    """The golf "Minimum Run-time Calls" SCOs only call LMSInitialize on load and LMSFinish on
    unload and never set a status: each SCO left is completed at LMSFinish (RTE 3.4.4), the player
    then opens the next one, and the last completes the activity."""
    data = _package("RuntimeMinimumCalls_SCORM12-mini.zip")
    activity_id = _activity_with(live_server, data, "RuntimeMinimumCalls_SCORM12-mini.zip", "Golf Banyak SCO")
    launchable = [t for t, _d, ok in EXPECTED["RuntimeMinimumCalls_SCORM12-mini.zip"] if ok]
    ctx, lp = _learner_page(browser, live_server)
    seen: list[str] = []
    try:
        for _ in range(2 * len(launchable) + 2):
            lp.goto(f"/aktivitas/{activity_id}")
            if lp.locator("#activity-done").count():
                break
            lp.frame_locator("iframe.scorm-frame").locator("h1").first.wait_for()
            seen.append(lp.locator(".scorm-item.current a").inner_text())
            lp.wait_for_timeout(400)  # LMSInitialize ran on load; leaving the page finishes the SCO
    finally:
        ctx.close()
    # a finish sent as the page unloads may land after the next page chose its SCO: that SCO is
    # then simply offered again
    assert [t for i, t in enumerate(seen) if i == 0 or seen[i - 1] != t] == launchable
    states = _states(live_server, activity_id)
    assert all(states[t][0] == "completed" for t in launchable), states
    assert states["__done__"] is True


@pytest.mark.browser
def test_reload_package_with_adl_sco_functions_walks_its_prerequisite_chain(live_server, browser):
    """Six SCOs made with the Reload editor on ADL's APIWrapper.js, each requiring the one before:
    the learner sets a score and a status in each (the package's own buttons), commits, finishes;
    the next SCO opens only then, and the sixth completes the activity."""
    data = _package("reload_adl_12.zip")
    activity_id = _activity_with(live_server, data, "reload_adl_12.zip", "Paket Reload")
    ctx, lp = _learner_page(browser, live_server)
    try:
        for n in range(1, 7):
            lp.goto(f"/aktivitas/{activity_id}")
            if lp.locator(".scorm-item.current a").inner_text() != f"SCO {n}":  # the finish beacon was late
                lp.wait_for_timeout(1000)
                lp.goto(f"/aktivitas/{activity_id}")
            assert lp.locator(".scorm-item.current a").inner_text() == f"SCO {n}"
            # every later SCO is still locked by its prerequisite
            assert lp.locator(".scorm-item a").count() == n
            sco = lp.frame_locator("iframe.scorm-frame")
            sco.locator("#values").filter(has_text="cmi.core.lesson_status").wait_for()
            sco.locator(".score-input").fill(str(80 + n))
            sco.locator(".score-bt").click()
            sco.locator(".status-input").select_option("passed" if n % 2 else "completed")
            sco.locator(".status-bt").click()
            sco.locator("button", has_text="doLMSCommit").click()
            sco.locator("button", has_text="doLMSFinish").click()
            lp.wait_for_timeout(500)
        lp.goto(f"/aktivitas/{activity_id}")
        lp.wait_for_selector("#activity-done")
    finally:
        ctx.close()
    states = _states(live_server, activity_id)
    for n in range(1, 7):
        status, score, _t, cmi = states[f"SCO {n}"]
        assert status == ("passed" if n % 2 else "completed") and score == 80 + n, (n, states[f"SCO {n}"])
        assert cmi["cmi.core.score.raw"] == str(80 + n)
    assert states["__done__"] is True
