"""The province generator (tests/gen_province.py) at a small size: its bulk-loaded entries pass the
ledger's chain verification and the monitoring aggregate equals a recomputation."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.ledger.chain import verify
from app.monitoring.totals import recompute_from_ledger, stored_totals
from tests.gen_province import generate
from tests.monitoring_fixtures import record


def test_generated_province_verifies_and_aggregates(app, org, auth, client):
    record(org.learner_a1, 3, date(2025, 1, 5))  # an entry before the bulk load: the chain continues from it
    db.session.commit()
    summary = generate(app, employees=80, entries_per_employee=4, year=2025, log=lambda m: None)
    assert (summary["units"], summary["employees"], summary["entries"]) == (40, 80, 320)
    record(org.learner_a1, 2, date(2025, 6, 5))  # and appends after it still chain
    db.session.commit()
    result = verify()
    assert result.ok and result.entries_checked == 322
    assert stored_totals() == recompute_from_ledger()
    d = client.get(f"/api/v1/monitoring/attainment?year=2025&unit={summary['root_id']}", headers=auth(org.admin)).json
    assert d["employees"] == 80 and len(d["units"]) == 14  # 13 OPD + the instansi's own staff
