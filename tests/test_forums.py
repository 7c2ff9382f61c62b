"""Course forums and communities of practice (issue 18), driven as a client and as a person would:
forum types, Q&A visibility, edit window, moderation, read marks, subscriptions, search,
completion by posting, XSS, bad input, and NKL12 credit from a community."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import utcnow
from app.courses.models import ActivityCompletion, CourseCompletion
from app.extensions import db
from app.forums.models import Post
from app.ledger.models import LedgerEntry
from app.notifications.models import Notification

XSS = '<p>Halo <img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">x</a></p>'


def _course_with_forum(client, org, auth, forum_type="general", **settings) -> dict:
    h = auth(org.instructor)
    cid = client.post("/api/v1/courses", headers=h, json={"title": "Pengelolaan Keuangan Daerah", "jp": 2,
                                                          "mode": "online"}).json["id"]
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Diskusi"}).json["id"]
    act = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                      json={"section_id": sid, "type": "forum", "title": "Forum tanya jawab",
                            "forum_type": forum_type, **settings})
    assert act.status_code == 201, act.json
    assert act.json["completion"] == "forum" and isinstance(act.json["forum_id"], int)
    patch = client.patch(f"/api/v1/courses/{cid}", headers=h, json={"published": True})
    assert patch.status_code == 200
    for person in (org.learner_a1, org.learner_b):
        assert client.post(f"/api/v1/courses/{cid}/enrolments", headers=h, json={"nip": person.nip}).status_code == 201
    doc = client.get(f"/api/v1/courses/{cid}", headers=h).json
    assert doc["sections"][0]["activities"][0]["forum_id"] == act.json["forum_id"]
    return {"course_id": cid, "activity_id": act.json["id"], "forum_id": act.json["forum_id"], "h": h}


def test_qanda_forum_hides_answers_until_the_learner_answers(client, org, auth):
    f = _course_with_forum(client, org, auth, "qanda")
    a1, b = auth(org.learner_a1), auth(org.learner_b)
    q = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=f["h"],
                    json={"subject": "Apa itu SIPD?", "message": "Jelaskan dengan kata Anda sendiri."})
    assert q.status_code == 201 and q.json["subject"] == "Apa itu SIPD?" and q.json["author"] == org.instructor.name
    did = q.json["id"]
    ans = client.post(f"/api/v1/discussions/{did}/posts", headers=a1, json={"message": "Sistem Informasi Pemerintahan Daerah"})
    assert ans.status_code == 201 and ans.json["author_nip"] == org.learner_a1.nip

    before = client.get(f"/api/v1/discussions/{did}/posts", headers=b).json
    assert [p["id"] for p in before["items"]] == [before["items"][0]["id"]] and before["hidden_until_posted"] == 1
    assert "Sistem Informasi" not in str(before)
    # nor through search, nor by replying under the hidden answer
    assert client.get(f"/api/v1/forums/{f['forum_id']}/search", headers=b, query_string={"q": "Informasi"}).json["total"] == 0
    refused = client.post(f"/api/v1/discussions/{did}/posts", headers=b, json={"message": "setuju", "parent_id": ans.json["id"]})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_parent"

    assert client.post(f"/api/v1/discussions/{did}/posts", headers=b, json={"message": "Aplikasi perencanaan"}).status_code == 201
    after = client.get(f"/api/v1/discussions/{did}/posts", headers=b).json
    assert after["total"] == 3 and after["hidden_until_posted"] == 0
    # the instructor always sees every answer
    assert client.get(f"/api/v1/discussions/{did}/posts", headers=f["h"]).json["total"] == 3


def test_posts_are_sanitised_and_bad_input_is_refused(client, org, auth, login):
    f = _course_with_forum(client, org, auth)
    a1 = auth(org.learner_a1)
    d = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=a1,
                    json={"subject": "<script>alert('s')</script>Judul", "message": XSS})
    assert d.status_code == 201
    posts = client.get(f"/api/v1/discussions/{d.json['id']}/posts", headers=a1).json["items"]
    msg = posts[0]["message"]
    assert "<script" not in msg and "onerror" not in msg and "javascript:" not in msg and "Halo" in msg

    for body, status, code in [({"subject": "x", "message": "   "}, 400, "message_required"),
                               ({"subject": "x", "message": "<script>alert(1)</script>"}, 400, "message_required"),
                               ({"subject": " ", "message": "isi"}, 400, "subject_required"),
                               ({"subject": "x" * 251, "message": "isi"}, 400, "subject_too_long"),
                               ({"subject": "x", "message": "a" * 20_001}, 413, "message_too_long"),
                               ({"subject": "x"}, 400, "invalid_body")]:
        resp = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=a1, json=body)
        assert resp.status_code == status and resp.json["error"]["code"] == code, (body, resp.json)
        assert resp.json["error"]["message"]

    # the page escapes the subject and shows the cleaned message
    login(org.learner_b)
    page = client.get(f"/diskusi/{d.json['id']}").get_data(as_text=True)
    assert "<script>alert('s')</script>" not in page and "&lt;script&gt;" in page
    assert 'onerror="alert(1)"' not in page


def test_outsiders_and_news_forums(client, org, auth):
    f = _course_with_forum(client, org, auth, "news")
    # bpsdm_a is not enrolled in the course: not a member
    resp = client.get(f"/api/v1/forums/{f['forum_id']}/discussions", headers=auth(org.bpsdm_a))
    assert resp.status_code == 403 and resp.json["error"]["code"] == "not_forum_member"
    a1 = auth(org.learner_a1)
    resp = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=a1, json={"subject": "s", "message": "m"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "announcements_staff_only"
    news = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=f["h"],
                       json={"subject": "Jadwal ujian", "message": "Ujian hari Senin."})
    assert news.status_code == 201
    # every member is told of an announcement, whether subscribed or not
    for person in (org.learner_a1, org.learner_b):
        note = db.session.scalar(select(Notification).where(Notification.user_id == person.id))
        assert note is not None and "Jadwal ujian" in note.title
    assert client.post(f"/api/v1/discussions/{news.json['id']}/posts", headers=a1, json={"message": "ok"}).status_code == 403
    assert client.get("/api/v1/forums/987654/discussions", headers=a1).status_code == 404


def test_edit_window_moderation_and_move(client, org, auth, app):
    f = _course_with_forum(client, org, auth)
    h, a1, b = f["h"], auth(org.learner_a1), auth(org.learner_b)
    d = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=a1,
                    json={"subject": "Pertanyaan", "message": "Versi pertama"}).json
    first = client.get(f"/api/v1/discussions/{d['id']}/posts", headers=a1).json["items"][0]["id"]
    edited = client.patch(f"/api/v1/posts/{first}", headers=a1, json={"message": "Versi kedua", "subject": "Pertanyaan baru"})
    assert edited.status_code == 200 and "Versi kedua" in edited.json["message"] and edited.json["edited_at"]
    assert client.get(f"/api/v1/discussions/{d['id']}", headers=a1).json["subject"] == "Pertanyaan baru"
    assert client.patch(f"/api/v1/posts/{first}", headers=b, json={"message": "bukan milik saya"}).status_code == 403
    post = db.session.get(Post, first)
    post.created_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    late = client.patch(f"/api/v1/posts/{first}", headers=a1, json={"message": "terlambat"})
    assert late.status_code == 422 and late.json["error"]["code"] == "edit_window_passed"
    assert client.patch(f"/api/v1/posts/{first}", headers=h, json={"message": "dirapikan moderator"}).status_code == 200

    assert client.patch(f"/api/v1/discussions/{d['id']}", headers=a1, json={"pinned": True}).status_code == 403
    mod = client.patch(f"/api/v1/discussions/{d['id']}", headers=h, json={"pinned": True, "locked": True})
    assert mod.status_code == 200 and mod.json["pinned"] and mod.json["locked"]
    locked = client.post(f"/api/v1/discussions/{d['id']}/posts", headers=b, json={"message": "boleh?"})
    assert locked.status_code == 409 and locked.json["error"]["code"] == "discussion_locked"
    client.patch(f"/api/v1/discussions/{d['id']}", headers=h, json={"locked": False})
    reply = client.post(f"/api/v1/discussions/{d['id']}/posts", headers=b, json={"message": "jawaban B"}).json
    # pinned first in the list
    client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=b, json={"subject": "Lain", "message": "isi"})
    listed = client.get(f"/api/v1/forums/{f['forum_id']}/discussions", headers=a1).json
    assert listed["total"] == 2 and listed["items"][0]["id"] == d["id"] and listed["items"][0]["replies"] == 1

    # a moderator deletes a reply (its text goes), then moves the discussion to another forum of the course
    assert client.delete(f"/api/v1/posts/{reply['id']}", headers=a1).status_code == 403
    gone = client.delete(f"/api/v1/posts/{reply['id']}", headers=h)
    assert gone.status_code == 200 and gone.json["discussion_deleted"] is False
    items = client.get(f"/api/v1/discussions/{d['id']}/posts", headers=h).json["items"]
    assert items[1]["deleted"] is True and items[1]["message"] == ""
    sid = client.get(f"/api/v1/courses/{f['course_id']}", headers=h).json["sections"][0]["id"]
    other = client.post(f"/api/v1/courses/{f['course_id']}/activities", headers=h,
                        json={"section_id": sid, "type": "forum", "title": "Forum arsip"}).json["forum_id"]
    moved = client.patch(f"/api/v1/discussions/{d['id']}", headers=h, json={"forum_id": other})
    assert moved.status_code == 200 and moved.json["forum_id"] == other
    assert db.session.scalar(select(Post.forum_id).where(Post.id == first)) == other
    deleted = client.delete(f"/api/v1/posts/{first}", headers=h)
    assert deleted.json["discussion_deleted"] is True
    assert client.get(f"/api/v1/discussions/{d['id']}", headers=h).status_code == 404


def test_unread_subscriptions_and_search(client, org, auth, app):
    f = _course_with_forum(client, org, auth)
    a1, b = auth(org.learner_a1), auth(org.learner_b)
    sub = client.put(f"/api/v1/forums/{f['forum_id']}/subscription", headers=b, json={"subscribed": True})
    assert sub.status_code == 200 and sub.json["subscribed"] is True
    assert client.get(f"/api/v1/forums/{f['forum_id']}", headers=b).json["subscribed"] is True
    d = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=a1,
                    json={"subject": "Rekonsiliasi kas", "message": "Bagaimana rekonsiliasi bulanan?"}).json
    client.post(f"/api/v1/discussions/{d['id']}/posts", headers=a1, json={"message": "Tambahan: format BKU"})
    note = db.session.scalar(select(Notification).where(Notification.user_id == org.learner_b.id))
    assert note is not None and "Rekonsiliasi kas" in note.title and f"/diskusi/{d['id']}" in note.link
    assert db.session.scalar(select(Notification).where(Notification.user_id == org.learner_a1.id)) is None

    listed = client.get(f"/api/v1/forums/{f['forum_id']}/discussions", headers=b).json["items"]
    assert listed[0]["unread"] == 2
    client.get(f"/api/v1/discussions/{d['id']}/posts", headers=b)
    assert client.get(f"/api/v1/forums/{f['forum_id']}/discussions", headers=b).json["items"][0]["unread"] == 0
    client.post(f"/api/v1/discussions/{d['id']}/posts", headers=a1, json={"message": "satu lagi"})
    assert client.get(f"/api/v1/discussions/{d['id']}", headers=b).json["unread"] == 1

    found = client.get(f"/api/v1/forums/{f['forum_id']}/search", headers=b, query_string={"q": "bku"}).json
    assert found["total"] == 1 and "BKU" in found["items"][0]["message"]
    assert client.get(f"/api/v1/forums/{f['forum_id']}/search", headers=b, query_string={"q": "100%_"}).json["total"] == 0
    assert client.get(f"/api/v1/forums/{f['forum_id']}/search", headers=b, query_string={"q": ""}).status_code == 400
    client.put(f"/api/v1/forums/{f['forum_id']}/subscription", headers=b, json={"subscribed": False})
    assert client.get(f"/api/v1/forums/{f['forum_id']}", headers=b).json["subscribed"] is False


def test_replied_n_times_completes_the_forum_and_the_course(client, org, auth):
    f = _course_with_forum(client, org, auth, "general", completion_replies=2)
    a1, b = auth(org.learner_a1), auth(org.learner_b)
    d = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=b,
                    json={"subject": "Studi kasus", "message": "Silakan tanggapi."}).json
    done = lambda: db.session.scalar(select(ActivityCompletion.id).where(  # noqa: E731
        ActivityCompletion.activity_id == f["activity_id"], ActivityCompletion.user_id == org.learner_a1.id))
    client.post(f"/api/v1/discussions/{d['id']}/posts", headers=a1, json={"message": "Tanggapan 1"})
    assert done() is None
    client.post(f"/api/v1/discussions/{d['id']}/posts", headers=a1, json={"message": "Tanggapan 2"})
    assert done() is not None
    assert db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.course_id == f["course_id"],
                                                               CourseCompletion.user_id == org.learner_a1.id))
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == org.learner_a1.id))
    assert entry is not None and entry.source_type == "course"
    # learner_b started the discussion but has not replied: not complete
    assert db.session.scalar(select(ActivityCompletion.id).where(
        ActivityCompletion.activity_id == f["activity_id"], ActivityCompletion.user_id == org.learner_b.id)) is None
    # a lower rule set later completes learner_b too (recompute through the registry's meets_rule)
    assert client.patch(f"/api/v1/forums/{f['forum_id']}", headers=f["h"],
                        json={"completion_replies": 0, "completion_posts": 1}).status_code == 200
    assert db.session.scalar(select(ActivityCompletion.id).where(
        ActivityCompletion.activity_id == f["activity_id"], ActivityCompletion.user_id == org.learner_b.id))


def test_bad_forum_settings_are_refused(client, org, auth):
    h = auth(org.instructor)
    cid = client.post("/api/v1/courses", headers=h, json={"title": "K", "jp": 1, "mode": "online"}).json["id"]
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "S"}).json["id"]
    resp = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                       json={"section_id": sid, "type": "forum", "title": "F", "forum_type": "chat"})
    assert resp.status_code == 422 and "forum_type" in str(resp.json["error"]["details"])
    resp = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                       json={"section_id": sid, "type": "forum", "title": "F", "completion_posts": -1})
    assert resp.status_code == 422


def test_single_discussion_forum_pages_and_attachments(client, org, auth, login):
    f = _course_with_forum(client, org, auth, "single")
    listed = client.get(f"/api/v1/forums/{f['forum_id']}/discussions", headers=f["h"]).json
    assert listed["total"] == 1
    a1 = auth(org.learner_a1)
    no = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=a1, json={"subject": "x", "message": "y"})
    assert no.status_code == 422 and no.json["error"]["code"] == "single_discussion_forum"
    did = listed["items"][0]["id"]
    login(org.learner_a1)
    page = client.get(f"/aktivitas/{f['activity_id']}")
    assert page.status_code == 200 and "Buka forum" in page.get_data(as_text=True)
    assert client.get(f"/forum/{f['forum_id']}").status_code == 200
    import io
    resp = client.post(f"/diskusi/{did}", data={"message": "<p>Lihat lampiran</p>", "parent_id": "",
                                                "files": (io.BytesIO(b"%PDF-1.4 data"), "laporan kas.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200 and "Balasan terkirim" in resp.get_data(as_text=True)
    post = db.session.scalar(select(Post).where(Post.discussion_id == did).order_by(Post.id.desc()))
    assert post.attachments and post.attachments[0].name == "laporan kas.pdf"
    got = client.get(f"/forum/lampiran/{post.attachments[0].id}")
    assert got.status_code == 200 and got.data == b"%PDF-1.4 data"
    client.post("/keluar")
    login(org.bpsdm_a)
    assert client.get(f"/forum/lampiran/{post.attachments[0].id}").status_code == 403
    assert client.get(f"/diskusi/{did}").status_code == 403


def test_communities_join_invite_files_and_nkl12_credit(client, org, auth, login):
    bp = auth(org.bpsdm_a)
    assert client.post("/api/v1/communities", headers=auth(org.learner_a1), json={"name": "X"}).status_code == 403
    made = client.post("/api/v1/communities", headers=bp, json={
        "name": "Komunitas Pengelola Keuangan Daerah", "description": "<p>Berbagi praktik baik</p><script>x</script>",
        "facilitators": [org.head_a.nip], "credit_min_posts": 2, "credit_minutes": 90})
    assert made.status_code == 201, made.json
    cid, forum_id = made.json["id"], made.json["forum_id"]
    assert isinstance(forum_id, int) and "<script>" not in made.json["description"]
    assert client.post("/api/v1/communities", headers=bp, json={"name": "komunitas pengelola keuangan daerah"}).status_code == 409
    assert client.post("/api/v1/communities", headers=bp, json={"name": "  "}).status_code == 400

    a1 = auth(org.learner_a1)
    assert client.get(f"/api/v1/forums/{forum_id}/discussions", headers=a1).status_code == 403
    join = client.post(f"/api/v1/communities/{cid}/members", headers=a1, json={"nip": org.learner_a1.nip})
    assert join.status_code == 201 and join.json["state"] == "active"
    assert client.post(f"/api/v1/communities/{cid}/members", headers=a1, json={"nip": org.learner_a1.nip}).status_code == 409
    assert client.post(f"/api/v1/communities/{cid}/members", headers=a1, json={"nip": org.learner_b.nip}).status_code == 403
    listed = client.get("/api/v1/communities", headers=a1).json
    assert listed["total"] == 1 and listed["items"][0]["members"] == 2 and listed["items"][0]["membership"] == "member"

    d = client.post(f"/api/v1/forums/{forum_id}/discussions", headers=a1,
                    json={"subject": "SIPD", "message": "Pengalaman migrasi SIPD"}).json
    assert db.session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == org.learner_a1.id)) is None
    client.post(f"/api/v1/discussions/{d['id']}/posts", headers=a1, json={"message": "Catatan kedua"})
    client.post(f"/api/v1/discussions/{d['id']}/posts", headers=a1, json={"message": "Catatan ketiga"})
    entries = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == org.learner_a1.id)))
    assert len(entries) == 1 and entries[0].rule_code == "NKL12" and entries[0].kind == "learning_community"
    assert float(entries[0].jp) == 2.0 and entries[0].minutes == 90

    # a closed community: join by invitation only
    closed = client.post("/api/v1/communities", headers=bp, json={"name": "Tim Auditor", "open": False,
                                                                   "facilitators": [org.head_a.nip]}).json
    refused = client.post(f"/api/v1/communities/{closed['id']}/members", headers=auth(org.learner_b),
                          json={"nip": org.learner_b.nip})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "invitation_only"
    inv = client.post(f"/api/v1/communities/{closed['id']}/members", headers=auth(org.head_a), json={"nip": org.learner_b.nip})
    assert inv.status_code == 201 and inv.json["state"] == "invited"
    accept = client.post(f"/api/v1/communities/{closed['id']}/members", headers=auth(org.learner_b),
                         json={"nip": org.learner_b.nip})
    assert accept.status_code == 201 and accept.json["state"] == "active"

    # pages: the list, the community with its files
    login(org.learner_a1)
    assert "Komunitas Pengelola Keuangan Daerah" in client.get("/komunitas").get_data(as_text=True)
    import io
    up = client.post(f"/komunitas/{cid}/berkas", data={"file": (io.BytesIO(b"isi"), "rekap.xlsx")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert "rekap.xlsx" in up.get_data(as_text=True)


def test_a_long_chain_of_replies_renders(client, org, auth, login):
    """Replies to replies 300 deep: shown in reading order, indentation capped, no stack exhausted."""
    from app.forums import operations as ops
    from app.forums.models import Discussion

    f = _course_with_forum(client, org, auth)
    a1 = auth(org.learner_a1)
    did = client.post(f"/api/v1/forums/{f['forum_id']}/discussions", headers=a1,
                      json={"subject": "Rantai", "message": "awal"}).json["id"]
    d = db.session.get(Discussion, did)
    parent = None
    for i in range(300):
        parent = ops.reply(org.learner_a1 if i % 2 else org.learner_b, d, f"balasan {i}",
                           parent.id if parent else None)
    db.session.commit()
    login(org.learner_b)
    page = client.get(f"/diskusi/{did}").get_data(as_text=True)
    assert page.index("balasan 0<") < page.index("balasan 150<") < page.index("balasan 299<")
    assert "margin-left: 5rem" not in page and "margin-left: 4rem" in page


def test_community_settings_members_and_subscription_mail(client, org, auth):
    from app.jobs.models import Job
    from app.notifications.operations import set_mail_mode

    bp = auth(org.bpsdm_a)
    c = client.post("/api/v1/communities", headers=bp, json={"name": "Komunitas Arsiparis",
                                                             "facilitators": [org.head_a.nip]}).json
    assert client.patch(f"/api/v1/communities/{c['id']}", headers=auth(org.head_a), json={"open": False}).status_code == 403
    changed = client.patch(f"/api/v1/communities/{c['id']}", headers=bp,
                           json={"open": False, "credit_min_posts": 5, "credit_minutes": 45})
    assert changed.status_code == 200 and changed.json["open"] is False and changed.json["credit_minutes"] == 45
    half = client.patch(f"/api/v1/communities/{c['id']}", headers=bp, json={"credit_min_posts": 0})
    assert half.status_code == 400 and half.json["error"]["code"] == "invalid_credit_rule"

    head, a1, b = auth(org.head_a), auth(org.learner_a1), auth(org.learner_b)
    for person in (org.learner_a1, org.learner_b):
        client.post(f"/api/v1/communities/{c['id']}/members", headers=head, json={"nip": person.nip})
        client.post(f"/api/v1/communities/{c['id']}/members", headers=auth(person), json={"nip": person.nip})
    listed = client.get(f"/api/v1/communities/{c['id']}/members", headers=a1).json
    assert {(m["nip"], m["role"], m["state"]) for m in listed["items"]} == {
        (org.head_a.nip, "facilitator", "active"), (org.learner_a1.nip, "member", "active"),
        (org.learner_b.nip, "member", "active")}
    assert client.delete(f"/api/v1/communities/{c['id']}/members/{org.head_a.nip}", headers=a1).status_code == 403
    assert client.delete(f"/api/v1/communities/{c['id']}/members/{org.learner_b.nip}", headers=head).status_code == 200

    # a subscriber who chose immediate mail gets the post by mail, with the unsubscribe footer
    set_mail_mode(org.learner_a1, "immediate")
    db.session.commit()
    forum_id = c["forum_id"]
    client.put(f"/api/v1/forums/{forum_id}/subscription", headers=a1, json={"subscribed": True})
    client.post(f"/api/v1/forums/{forum_id}/discussions", headers=head,
                json={"subject": "Retensi arsip <b>2027</b>", "message": "Jadwal retensi arsip dinamis."})
    mails = [j.payload for j in db.session.scalars(select(Job).where(Job.kind == "mail.send"))
             if j.payload["to"] == org.learner_a1.email]
    assert len(mails) == 1 and "Retensi arsip" in mails[0]["subject"] and "Jadwal retensi" in mails[0]["body"]
    assert "/notifikasi/berhenti/" in mails[0]["body"] or "berhenti" in mails[0]["body"].lower()
    assert client.get(f"/api/v1/communities/{c['id']}/members", headers=b).status_code == 403


def test_page_queries_do_not_grow_with_posts_or_threads(client, org, auth, login):
    """The thread list and a thread cost a fixed number of SQL statements, however many posts."""
    from sqlalchemy import event

    from app.forums import operations as ops
    from app.forums.models import Discussion, Forum

    f = _course_with_forum(client, org, auth)
    forum = db.session.get(Forum, f["forum_id"])
    small = ops.start_discussion(org.learner_b, forum, "Sedikit", "awal")
    big = ops.start_discussion(org.learner_b, forum, "Banyak", "awal")
    for i in range(3):
        ops.reply(org.learner_b, small, f"r{i}")
    for i in range(60):
        ops.reply(org.learner_a1 if i % 3 else org.learner_b, big, f"r{i}", None)
    db.session.commit()
    login(org.learner_a1)
    statements: list[str] = []

    def count(*_a, **_k):
        statements.append("x")

    def cost(path: str) -> int:
        client.get(path)  # the first visit writes read marks and completion
        db.session.remove()  # as in production, the measured request starts with an empty session
        statements.clear()
        assert client.get(path).status_code == 200
        return len(statements)

    small_id, big_id, forum_id, author_id = small.id, big.id, forum.id, org.learner_b.id
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        few_posts, many_posts = cost(f"/diskusi/{small_id}"), cost(f"/diskusi/{big_id}")
        few_threads = cost(f"/forum/{forum_id}")
        for i in range(30):
            db.session.add(Discussion(forum_id=forum_id, subject=f"T{i}", author_id=author_id))
        db.session.commit()
        many_threads = cost(f"/forum/{forum_id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert few_posts == many_posts and few_threads == many_threads, (few_posts, many_posts, few_threads, many_threads)


def test_a_single_discussion_forum_without_its_discussion_is_opened_by_the_teacher(client, org, auth):
    from app.forums import operations as ops
    from app.forums.models import Forum

    f = _course_with_forum(client, org, auth)
    forum = db.session.get(Forum, f["forum_id"])
    forum.type = "single"  # as a package imported without an owner leaves it: no discussion yet
    db.session.commit()
    a1 = auth(org.learner_a1)
    refused = client.post(f"/api/v1/forums/{forum.id}/discussions", headers=a1, json={"subject": "s", "message": "m"})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "single_discussion_forum"
    opened = client.post(f"/api/v1/forums/{forum.id}/discussions", headers=f["h"], json={"subject": "Topik", "message": "m"})
    assert opened.status_code == 201
    again = client.post(f"/api/v1/forums/{forum.id}/discussions", headers=f["h"], json={"subject": "Lagi", "message": "m"})
    assert again.status_code == 422
    assert ops.ensure_single_discussion(forum, org.instructor).id == opened.json["id"]
