"""A small benchmark harness: a prepared database, the app under gunicorn, wrk as load generator.

Typical use (see bench/README.md and bench/bench_foundation.py):

    with Database("postgresql") as database:
        database.prepare(setup)                     # migrations, then setup(app) in an app context
        with Server("wsgi:app", workers=2, database=database) as server, \\
             Server("bench.bare_app:app", workers=2) as bare:
            headers = login_cookie(server.url, "admin", "lentera123")
            ceiling = load(bare.url + "/", connections=20, seconds=10)
            result = load(server.url + "/", connections=20, seconds=10, headers=headers)
            print(Figure("home page", result, ceiling).line())

The load generator is Debian's `wrk` (C, epoll, a few MB of memory): on a small machine it takes
far less CPU from the server than a Python generator would, so the figures measure the app. A
Lua `done()` hook (bench/wrk_report.lua) prints the latency percentiles as JSON.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The database, the server, one request and a verdict are shared with the tests (tests/serving.py).
from tests.serving import (  # noqa: E402, F401 - re-exported for the benchmarks
    SECRET_KEY,
    Check,
    Database,
    Server,
    _NoRedirect,
    fetch,
    seed_demo,
)

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"


def default_rounds() -> int:
    """Alternating rounds of a figure and its ceiling: BENCH_ROUNDS in the environment, else 3."""
    return int(os.environ.get("BENCH_ROUNDS", "3"))


def default_seconds() -> int:
    """Duration of one measurement: BENCH_SECONDS in the environment, else 10."""
    return int(os.environ.get("BENCH_SECONDS", "10"))


# --- logging in -----------------------------------------------------------------------------

#: The browser the benchmarks sign in with and then load pages as. One browser throughout, as a
#: person's: Flask-Login ties a session to its browser (session protection hashes the address and
#: the User-Agent), and a page asked for by another marks the session no longer fresh, which
#: re-signs and re-sends the session cookie. Before this header was kept, urllib signed in and wrk
#: (which sends no User-Agent) loaded the pages, so every measured page paid that on every request:
#: some 5 % of a learner page's time, a cost no real browser causes.
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) lentera-bench"


def login_cookie(base_url: str, username: str, password: str) -> dict[str, str]:
    """Log in through the login page (CSRF token included) as BROWSER and return the headers that
    browser then sends: its `Cookie` and its `User-Agent`."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPCookieProcessor(jar))
    browser = {"User-Agent": BROWSER}
    status, body = fetch(base_url + "/masuk", opener=opener, headers=browser)
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or not match:
        raise RuntimeError(f"login page answered {status} without a CSRF token")
    form = urllib.parse.urlencode({"csrf_token": match.group(1).decode(), "username": username,
                                   "password": password}).encode()
    status, body = fetch(base_url + "/masuk", data=form, opener=opener,
                         headers={**browser, "Content-Type": "application/x-www-form-urlencoded"})
    if status != 302:
        raise RuntimeError(f"login as {username} failed: {status} {body[:300]!r}")
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar), **browser}


def api_token(base_url: str, username: str, password: str) -> dict[str, str]:
    """`POST /api/v1/auth/token` and return an `Authorization: Bearer …` header."""
    status, body = fetch(base_url + "/api/v1/auth/token", headers={"Content-Type": "application/json"},
                         data=json.dumps({"username": username, "password": password}).encode())
    if status != 201:
        raise RuntimeError(f"token for {username} refused: {status} {body[:300]!r}")
    return {"Authorization": "Bearer " + json.loads(body)["token"]}


# --- the load -------------------------------------------------------------------------------

@dataclass
class Result:
    url: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    error_detail: dict = field(default_factory=dict)

    def line(self) -> str:
        return (f"{self.rps:8.1f} req/s  p50 {self.p50_ms:7.1f} ms  p95 {self.p95_ms:7.1f} ms  "
                f"p99 {self.p99_ms:7.1f} ms  errors {self.errors}")


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed: run `make bench` (scripts/system-deps.sh bench installs it)")
    return found


def load(url: str, connections: int = 20, seconds: int | None = None, headers: dict[str, str] | None = None,
         threads: int = 2, warmup: int = 2, expect_status: int = 200, method: str = "GET",
         body: bytes | None = None) -> Result:
    """Drive `url` with wrk at `connections` concurrent connections for `seconds` seconds.

    The URL is first fetched once with the same headers and must answer `expect_status` (a
    lapsed login would otherwise measure the redirect to the login page). A short warm-up run
    is discarded. Errors are connection errors, timeouts and responses with status >= 400.
    """
    seconds = seconds or default_seconds()
    headers = headers or {}
    status, answer = fetch(url, headers=headers, data=body, method=method)
    if status != expect_status:
        raise RuntimeError(f"{url} answered {status}, not {expect_status}: {answer[:300]!r}")
    script = WRK_SCRIPT
    if method != "GET":
        # wrk takes one script: the request's method and body first, then the report hook.
        lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        lua.write(f"wrk.method = {json.dumps(method)}\nwrk.body = {json.dumps((body or b'').decode())}\n")
        lua.write(WRK_SCRIPT.read_text())
        lua.close()
        script = Path(lua.name)
    base = [wrk_binary(), "-t", str(min(threads, connections)), "-c", str(connections), "--latency",
            "-s", str(script), "--timeout", "10s"]
    for name, value in headers.items():
        base += ["-H", f"{name}: {value}"]
    if warmup:
        subprocess.run(base + ["-d", f"{warmup}s", url], check=True, capture_output=True)
    out = subprocess.run(base + ["-d", f"{seconds}s", url], check=True, capture_output=True, text=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no report:\n{out}")
    data = json.loads(line[len("WRK_JSON "):])
    duration = data["duration_us"] / 1e6
    errors = sum(data["errors"].values())
    return Result(url=url, connections=connections, seconds=duration, requests=data["requests"],
                  rps=data["requests"] / duration if duration else 0.0,
                  p50_ms=data["p50"] / 1000, p95_ms=data["p95"] / 1000, p99_ms=data["p99"] / 1000,
                  errors=errors, error_detail=data["errors"])


@dataclass
class Figure:
    """One benchmark figure and the ceiling it is compared with, both measured in the same run."""

    name: str
    result: Result
    ceiling: Result
    workers: int = 2
    database: str = ""
    #: (figure req/s, ceiling req/s) of each alternating round, when the figure is their median
    rounds: list[list[float]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        if self.rounds:  # each round's figure against the ceiling measured right before it
            return statistics.median(f / c if c else 0.0 for f, c in self.rounds)
        return self.result.rps / self.ceiling.rps if self.ceiling.rps else 0.0

    def spread(self) -> str:
        """The rounds' lowest and highest figure and ratio, when there were several rounds."""
        if len(self.rounds) < 2:
            return ""
        rps = [f for f, _c in self.rounds]
        ratios = [f / c for f, c in self.rounds if c]
        return (f"{len(self.rounds)} rounds: {min(rps):,.1f}–{max(rps):,.1f}/s, "
                f"ratio {min(ratios):.1%}–{max(ratios):.1%}")

    def line(self) -> str:
        spread = f"\n  {self.spread()}" if self.rounds else ""
        return (f"{self.name}: {self.result.line()}\n"
                f"  bare Flask ceiling: {self.ceiling.line()}\n"
                f"  ratio to ceiling: {self.ratio:.1%}{spread}")


def _median_result(results: list[Result]) -> Result:
    """Several runs of one figure as one: median rate and percentiles, summed counts."""
    med = statistics.median
    return Result(url=results[0].url, connections=results[0].connections, seconds=sum(r.seconds for r in results),
                  requests=sum(r.requests for r in results), rps=med(r.rps for r in results),
                  p50_ms=med(r.p50_ms for r in results), p95_ms=med(r.p95_ms for r in results),
                  p99_ms=med(r.p99_ms for r in results), errors=sum(r.errors for r in results),
                  error_detail={k: sum(r.error_detail.get(k, 0) for r in results)
                                for k in {k for r in results for k in r.error_detail}})


def alternating(name: str, measure: Callable[[], Result], bare: Callable[[], Result], rounds: int | None = None,
                workers: int = 2, database: str = "") -> Figure:
    """A figure as the median of `rounds` alternating pairs (ceiling, then figure): on a shared,
    noisy machine each ratio compares two runs seconds apart, and the median drops an outlier
    round on either side. BENCH_ROUNDS in the environment, else 3."""
    rounds = rounds or default_rounds()
    pairs = [(bare(), measure()) for _ in range(rounds)]
    ceilings, results = [c for c, _r in pairs], [r for _c, r in pairs]
    return Figure(name, _median_result(results), _median_result(ceilings), workers=workers, database=database,
                  rounds=[[r.rps, c.rps] for c, r in pairs])



def ceiling(workers: int = 2, connections: int = 20, seconds: int | None = None) -> Result:
    """The bare Flask "hello" app under the same gunicorn settings: the most gunicorn can give."""
    with Server("bench.bare_app:app", workers=workers) as bare:
        return load(bare.url + "/", connections=connections, seconds=seconds)


# --- the machine ----------------------------------------------------------------------------

def machine() -> dict[str, str]:
    """nproc, CPU model, RAM and the load average when the run started (other work skews figures)."""
    cpu = platform.processor() or platform.machine()
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    load1, load5, _ = os.getloadavg()
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram, "loadavg": f"{load1:.2f} / {load5:.2f}",
            "python": platform.python_version()}
