"""The people of a realistic day, for locust (driven by tests/load_day.py, which prepares the
database, starts gunicorn and checks the database afterwards).

80 % learners: log in, browse the catalogue and "Kursus saya", open a course, read a lesson,
watch the video lesson (the player's requests: state, playlist, a segment, and a heartbeat for
every 10 s played — sent every 5 s, the fastest playback the server credits), take the quiz
(start on the page, answers autosaved through the API as the attempt page's script does, submit).
15 % staff with claims and certificates: "JP saya", a claim for external learning with a PDF
as evidence, "Sertifikat saya", a certificate PDF, its public verify page and JSON.
5 % BPSDM: the monitoring dashboard and API, the staff list, the claims queue, approving claims.

Each person is a new login from a pool (a day has many more people than are online at once).
Every write the server acknowledged is written to the journal (JSON lines) so that load_day.py
can check that the database holds exactly that. The configuration comes from the JSON file named
by LOAD_CONFIG.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from datetime import date, timedelta

import gevent
from locust import HttpUser, between, events, task

CONFIG = json.loads(open(os.environ["LOAD_CONFIG"], encoding="utf-8").read())
_pools = {name: itertools.cycle(CONFIG[name]) for name in ("learners", "claimants", "bpsdm")}
_journal = open(CONFIG["journal"], "a", encoding="utf-8")


def as_shown(question: dict, response, texts: dict):
    """A response in the questions' own ids written with the ids this attempt shows (found by
    the choice's text; each attempt shows its own random ids). As bench_quizzes.as_shown."""
    if not texts:
        return response
    by_text = {c["text"]: c["id"] for c in question.get("choices", [])}
    if isinstance(response, str):
        return by_text[texts[response]]
    if isinstance(response, list):
        return [by_text[texts[x]] for x in response]
    if isinstance(response, dict):
        return {k: by_text[texts[v]] for k, v in response.items()}
    return response
_journal_lock = threading.Lock()
_claim_seq = itertools.count(1)
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# A minimal PDF the evidence check accepts (magic bytes), as a scanned certificate would be.
EVIDENCE = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def journal(kind: str, **fields) -> None:
    with _journal_lock:
        _journal.write(json.dumps({"kind": kind, **fields}) + "\n")
        _journal.flush()


@events.quitting.add_listener
def _close_journal(**_kw) -> None:
    _journal.close()


class Person(HttpUser):
    abstract = True
    pool = "learners"
    csrf = ""

    def login(self) -> None:
        self.client.cookies.clear()
        self.username = next(_pools[self.pool])
        page = self.client.get("/masuk", name="/masuk")
        token = CSRF_FIELD.search(page.text).group(1)
        with self.client.post("/masuk", name="/masuk [POST]", allow_redirects=False, catch_response=True,
                              data={"csrf_token": token, "username": self.username,
                                    "password": CONFIG["password"]}) as resp:
            if resp.status_code != 302:
                resp.failure(f"login as {self.username}: {resp.status_code}")
                return
        home = self.client.get("/", name="/ (home)")
        self.csrf = CSRF_META.search(home.text).group(1)

    def api(self, method: str, path: str, name: str, **kw):
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json"}
        return self.client.request(method, path, name=name, headers=headers, **kw)

    def logout(self) -> None:
        self.client.post("/keluar", name="/keluar", data={"csrf_token": self.csrf})


class Learner(Person):
    weight = 80
    wait_time = between(1, 4)

    @task
    def visit(self) -> None:
        self.login()
        self.client.get("/katalog", name="/katalog")
        self.client.get("/kursus-saya", name="/kursus-saya")
        course = CONFIG["course_id"]
        self.client.get(f"/kursus/{course}", name="/kursus/[id]")
        self.client.get(f"/aktivitas/{CONFIG['lesson_id']}", name="/aktivitas/[id] (lesson)")
        choice = random.random()
        if choice < 0.45:
            self.watch()
        if choice > 0.3:
            self.quiz()
        self.client.get(f"/api/v1/courses/{course}/progress", name="/api/v1/courses/[id]/progress")
        self.logout()

    def watch(self) -> None:
        activity = CONFIG["video_id"]
        self.client.get(f"/aktivitas/{activity}", name="/aktivitas/[id] (video)")
        state = self.api("GET", f"/api/v1/activities/{activity}/video", "/api/v1/activities/[id]/video").json()
        playlist_url = state.get("master_url")
        if playlist_url:  # the player: master playlist, the lowest rendition ("hemat data"), a segment
            master = self.client.get(playlist_url, name="/media/.../video/[master playlist]").text
            variants = [ln for ln in master.splitlines() if ln and not ln.startswith("#")]
            if variants:
                variant_url = playlist_url.rsplit("/", 1)[0] + "/" + variants[-1]
                variant = self.client.get(variant_url, name="/media/.../video/[rendition playlist]").text
                segments = [ln for ln in variant.splitlines() if ln and not ln.startswith("#")]
                if segments:
                    self.client.get(variant_url.rsplit("/", 1)[0] + "/" + segments[0],
                                    name="/media/.../video/[segment]")
        duration = CONFIG["video_seconds"]
        position = float(state["position"]) if float(state["position"]) < duration - 1 else 0.0
        # the player's first, empty heartbeat starts the clock the played spans are measured against
        self.api("POST", f"/api/v1/activities/{activity}/watch", "/api/v1/activities/[id]/watch",
                 json={"from": position, "to": position, "position": position})
        for _ in range(random.randint(2, 6)):
            self._sleep(5)
            end = min(position + 10, duration)
            with self.api("POST", f"/api/v1/activities/{activity}/watch", "/api/v1/activities/[id]/watch",
                          json={"from": position, "to": end, "position": end},
                          catch_response=True) as resp:
                if resp.status_code != 200:
                    resp.failure(f"heartbeat {resp.status_code}: {resp.text[:200]}")
                    return
                body = resp.json()
                if body.get("completed"):
                    journal("watch_completed", user=self.username, activity=activity)
            position = end
            if position >= duration:
                break

    def quiz(self) -> None:
        quiz = CONFIG["quiz_id"]
        page = self.client.get(f"/kuis/{quiz}", name="/kuis/[id]")
        token = CSRF_FIELD.search(page.text).group(1)
        with self.client.post(f"/kuis/{quiz}/mulai", name="/kuis/[id]/mulai", data={"csrf_token": token},
                              allow_redirects=False, catch_response=True) as resp:
            match = re.search(r"/percobaan/(\d+)", resp.headers.get("Location", ""))
            if resp.status_code != 302 or not match:
                resp.failure(f"start: {resp.status_code} {resp.headers.get('Location')}")
                return
        attempt = int(match.group(1))
        self.client.get(f"/percobaan/{attempt}", name="/percobaan/[id]")
        data = self.api("GET", f"/api/v1/attempts/{attempt}", "/api/v1/attempts/[id]").json()
        for question in data["questions"]:
            qid = question["id"]
            right = CONFIG["right"][str(qid)]
            response = right if random.random() < 0.85 else CONFIG["wrong"][str(qid)]  # own ids: as stored
            self._sleep(random.uniform(0.5, 2))
            with self.api("PUT", f"/api/v1/attempts/{attempt}/answers/{qid}",
                          "/api/v1/attempts/[id]/answers/[qid]",
                          json={"response": as_shown(question, response, CONFIG["texts"][str(qid)])},
                          catch_response=True) as resp:
                if resp.status_code != 200:
                    resp.failure(f"answer {resp.status_code}: {resp.text[:200]}")
                    continue
                journal("answer", attempt=attempt, question=qid, response=response)
        with self.api("POST", f"/api/v1/attempts/{attempt}/submit", "/api/v1/attempts/[id]/submit",
                      catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"submit {resp.status_code}: {resp.text[:200]}")
                return
            result = resp.json()
            journal("submit", attempt=attempt, user=self.username, score=result["score"], passed=result["passed"])
        self.client.get(f"/percobaan/{attempt}/tinjau", name="/percobaan/[id]/tinjau")

    def _sleep(self, seconds: float) -> None:
        gevent.sleep(seconds)  # think time inside a task: locust's users are greenlets


class Claimant(Person):
    weight = 15
    pool = "claimants"
    wait_time = between(2, 6)

    @task
    def visit(self) -> None:
        self.login()
        self.client.get("/jp", name="/jp")
        if random.random() < 0.5:
            self.claim()
        self.certificates()
        self.logout()

    def claim(self) -> None:
        page = self.client.get("/jp/klaim/baru", name="/jp/klaim/baru")
        token = CSRF_FIELD.search(page.text).group(1)
        title = f"Coaching beban {self.username} #{next(_claim_seq)}"
        end = date.today() - timedelta(days=random.randint(1, 30))
        with self.client.post("/jp/klaim/baru", name="/jp/klaim/baru [POST]", allow_redirects=False,
                              catch_response=True,
                              data={"csrf_token": token, "rule": CONFIG["claim_rule"], "title": title,
                                    "organiser": "Inspektorat Daerah", "start_date": end.isoformat(),
                                    "end_date": end.isoformat(), "minutes": str(random.choice([45, 90, 135]))},
                              files={"evidence": ("bukti.pdf", EVIDENCE, "application/pdf")}) as resp:
            if resp.status_code != 302:
                resp.failure(f"claim {resp.status_code}: {resp.text[:300]}")
                return
        journal("claim", user=self.username, title=title)
        self.client.get("/jp/klaim", name="/jp/klaim")

    def certificates(self) -> None:
        page = self.client.get("/sertifikat-saya", name="/sertifikat-saya").text
        serials = re.findall(r'href="/certificates/([^"]+)\.pdf', page)
        if not serials:
            return
        serial = random.choice(serials)
        self.client.get(f"/certificates/{serial}.pdf", name="/certificates/[serial].pdf")
        # The public checks take the public id (serial + random code, as in the QR code): the
        # page's "Halaman verifikasi" link carries it.
        public = re.findall(r'href="/verify/([^"]+)"', page)
        public_id = next((p for p in public if p.startswith(serial)), serial)
        self.client.get(f"/verify/{public_id}", name="/verify/[serial]")
        self.client.get(f"/api/v1/certificates/{public_id}", name="/api/v1/certificates/[serial]")


class Bpsdm(Person):
    weight = 5
    pool = "bpsdm"
    wait_time = between(3, 8)

    @task
    def visit(self) -> None:
        self.login()
        year = CONFIG["year"]
        self.client.get(f"/pemantauan?year={year}", name="/pemantauan")
        self.api("GET", f"/api/v1/monitoring/attainment?year={year}", "/api/v1/monitoring/attainment")
        self.client.get(f"/pemantauan/pegawai?year={year}", name="/pemantauan/pegawai")
        queue = self.client.get("/jp/verifikasi", name="/jp/verifikasi").text
        for claim_id in re.findall(r'href="/jp/verifikasi/(\d+)"', queue)[:3]:
            page = self.client.get(f"/jp/verifikasi/{claim_id}", name="/jp/verifikasi/[id]").text
            match = CSRF_FIELD.search(page)
            if not match or "/setujui" not in page:
                continue  # reviewed by someone else meanwhile
            with self.client.post(f"/jp/verifikasi/{claim_id}/setujui", name="/jp/verifikasi/[id]/setujui",
                                  data={"csrf_token": match.group(1), "reason": ""}, allow_redirects=False,
                                  catch_response=True) as resp:
                if resp.status_code != 302:
                    resp.failure(f"approve {resp.status_code}: {resp.text[:300]}")
                    continue
            journal("approve_sent", claim=int(claim_id), user=self.username)
        self.logout()
