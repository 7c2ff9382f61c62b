"""Foundation benchmark: the logged-in home page and `GET /api/v1/me`, against bare Flask.

gunicorn with 2 sync workers, 20 concurrent connections, the demo data on PostgreSQL (the
production shape; BENCH_DB=sqlite for the embedded one). Run: `.venv/bin/python -m bench.bench_foundation`.
"""

from __future__ import annotations

import os

from bench.harness import Database, Figure, Server, api_token, default_seconds, load, login_cookie, seed_demo

WORKERS = 2
CONNECTIONS = 20


def run() -> list[Figure]:
    kind = os.environ.get("BENCH_DB", "postgresql")
    seconds = default_seconds()
    figures: list[Figure] = []
    with Database(kind) as database:
        database.prepare(seed_demo)
        with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk") as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            cookie = login_cookie(server.url, "peserta", "lentera123")
            token = api_token(server.url, "peserta", "lentera123")
            ceiling = load(bare.url + "/", connections=CONNECTIONS, seconds=seconds)
            cases = [("home page, logged in (GET /)", server.url + "/", cookie),
                     ("GET /api/v1/me (bearer token)", server.url + "/api/v1/me", token)]
            for name, url, headers in cases:
                result = load(url, connections=CONNECTIONS, seconds=seconds, headers=headers)
                figures.append(Figure(name, result, ceiling, workers=WORKERS, database=kind))
    return figures


if __name__ == "__main__":
    for fig in run():
        print(fig.line())
