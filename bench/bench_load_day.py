"""A realistic day under load (issue 10): locust plays tests/locustfile.py's people — 80 %
learners browsing, reading, watching the video lesson (heartbeats) and taking the quiz, 15 %
staff claiming external learning and fetching certificates, 5 % BPSDM on the dashboards and the
claims queue — against gunicorn (4 workers) + PostgreSQL on this machine, by default for 10
minutes with 60 people online at once, drawn from a pool of 400 learners, 80 staff with
certificates and 3 BPSDM officers.

Afterwards the database is checked against the journal of every write the server acknowledged:
each saved answer is stored as sent, each submitted attempt is graded once with the score the
learner was told, each claim exists once, each approved claim has exactly one JP entry, each
course completion has exactly one JP entry and one certificate, each video completion the player
was told of is recorded, the ledger's hash chain verifies and the monitoring aggregate equals a
recomputation from the ledger. Requests/s, p50/p95/p99 and errors per route come from locust.

The scenario — the people (tests/locustfile.py), the setup and the checks of every acknowledged
write — is tests/load_day.py, which tests/test_load_day.py plays briefly in `make test`.

    .venv/bin/python -m bench.bench_load_day [--minutes 10] [--users 60] [--database postgresql]
"""

from __future__ import annotations

import argparse
import os
import sys

from bench.harness import Check
from tests.load_day import play


def run() -> list[Check]:
    """For bench/run_all.py."""
    return [play(minutes=float(os.environ.get("LOAD_MINUTES", "10")))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--database", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    check = play(args.minutes, args.users, args.database, args.workers)
    print(check.detail)
    print(check.line())
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
