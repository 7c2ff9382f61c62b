"""The realistic-day load script (tests/load_day.py) kept honest: a short day under gunicorn +
PostgreSQL with locust, then every acknowledged write checked in the database. The 10-minute day
with its figures is bench/bench_load_day.py (`make bench`); here only the invariants matter."""

from __future__ import annotations

import pytest

from tests.load_day import play

pytestmark = pytest.mark.slow  # a short day under locust against gunicorn + PostgreSQL


def test_a_short_day_under_load_loses_nothing_and_doubles_nothing():
    check = play(minutes=0.4, users=12, kind="postgresql", workers=2)
    assert check.ok, f"{check.summary}\n{check.detail}"
    assert "0 errors" in check.summary
