"""Issue 14, finding 11: someone with write access to the database edits a ledger entry and
recomputes the chain. With the key and the checkpoints held outside the database, `ledger verify`
no longer passes — whichever way the rewrite is done."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text

from app.extensions import db
from app.ledger import chain, seal
from app.ledger import operations as ops
from app.ledger.models import LedgerEntry
from app.storage import get_storage


def _three(org) -> list[int]:
    ids = []
    for title, jp in (("Rapat koordinasi", "4"), ("Sosialisasi SPBE", "2"), ("Workshop", "5")):
        e = ops.record_manual(org.bpsdm_a, org.learner_a1, kind="seminar", title=title,
                              occurred_on=date(2026, 3, 10), jp=Decimal(jp))
        ids.append(e.id)
    db.session.commit()
    return ids


def _rechain_without_the_key(from_id: int, *, jp_of: dict[int, int] | None = None, version: int | None = None) -> None:
    """What an attacker with database access can do: change rows, recompute SHA-256 over the rest of
    the chain (the published algorithm) and move the head — everything but the key."""
    db.session.expire_all()
    entries = list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))
    prev = chain.GENESIS_HASH
    for e in entries:
        if e.id >= from_id:
            values = {n: getattr(e, n) for n in chain.HASHED_FIELDS}
            values["prev_hash"] = prev
            if jp_of and e.id in jp_of:
                values["jp"] = Decimal(jp_of[e.id])
            forged = hashlib.sha256(chain.canonical(values)).hexdigest()
            db.session.execute(text("UPDATE ledger_entries SET jp = :jp, prev_hash = :p, hash = :h, "
                                    "hash_version = :v WHERE id = :id"),
                               {"jp": str(values["jp"]), "p": prev, "h": forged, "v": version or e.hash_version,
                                "id": e.id})
            prev = forged
        else:
            prev = e.hash
    db.session.execute(text("UPDATE ledger_chain_head SET last_hash = :h WHERE id = 1"), {"h": prev})
    db.session.commit()


def test_entries_carry_a_mac_under_a_key_kept_outside_the_database(app, org):
    a, b, c = _three(org)
    assert {e.hash_version for e in db.session.scalars(select(LedgerEntry))} == {seal.KEYED}
    path = os.path.join(app.instance_path, seal.KEY_FILE)
    assert os.path.isfile(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert chain.verify().ok


def test_an_edited_entry_rechained_with_sha256_is_detected(app, org, client, auth):
    a, b, c = _three(org)
    _rechain_without_the_key(b, jp_of={b: 40})
    result = chain.verify()
    assert not result.ok and result.first_bad_entry == b and result.problem == "hash"
    body = client.get("/api/v1/ledger/verify", headers=auth(org.bpsdm_a)).get_json()
    assert body["ok"] is False and body["first_bad_entry"] == b
    cli = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert cli.exit_code == 1 and f"#{b}" in cli.output


def test_keyed_entries_rewritten_as_unkeyed_are_detected(app, org):
    a, b, c = _three(org)
    _rechain_without_the_key(b, jp_of={b: 40}, version=seal.UNKEYED)  # after a keyed entry
    result = chain.verify()
    assert not result.ok and result.first_bad_entry == b and result.problem == "downgrade"
    _rechain_without_the_key(a, version=seal.UNKEYED)  # every entry: only the keyed marker outside tells
    result = chain.verify()
    assert not result.ok and result.first_bad_entry == a and result.problem == "downgrade"


def test_a_cut_tail_with_a_rewritten_head_is_detected_by_the_checkpoint(app, org):
    a, b, c = _three(org)
    sealed = app.test_cli_runner().invoke(args=["ledger", "checkpoint"])
    assert sealed.exit_code == 0 and f"#{c}" in sealed.output
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": c})
    b_hash = db.session.scalar(select(LedgerEntry.hash).where(LedgerEntry.id == b))
    db.session.execute(text("UPDATE ledger_chain_head SET last_entry_id = :b, last_hash = :h, entries = 2"),
                       {"b": b, "h": b_hash})
    db.session.commit()
    result = chain.verify()
    assert not result.ok and result.first_bad_entry == c and result.problem == "checkpoint"


def test_a_forged_checkpoint_is_refused(app, org):
    _three(org)
    app.test_cli_runner().invoke(args=["ledger", "verify"])  # a good verify seals the head
    store = get_storage()
    lines = store.read_bytes(seal.CHECKPOINTS_KEY).decode().splitlines()
    assert [json.loads(x)["kind"] for x in lines] == ["keyed", "head"]
    forged = json.loads(lines[-1])
    forged["last_hash"] = "f" * 64
    store.put_bytes(seal.CHECKPOINTS_KEY, ("\n".join(lines[:-1] + [json.dumps(forged)]) + "\n").encode())
    result = chain.verify()
    assert not result.ok and result.problem == "checkpoint_signature"


def test_entries_from_before_the_key_stay_verifiable_and_are_sealed_by_the_first_keyed_one(app, org):
    a, b, c = _three(org)
    # the database as it was before this change: SHA-256 entries (the migration marks them version 1),
    # no key, no checkpoints
    _rechain_without_the_key(a, version=seal.UNKEYED)
    get_storage().delete(seal.CHECKPOINTS_KEY)
    get_storage()._ledger_keyed_marked = False
    os.remove(os.path.join(app.instance_path, seal.KEY_FILE))
    app.extensions.pop("ledger_hmac_key", None)
    assert chain.verify().ok
    d = ops.record_manual(org.bpsdm_a, org.learner_a1, kind="seminar", title="Baru", occurred_on=date(2026, 3, 11),
                          jp=Decimal(1)).id
    db.session.commit()
    versions = dict(db.session.execute(select(LedgerEntry.id, LedgerEntry.hash_version)).all())
    assert [versions[i] for i in (a, b, c, d)] == [1, 1, 1, 2]
    result = chain.verify()
    assert result.ok and result.entries_checked == 4
    # an old entry changed and the unkeyed part re-chained: the first keyed entry's MAC covers its link
    _rechain_without_the_key(b, jp_of={b: 40})
    result = chain.verify()
    assert not result.ok and result.first_bad_entry == d


def test_without_the_key_keyed_entries_cannot_be_verified(app, org):
    _three(org)
    app.config["LEDGER_HMAC_KEY"] = "a different key"
    try:
        result = chain.verify()
    finally:
        app.config["LEDGER_HMAC_KEY"] = None
    assert not result.ok


def test_the_scheduler_seals_an_intact_chain_and_not_a_broken_one(app, org):
    from app.ledger.subscribers import seal_the_chain_daily

    a, b, c = _three(org)
    seal_the_chain_daily()
    kinds = [json.loads(x)["kind"] for x in get_storage().read_bytes(seal.CHECKPOINTS_KEY).decode().splitlines()]
    assert kinds == ["keyed", "head"]
    db.session.execute(text("UPDATE ledger_entries SET jp = 40 WHERE id = :id"), {"id": b})
    db.session.commit()
    seal_the_chain_daily()
    kinds = [json.loads(x)["kind"] for x in get_storage().read_bytes(seal.CHECKPOINTS_KEY).decode().splitlines()]
    assert kinds == ["keyed", "head"]
