"""The compiled-statement cache (app/statement_cache.py): a statement built once per process is found
again by the identity of its cache key, without hashing it; every other lookup is SQLAlchemy's
own, and the compiled form found is the same either way."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from app.accounts.models import User
from app.extensions import db
from app.statement_cache import StatementCache


class _Counting:
    """The cache's hashed dictionary, counting its lookups."""

    def __init__(self, inner) -> None:
        self.inner, self.gets = inner, 0

    def get(self, key, default=None):
        self.gets += 1
        return self.inner.get(key, default)

    def __setitem__(self, key, value) -> None:
        self.inner[key] = value

    def __len__(self) -> int:
        return len(self.inner)


def _engine_cache() -> StatementCache:
    cache = db.engine.get_execution_options()["compiled_cache"]
    assert isinstance(cache, StatementCache)
    return cache


def test_a_statement_built_once_is_found_without_hashing_and_runs_as_before(app, org):
    cache = _engine_cache()
    counting = cache._by_key = _Counting(cache._by_key)
    people = [(p.id, p.username) for p in (org.learner_a1, org.learner_b, org.instructor, org.admin)]
    stmt = select(User.username).where(User.id == bindparam("uid"))
    assert db.session.execute(stmt, {"uid": people[0][0]}).scalar() == people[0][1]
    hashed = counting.gets
    for person_id, username in people[1:]:
        assert db.session.execute(stmt, {"uid": person_id}).scalar() == username
    assert counting.gets == hashed  # the same object again: found by identity

    # An equal statement built anew (another object, another key object) is found by its hash,
    # and gets SQLAlchemy's same compiled form.
    again = select(User.username).where(User.id == bindparam("uid"))
    assert db.session.execute(again, {"uid": people[1][0]}).scalar() == people[1][1]
    assert counting.gets == hashed + 1


def test_a_key_is_answered_only_for_the_very_statement_and_parameters_it_was_kept_for():
    cache = StatementCache(size=10, known=10)
    dialect = object()
    statement_key = (("select", "users"), ("where", "id"))
    cache[(dialect, statement_key, ("a",), False, False)] = "compiled a"
    assert cache.get((dialect, statement_key, ("a",), False, False)) == "compiled a"
    # the same statement with other parameter names, flags or dialect is another compiled form
    assert cache.get((dialect, statement_key, ("b",), False, False)) is None
    assert cache.get((dialect, statement_key, ("a",), False, True)) is None
    assert cache.get((object(), statement_key, ("a",), False, False)) is None
    # an equal key held in another object is found through the hashed dictionary
    equal = tuple(list(statement_key))
    assert equal is not statement_key
    assert cache.get((dialect, equal, ("a",), False, False)) == "compiled a"
    # an entry remembered under an identity is never given for another key object: were an id
    # reused, the held object's identity check refuses it
    other = (("select", "courses"),)
    cache._by_identity[id(other)] = cache._by_identity[id(statement_key)]
    assert cache.get((dialect, other, ("a",), False, False), "missing") == "missing"


def test_the_identity_table_is_bounded_and_lookups_stay_right_after_it_is_cleared():
    cache = StatementCache(size=100, known=8)
    dialect = object()
    keys = [(dialect, (("statement", i),), (), False, False) for i in range(50)]
    for i, key in enumerate(keys):
        cache[key] = f"compiled {i}"
        assert len(cache._by_identity) <= 8
    for i, key in enumerate(keys):
        assert cache.get(key) == f"compiled {i}"
    assert len(cache._by_identity) <= 8
    assert cache.get((dialect, (("statement", 99),), (), False, False), "missing") == "missing"
