"""Coaching and mentoring engagements; confirmed sessions become JP ledger entries (issue 18)."""
