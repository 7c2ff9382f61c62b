"""The menu is built per role: pages grouped under a few drop-downs, the unread count beside the name."""

from __future__ import annotations

import re

from app.extensions import db
from app.notifications.operations import mark_all_read, notify


def _header_count(html: str) -> str | None:
    m = re.search(r'class="headerlink"[^>]*>[^<]*<span class="count"[^>]*>([^<]+)</span>', html)
    return m.group(1) if m else None


def test_unread_count_shows_in_the_header_and_goes_when_read(client, org, login):
    login(org.learner_a1)
    assert _header_count(client.get("/").get_data(as_text=True)) is None
    for i in range(3):
        notify(org.learner_a1, f"Pesan {i}")
    db.session.commit()
    assert _header_count(client.get("/kursus-saya").get_data(as_text=True)) == "3"
    mark_all_read(org.learner_a1)
    db.session.commit()
    assert _header_count(client.get("/kursus-saya").get_data(as_text=True)) is None


def test_a_learner_sees_no_staff_menus_and_staff_see_theirs_grouped(client, org, login):
    login(org.learner_a1)
    html = client.get("/").get_data(as_text=True)
    assert 'data-group="development"' in html
    assert 'data-group="manage"' not in html and 'data-group="admin"' not in html
    client.post("/keluar")
    login(org.bpsdm_a)
    html = client.get("/").get_data(as_text=True)
    manage = html[html.index('data-group="manage"'):]
    manage = manage[:manage.index("</details>")]
    assert "Pemantauan JP" in manage and "Buku besar JP" in manage
    assert 'data-group="admin"' not in html  # a BPSDM officer administers no accounts
