"""Helpers for the monitoring tests: ledger entries appended through the ledger's own door
(`app.ledger.operations.append_entry`, which chains the hash and sends `ledger_entry_recorded`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.operations import append_entry


def record(user, jp, on: date, category: str = "classical", *, kind: str = "course",
           title: str = "Pelatihan") -> LedgerEntry:
    """Append one manual entry for `user` (the monitoring aggregate follows through the signal)."""
    entry, created = append_entry(user, kind=kind, title=title, occurred_on=on, jp=Decimal(str(jp)),
                                  category=category, source_type="manual")
    assert created
    return entry


def reverse(entry: LedgerEntry) -> LedgerEntry:
    """Append the entry's reversal the way the ledger's reverse_entry does (negative JP, same date)."""
    person = db.session.get(type(entry.user), entry.user_id)
    reversal, created = append_entry(person, kind=entry.kind, category=entry.category, title=f"Koreksi: {entry.title}",
                                     occurred_on=entry.occurred_on, jp=-Decimal(entry.jp), source_type="reversal",
                                     source_id=entry.id, reverses=entry, reason="Salah catat")
    assert created
    return reversal
