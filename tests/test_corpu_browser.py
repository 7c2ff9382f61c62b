"""Browser journey of the CMB layer, in real headless Chromium against the live server (demo data)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/lentera-shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _setup_course(app) -> tuple[int, list[int]]:
    """A published, self-enrol course mapped to Komunikasi level 2: `peserta` is at level 1 of the
    required 2 (demo data), so the course closes that gap."""
    from app.accounts.queries import user_by_username
    from app.corpu import operations as ops
    from app.courses.models import Activity, Course, CourseCompetency, Section
    from app.extensions import db

    with app.app_context():
        peserta = user_by_username("peserta")
        komunikasi = ops.get_competency("MJ-KOM")
        assert ops.current_level(peserta, komunikasi) == 1
        course = Course(code="KOM-BROWSER", title="Komunikasi Efektif untuk ASN", summary="Menulis dan berbicara jelas.",
                        jp=Decimal(3), mode="online", self_enrol=True, published=True, organiser="BPSDM")
        section = Section(course=course, position=0, title="Bagian 1")
        for i, title in enumerate(["Menyusun pesan", "Mendengar aktif"]):
            section.activities.append(Activity(course=course, position=i, type="lesson", title=title,
                                               body="<p>Materi</p>", settings={}, required=True))
        course.competencies.append(CourseCompetency(code="MJ-KOM", level=2))
        db.session.add(course)
        db.session.commit()
        ids = [a.id for a in db.session.scalars(db.select(Activity).where(Activity.course_id == course.id)
                                                 .order_by(Activity.position))]
        cid = course.id
        db.session.remove()
    return cid, ids


def test_learner_closes_a_gap_with_a_recommended_course(page, browser_login, live_server):
    course_id, activity_ids = _setup_course(live_server.app)
    browser_login("peserta")
    page.goto("/kompetensi")
    row = page.locator('#gap-table tr[data-code="MJ-KOM"]')
    assert row.locator("td.gap").inner_text().strip() == "1"
    page.wait_for_selector("#gap-chart[data-drawn='1']")  # Chart.js drew the gaps (no inline script)
    shot(page, "corpu-gaps-before")
    rec = page.locator(f'#recommendations tr[data-course="{course_id}"]')
    assert "MJ-KOM" in rec.inner_text()
    rec.get_by_role("button", name="Daftar").click()
    page.wait_for_load_state()
    assert "Anda terdaftar di kursus Komunikasi Efektif untuk ASN" in page.locator(".flash").first.inner_text()
    page.locator(f'#recommendations tr[data-course="{course_id}"]').get_by_role(
        "link", name="Komunikasi Efektif untuk ASN").click()
    page.wait_for_url(f"**/kursus/{course_id}")
    for activity_id in activity_ids:  # opening a lesson completes it
        page.goto(f"/aktivitas/{activity_id}")
        page.wait_for_load_state()
    page.goto("/kompetensi")
    assert page.locator('#gap-table tr[data-code="MJ-KOM"] td.gap').inner_text().strip() == "terpenuhi"
    assert "naik ke level 2 dari kursus Komunikasi Efektif untuk ASN" in page.locator("#evidence").inner_text()
    assert page.locator(f'#recommendations tr[data-course="{course_id}"]').count() == 0
    shot(page, "corpu-gaps-after")


def test_bpsdm_sees_training_needs_and_talent_pool(page, browser_login):
    browser_login("bpsdm")
    page.goto("/kebutuhan-pelatihan")
    assert page.locator("#needs tbody tr").count() >= 5  # demo standards and assessments leave gaps
    assert "Pagu pengembangan SDM" in page.locator("main").inner_text()
    shot(page, "corpu-needs")
    page.goto("/talenta")
    page.locator('#ninebox a[data-box="9"]').click()
    page.wait_for_selector("#box-people")
    assert page.locator('#ninebox a.pool').count() == 3
    shot(page, "corpu-talent")
