"""The hash chain: how an entry is appended and how the whole ledger is checked.

Every append locks the single `ledger_chain_head` row first (an UPDATE: a row lock on
PostgreSQL, the database write lock on SQLite), so appends are serialised, ids grow in chain
order, and each entry's `prev_hash` is the hash of the entry before it. `verify()` walks the
entries in id order, streaming, and recomputes every hash: a row changed, removed or inserted
behind the application's back breaks the chain at that row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from app.extensions import db
from app.ledger import seal
from app.ledger.models import GENESIS_HASH, LedgerChainHead, LedgerEntry

#: The columns covered by the hash, in a fixed order. `id` is not among them (it is assigned by
#: the database on insert); the order of entries is fixed by each one naming its predecessor's hash.
HASHED_FIELDS = ("user_id", "nip", "year", "occurred_on", "kind", "category", "title", "organiser",
                 "start_date", "end_date", "jp", "minutes", "international", "rule_code", "source_type",
                 "source_id", "jenis_diklat_id", "certificate_number", "reverses_id", "reason",
                 "recorded_at", "recorded_by_id", "prev_hash")
CENT = Decimal("0.01")


def _canon(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):  # SQLite may hand back a NUMERIC as float: it held 2 decimals
        return str(Decimal(repr(value)).quantize(CENT))
    return value


def canonical(values: dict[str, Any]) -> bytes:
    """The bytes that are hashed: sorted-key compact JSON of the hashed fields."""
    data = {name: _canon(values.get(name)) for name in HASHED_FIELDS}
    if data["international"] is not None:
        data["international"] = bool(data["international"])
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(values: dict[str, Any], version: int | None = None, key: bytes | None = None) -> str:
    """The entry's hash: HMAC-SHA256 under the ledger key (version 2, every entry recorded since the
    key exists), or plain SHA-256 (version 1, entries recorded before). See app/ledger/seal.py."""
    version = version or values.get("hash_version") or seal.KEYED
    if version == seal.UNKEYED:
        return hashlib.sha256(canonical(values)).hexdigest()
    key = key or seal.key(create=True)
    assert key is not None
    return seal.mac(key, canonical(values))


def lock_head() -> LedgerChainHead:
    """Take the chain's lock for the rest of the transaction and return the head row, fresh."""
    db.session.execute(update(LedgerChainHead).where(LedgerChainHead.id == 1)
                       .values(entries=LedgerChainHead.entries))
    head = db.session.scalar(select(LedgerChainHead).where(LedgerChainHead.id == 1)
                             .execution_options(populate_existing=True))
    if head is None:  # a database created without the migration's head row
        head = LedgerChainHead(id=1, last_entry_id=None, last_hash=GENESIS_HASH, entries=0)
        db.session.add(head)
        db.session.flush()
    return head


def append(head: LedgerChainHead, entry: LedgerEntry) -> LedgerEntry:
    """Chain `entry` after the head (the caller holds the lock from `lock_head()`) and insert it."""
    key = seal.key(create=True)
    seal.mark_keyed(head.last_entry_id)  # once: every entry after the current head carries a MAC
    entry.prev_hash = head.last_hash
    entry.hash_version = seal.KEYED
    values = {name: getattr(entry, name) for name in HASHED_FIELDS}
    entry.hash = entry_hash(values, seal.KEYED, key)
    db.session.add(entry)
    db.session.flush()
    head.last_entry_id = entry.id
    head.last_hash = entry.hash
    head.entries = (head.entries or 0) + 1
    db.session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    entries_checked: int
    first_bad_entry: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries_checked": self.entries_checked, "first_bad_entry": self.first_bad_entry,
                "problem": self.problem}


def verify(batch: int = 5000) -> VerifyResult:
    """Recompute the chain over every entry in id order, streaming `batch` rows at a time, and hold
    it against the signed checkpoints kept outside the database (app/ledger/seal.py)."""
    head = db.session.execute(select(LedgerChainHead.last_entry_id, LedgerChainHead.last_hash,
                                     LedgerChainHead.entries).where(LedgerChainHead.id == 1)).first()
    key = seal.key(create=False)
    checkpoints: list[seal.Checkpoint] = []
    for raw in seal.read_checkpoints():
        cp = seal.valid_checkpoint(raw, key) if key is not None else None
        if cp is None:  # forged, altered, or signed with a key we do not hold
            return VerifyResult(False, 0, raw.get("last_entry_id"), "checkpoint_signature")
        checkpoints.append(cp)
    keyed_after = min((cp.last_entry_id or 0 for cp in checkpoints if cp.kind == "keyed"), default=None)
    sealed = {cp.last_entry_id: cp for cp in checkpoints if cp.kind == "head" and cp.last_entry_id is not None}
    columns = [LedgerEntry.id] + [getattr(LedgerEntry, name) for name in HASHED_FIELDS] + \
        [LedgerEntry.hash, LedgerEntry.hash_version]
    stmt = select(*columns).order_by(LedgerEntry.id)
    if head is not None and head.last_entry_id is not None:
        stmt = stmt.where(LedgerEntry.id <= head.last_entry_id)  # appends after we started are not ours to judge
    prev = GENESIS_HASH
    checked = 0
    last_id = None
    keyed_seen = False
    found: set[int] = set()
    result = db.session.execute(stmt.execution_options(yield_per=batch, stream_results=True))
    try:
        for row in result:
            values = row._asdict()
            checked += 1
            entry_id, version = values["id"], values["hash_version"]
            if values["prev_hash"] != prev:
                return VerifyResult(False, checked, entry_id, "prev_hash")
            if version == seal.KEYED:
                if key is None:
                    return VerifyResult(False, checked, entry_id, "key_missing")
                keyed_seen = True
            elif version == seal.UNKEYED:
                # an unkeyed entry after a keyed one, or after the recorded switch, was rewritten
                if keyed_seen or (keyed_after is not None and entry_id > keyed_after):
                    return VerifyResult(False, checked, entry_id, "downgrade")
            else:
                return VerifyResult(False, checked, entry_id, "hash_version")
            if entry_hash(values, version, key) != values["hash"]:
                return VerifyResult(False, checked, entry_id, "hash")
            if entry_id in sealed and sealed[entry_id].last_hash != values["hash"]:
                return VerifyResult(False, checked, entry_id, "checkpoint")
            found.add(entry_id)
            prev = values["hash"]
            last_id = entry_id
    finally:
        result.close()
    if head is not None and (head.last_entry_id != last_id or (last_id is not None and head.last_hash != prev)):
        # The head remembers the last entry: a deleted tail (or a forged head) shows here.
        return VerifyResult(False, checked, head.last_entry_id or last_id, "head")
    missing = sorted(i for i in sealed if i not in found)
    if missing:  # a sealed entry is gone: the tail was cut off together with the head row
        return VerifyResult(False, checked, missing[0], "checkpoint")
    return VerifyResult(True, checked)


def checkpoint() -> seal.Checkpoint | None:
    """Seal the current head outside the database (after a successful verify)."""
    head = db.session.execute(select(LedgerChainHead.last_entry_id, LedgerChainHead.last_hash,
                                     LedgerChainHead.entries).where(LedgerChainHead.id == 1)).first()
    if head is None or head.last_entry_id is None:
        return None
    return seal.write_checkpoint("head", head.last_entry_id, head.last_hash, head.entries)
