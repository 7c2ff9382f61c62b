"""SQLAlchemy's compiled-statement cache, a statement built once per process found by identity.

SQLAlchemy finds the compiled form of a statement in its cache (`Engine._compiled_cache`) under
the statement's cache key: a nested tuple describing the statement's whole structure. The key
itself is computed once and kept on the statement object, but the dictionary lookup hashes it
again at every execution (a tuple keeps no hash), walking every element. Lentera builds its hot
statements once per process with bound parameters, so this walk is the same every time: for the
home page's statement (fifteen panels' SELECTs, some 14,000 key elements) it cost ~60 µs of every
home page, more than building the panels' contexts; for other pages' statements 5-10 µs.

`StatementCache` answers a lookup whose key holds the very key object it answered before (the same
statement object, executed again) without hashing it: the rest of the key (dialect, parameter
names, …) is compared as SQLAlchemy would, and the object is held so that its identity cannot be
reused by another. Any other lookup goes to an ordinary LRU dictionary, as SQLAlchemy's own cache
does; the found compiled form is the same either way. Statements built anew per request are
remembered too, so the identity table is bounded: cleared when full, after which a kept statement
is found once more by its hash and remembered again.

It is the engine's default `compiled_cache` execution option (SQLAlchemy's public way to give an
engine or connection its own cache), set by `install`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.util import LRUCache

#: SQLAlchemy's own default size for an engine's compiled cache (`query_cache_size`)
DEFAULT_SIZE = 500
#: how many statements are remembered by identity before that table is cleared
DEFAULT_KNOWN = 256


class StatementCache:
    """A `compiled_cache` mapping: `get` and item assignment, keyed by SQLAlchemy's cache keys."""

    def __init__(self, size: int = DEFAULT_SIZE, known: int = DEFAULT_KNOWN) -> None:
        self._by_key: LRUCache = LRUCache(size)
        self._by_identity: dict[int, tuple[tuple, Any]] = {}
        self._known = known

    def get(self, key: tuple, default: Any = None) -> Any:
        # SQLAlchemy's key: (dialect, the statement's cache key, parameter names, two flags). The
        # statement's own part is the large one; it is the part looked up by identity.
        found = self._by_identity.get(id(key[1]))
        if found is not None:
            held, compiled = found
            if held[1] is key[1] and held[0] is key[0] and held[2:] == key[2:]:
                return compiled
        compiled = self._by_key.get(key)
        if compiled is None:
            return default
        self._remember(key, compiled)
        return compiled

    def __setitem__(self, key: tuple, compiled: Any) -> None:
        self._by_key[key] = compiled
        self._remember(key, compiled)

    def __len__(self) -> int:
        return len(self._by_key)

    def _remember(self, key: tuple, compiled: Any) -> None:
        if len(self._by_identity) >= self._known:
            self._by_identity.clear()
        self._by_identity[id(key[1])] = (key, compiled)


def install(engine: Engine, size: int = DEFAULT_SIZE) -> StatementCache:
    """Give `engine` (and every connection it makes) a `StatementCache` as its compiled cache."""
    cache = StatementCache(size)
    engine.update_execution_options(compiled_cache=cache)
    return cache
