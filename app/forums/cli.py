"""Demo data for forums and communities (`flask seed-demo`): one community of practice."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.queries import user_by_username
from app.extensions import db

DEMO_COMMUNITY = "Komunitas Pengelola Keuangan Daerah"


def seed_demo() -> None:
    """A community for regional finance officials, opened by BPSDM with the atasan as facilitator and
    a first discussion; idempotent."""
    from app.forums import operations as ops
    from app.forums.models import Community
    from app.forums.queries import community_forum

    bpsdm, atasan = user_by_username("bpsdm"), user_by_username("atasan")
    if bpsdm is None or atasan is None:
        return
    if db.session.scalar(select(Community.id).where(Community.name == DEMO_COMMUNITY)) is not None:
        return
    competency = "TEK-KEUDA"
    from app.courses.operations import check_competency_codes

    if check_competency_codes([competency]):
        competency = None
    c = ops.create_community(
        bpsdm, name=DEMO_COMMUNITY, competency=competency, facilitators=[atasan], credit_min_posts=10,
        credit_minutes=180,
        description="<p>Berbagi praktik baik penatausahaan, SIPD dan laporan keuangan daerah antar-OPD.</p>")
    ops.start_discussion(atasan, community_forum(c), "Perkenalan dan kendala SIPD di OPD Anda",
                         "Silakan perkenalkan diri dan ceritakan satu kendala SIPD yang sedang dihadapi.")
    db.session.flush()
