"""Helpers for the monitoring tests: ledger entries recorded the way the ledger records them.

The ledger's own append operation is used when the merged code has one; until then entries are
appended here with the same chain discipline (lock the chain head, prev_hash → hash) and the
`ledger_entry_recorded` signal is sent, exactly as the ledger's append does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.ledger.models import GENESIS_HASH, LedgerChainHead, LedgerEntry
from app.signals import ledger_entry_recorded

_seq = {"n": 0}


def _head() -> LedgerChainHead:
    head = db.session.scalar(select(LedgerChainHead).where(LedgerChainHead.id == 1).with_for_update())
    if head is None:
        head = LedgerChainHead(id=1, last_hash=GENESIS_HASH, entries=0)
        db.session.add(head)
        db.session.flush()
    return head


def record(user, jp, on: date, category: str = "classical", *, kind: str = "course", title: str = "Pelatihan",
           reverses: LedgerEntry | None = None) -> LedgerEntry:
    """Append one ledger entry (or, with `reverses`, its reversal) and let subscribers see it."""
    _seq["n"] += 1
    head = _head()
    entry = LedgerEntry(user_id=user.id, nip=user.nip, year=on.year, occurred_on=on, kind=kind, category=category,
                        title=title, jp=Decimal(str(jp)), source_type="reversal" if reverses else "manual",
                        source_id=reverses.id if reverses else _seq["n"], reverses_id=reverses.id if reverses else None,
                        prev_hash=head.last_hash, hash="")
    content = {"user_id": entry.user_id, "year": entry.year, "occurred_on": on.isoformat(), "jp": str(entry.jp),
               "category": category, "title": title, "prev_hash": entry.prev_hash}
    entry.hash = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    db.session.add(entry)
    db.session.flush()
    head.last_entry_id, head.last_hash, head.entries = entry.id, entry.hash, head.entries + 1
    ledger_entry_recorded.send(entry)
    return entry


def reverse(entry: LedgerEntry) -> LedgerEntry:
    return record(entry.user, -Decimal(entry.jp), entry.occurred_on, entry.category, kind=entry.kind,
                  title=f"Koreksi: {entry.title}", reverses=entry)
