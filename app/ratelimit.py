"""A small sliding-window rate limiter for public routes (certificate verification).

Kept in the process's memory: no database write per public request (a scraper would otherwise
hold SQLite's write lock against learners), at the price of each gunicorn worker counting on its
own, so the effective limit is the setting times the number of workers. Good enough to stop
enumeration at scale; the login throttle, which must be exact, lives in the database.
"""

from __future__ import annotations

import threading
import time
from collections import deque

_MAX_KEYS = 50_000


class SlidingWindow:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str, limit: int, window: float, now: float | None = None) -> float:
        """Count one request of `key` in `bucket`; the seconds to wait when it is over `limit`
        requests within `window` seconds (then it is not counted), else 0."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) > _MAX_KEYS:
                self._prune(now, window)
            hits = self._hits.setdefault((bucket, key), deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                return max(0.001, hits[0] + window - now)
            hits.append(now)
            return 0.0

    def _prune(self, now: float, window: float) -> None:
        for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - window]:
            del self._hits[k]

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


LIMITER = SlidingWindow()
