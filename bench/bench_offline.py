"""Low bandwidth and offline (issue 20), in Chromium with its network emulation.

For the learner's pages (login, home, course, lesson, quiz, video before "play"): the bytes that
cross the network on a cold visit (empty cache) and on a repeat visit, and the time until the
lesson page is usable (its load event) on "slow 3G" (400 kbit/s, 400 ms RTT) and "2G" (250 kbit/s,
800 ms RTT). Then the sync of 1,000 queued events: wall time and the server's CPU time.

Goals (issue 20): every learner page ≤ 25 KiB cold and ≤ 5 KiB warm; the lesson usable in ≤ 3 s on
slow 3G. The ceiling these are compared with is the goal itself; the sync is compared with the
bare-Flask ceiling measured in the same run (how many of its requests/s the sync's events/s are).

    .venv/bin/python -m bench.bench_offline
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import Check, Database, Server, api_token, ceiling, default_seconds, fetch, seed_demo

PROFILES = {
    "slow 3G": {"latency": 400, "kbit": 400},
    "2G": {"latency": 800, "kbit": 250},
}
COLD_GOAL, WARM_GOAL, USABLE_GOAL = 25 * 1024, 5 * 1024, 3.0
SYNC_EVENTS = 1000
CHUNK = 100  # what lentera-offline.js sends in one request


def setup(app) -> None:
    """The demo data; a video lesson (a ready asset) and a course of 1,000 lessons for the sync."""
    from sqlalchemy import select

    from app.accounts.queries import user_by_username
    from app.courses.models import Activity, Course, Enrolment, Section
    from app.extensions import db
    from app.media.models import VideoAsset

    seed_demo(app)
    learner = user_by_username("peserta")
    course_id = db.session.scalar(select(Enrolment.course_id).where(Enrolment.user_id == learner.id).limit(1))
    first = db.session.scalar(select(Activity).where(Activity.course_id == course_id).limit(1))
    asset = VideoAsset(source_key="bench/none.mp4", source_name="kuliah.mp4", state="ready", duration_tenths=6000,
                       width=640, height=360, has_audio=True, master_key="bench/master.m3u8",
                       audio_key="bench/audio.m3u8",
                       renditions=[{"name": "240p", "height": 240, "width": 426, "bandwidth": 420000},
                                   {"name": "360p", "height": 360, "width": 640, "bandwidth": 900000}])
    db.session.add(asset)
    db.session.flush()
    db.session.add(Activity(course_id=course_id, section_id=first.section_id, position=99, type="video",
                            title="Kuliah umum (video)", body="", settings={"asset_id": asset.id}))
    # a learner who studied 50 courses of 20 lessons each on the phone: 1,000 events to sync
    for n in range(SYNC_EVENTS // 20):
        course = Course(code=f"BENCH-SYNC-{n:02d}", title=f"Kursus offline {n + 1}", summary="", jp=2,
                        mode="online", self_enrol=True, published=True, organiser="BPSDM", training_type="teknis")
        section = Section(course=course, position=0, title="Materi")
        for i in range(20):
            section.activities.append(Activity(course=course, position=i, type="lesson", title=f"Materi {i + 1}",
                                               body="<p>Isi</p>", settings={}))
        db.session.add(course)
        db.session.flush()
        db.session.add(Enrolment(course_id=course.id, user_id=learner.id, method="self"))
    db.session.commit()


def _targets(app_url: str) -> dict[str, str]:
    """The learner's pages, found through the API as a client would."""
    token = api_token(app_url, "peserta", "lentera123")
    status, body = fetch(app_url + "/api/v1/courses?per_page=200", headers=token)
    courses = json.loads(body)["items"]
    pages: dict[str, str] = {}
    for c in courses:
        status, body = fetch(f"{app_url}/api/v1/courses/{c['id']}", headers=token)
        if status != 200 or c["code"].startswith("BENCH-SYNC"):
            continue
        doc = json.loads(body)
        acts = [a for s in doc["sections"] for a in s["activities"]]
        lesson = next((a for a in acts if a["type"] == "lesson"), None)
        quiz = next((a for a in acts if a["type"] == "quiz"), None)
        video = next((a for a in acts if a["type"] == "video"), None)
        if lesson and "course" not in pages:
            pages["course"] = f"/kursus/{c['id']}"
            pages["lesson"] = f"/aktivitas/{lesson['id']}"
        if quiz and "quiz" not in pages:
            pages["quiz"] = f"/kuis/{quiz['quiz_id']}"
        if video and "video" not in pages:
            pages["video"] = f"/aktivitas/{video['id']}"
    return {"login": "/masuk", "home": "/", **pages}


def _measure_pages(app_url: str) -> tuple[list[str], bool]:
    from playwright.sync_api import sync_playwright

    targets = _targets(app_url)
    lines, ok = [], True
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            for profile, net in PROFILES.items():
                lines.append(f"{profile} ({net['kbit']} kbit/s, {net['latency']} ms RTT):")
                for name, path in targets.items():
                    # a fresh browser profile per page: its cold visit starts from an empty cache
                    ctx = browser.new_context(base_url=app_url, locale="id-ID", service_workers="block")
                    page = ctx.new_page()
                    if name != "login":
                        page.goto("/masuk")
                        page.fill("input[name=username]", "peserta")
                        page.fill("input[name=password]", "lentera123")
                        page.click("button[type=submit]")
                        page.wait_for_url(lambda u: "/masuk" not in u)
                    cdp = ctx.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.clearBrowserCache")
                    cdp.send("Network.emulateNetworkConditions", {
                        "offline": False, "latency": net["latency"],
                        "downloadThroughput": net["kbit"] * 1000 / 8, "uploadThroughput": net["kbit"] * 1000 / 8})
                    received = {"bytes": 0}

                    def count(e, received=received):
                        received["bytes"] += int(e.get("encodedDataLength", 0))

                    cdp.on("Network.loadingFinished", count)
                    figures = []
                    for visit in ("cold", "warm"):
                        received["bytes"] = 0
                        started = time.perf_counter()
                        page.goto(path, wait_until="load")
                        usable = time.perf_counter() - started
                        page.wait_for_timeout(300)  # late requests (a heartbeat) count too
                        figures.append((visit, received["bytes"], usable))
                    ctx.close()
                    (c_name, cold, cold_t), (w_name, warm, warm_t) = figures
                    page_ok = cold <= COLD_GOAL and warm <= WARM_GOAL
                    if name == "lesson" and profile == "slow 3G":
                        page_ok = page_ok and cold_t <= USABLE_GOAL
                    ok = ok and page_ok
                    lines.append(f"  {name:<7} cold {cold / 1024:6.1f} KiB in {cold_t:4.1f} s · "
                                 f"warm {warm / 1024:5.1f} KiB in {warm_t:4.1f} s "
                                 f"{'ok' if page_ok else 'OVER GOAL'}")
        finally:
            browser.close()
    lines.append(f"  goals: ≤ {COLD_GOAL // 1024} KiB cold, ≤ {WARM_GOAL // 1024} KiB warm, "
                 f"lesson usable ≤ {USABLE_GOAL:g} s on slow 3G")
    return lines, ok


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (gunicorn's arbiter and its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid] + [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def _measure_sync(server: Server) -> tuple[str, float]:
    token = api_token(server.url, "peserta", "lentera123")
    status, body = fetch(server.url + "/api/v1/courses?per_page=200", headers=token)
    ids = []
    for c in json.loads(body)["items"]:
        if c["code"].startswith("BENCH-SYNC"):
            status, body = fetch(f"{server.url}/api/v1/courses/{c['id']}", headers=token)
            ids += [a["id"] for s in json.loads(body)["sections"] for a in s["activities"]]
    start = datetime.now(UTC) - timedelta(hours=2)
    events = [{"id": str(uuid.uuid4()), "type": "view", "activity_id": aid,
               "at": (start + timedelta(seconds=i)).isoformat(), "data": {}} for i, aid in enumerate(ids)]
    headers = {**token, "Content-Type": "application/json"}
    cpu0, t0 = _cpu_seconds(server.proc.pid), time.perf_counter()
    applied = 0
    for i in range(0, len(events), CHUNK):  # the device sends its queue in pieces, as lentera-offline.js does
        status, body = fetch(server.url + "/api/v1/sync", headers=headers,
                             data=json.dumps({"device_id": "bench", "events": events[i:i + CHUNK]}).encode())
        applied += len(json.loads(body)["applied"])
    wall, cpu = time.perf_counter() - t0, _cpu_seconds(server.proc.pid) - cpu0
    t1 = time.perf_counter()
    status, body = fetch(server.url + "/api/v1/sync", headers=headers,
                         data=json.dumps({"device_id": "bench", "events": events[:CHUNK]}).encode())
    again = time.perf_counter() - t1
    dup = len(json.loads(body)["duplicates"])
    rate = applied / wall if wall else 0.0
    return (f"sync of {len(events)} events: {applied} applied in {wall:.2f} s wall, {cpu:.2f} s server CPU "
            f"({rate:.0f} events/s, {CHUNK} a request); {CHUNK} sent again: {dup} duplicates in {again:.2f} s"), rate


def run() -> list[Check]:
    kind = os.environ.get("BENCH_DB", "postgresql")
    with Database(kind) as database:
        database.prepare(setup)
        with Server("wsgi:app", workers=2, database=database) as server:
            page_lines, pages_ok = _measure_pages(server.url)
            sync_line, rate = _measure_sync(server)
        bare = ceiling(workers=2, connections=20, seconds=default_seconds())
    sync_line += f"; bare Flask ceiling {bare.rps:.0f} req/s, ratio {rate / bare.rps:.1%}" if bare.rps else ""
    return [Check("learner pages on slow networks", pages_ok, "see the table", "\n".join(page_lines)),
            Check("offline sync", True, sync_line)]


if __name__ == "__main__":
    for check in run():
        print(check.line())
        if check.detail:
            print(check.detail)
