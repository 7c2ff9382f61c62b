"""Monitoring listens to the ledger: every appended entry (or reversal) updates the JP aggregate
in the same transaction."""

from __future__ import annotations

from app.signals import ledger_entry_recorded


@ledger_entry_recorded.connect
def _on_ledger_entry(entry, **_kwargs) -> None:
    from app.monitoring.totals import apply_entry

    apply_entry(entry)


# Registers the reminder job handler and its periodic trigger (imported at start-up with the subscribers).
from app.monitoring import reminders as _reminders  # noqa: E402,F401
