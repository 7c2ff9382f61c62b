"""What is the same for everyone, kept by each worker process and keyed by a database version.

A learner page shows two kinds of data: what is the same for every reader (a course's sections and
activities, their settings) and what is the reader's own (progress, answers, enrolment). The first
changes only when an author edits the course; reading and rebuilding it on every request is most
of a page's database work. Each gunicorn worker therefore keeps it here, with the version number
it was read at (`courses.content_version`, replaced in the author's own transaction, see
`app.courses.versioning`). A page reads the current version with the row it loads anyway (the
course) and uses the kept copy only when the versions match, so a change made through any worker
is seen by every worker on its next request; nothing is invalidated by messages between processes.

Per-person state is never kept here.

The store belongs to the application (`app.extensions`), not to the module: two applications in
one process (the tests) do not share it, as two gunicorn workers do not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app

T = TypeVar("T")

#: how many (kind, key) entries a worker keeps; the least recently used go first
DEFAULT_MAX_ENTRIES = 4096


class VersionedCache:
    """(kind, key) -> (version, value), least recently used evicted. A value is returned only for
    the version asked for; a lookup with another version reloads and replaces it."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[str, Hashable], tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, kind: str, key: Hashable, version: Any, load: Callable[[], T]) -> T:
        """The value of (kind, key) at `version`, loaded by `load()` when this worker has none
        for that version. `load` must read what `version` was read with (same transaction)."""
        slot = (kind, key)
        entry = self._data.get(slot)
        if entry is not None and entry[0] == version:
            self.hits += 1
            try:
                self._data.move_to_end(slot)
            except KeyError:  # evicted by another thread meanwhile: the value is still good
                pass
            return entry[1]
        self.misses += 1
        value = load()
        with self._lock:
            # Last read wins: a slow request that read before an author's commit may put back an
            # older version after a fast one stored the newer; the next reader of the newer version
            # then simply reloads. A value is only ever returned for its own version.
            self._data[slot] = (version, value)
            self._data.move_to_end(slot)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def init_app(app: Flask) -> None:
    app.extensions["lentera_cache"] = VersionedCache(int(app.config.get("CONTENT_CACHE_ENTRIES")
                                                         or DEFAULT_MAX_ENTRIES))


def versioned(kind: str, key: Hashable, version: Any, load: Callable[[], T]) -> T:
    """The current application's kept value of (kind, key) at `version` (see VersionedCache.get).
    With `CONTENT_CACHE = False` (or outside an application) every call loads."""
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        return load()
    cache = app.extensions.get("lentera_cache")
    if cache is None or not app.config.get("CONTENT_CACHE", True):
        return load()
    return cache.get(kind, key, version, load)
