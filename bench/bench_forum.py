"""A course forum with 10,000 posts in 500 threads (issue 18): the thread list and a 200-post thread,
as pages and through the API, under gunicorn with 20 connections, each beside the bare-Flask ceiling
measured right before it in the same run. Also the SQL statements each page takes for a 20-post and
the 200-post thread: flat in the number of posts.

Run: `.venv/bin/python -m bench.bench_forum` (BENCH_DB=sqlite for the embedded database, default postgresql;
BENCH_SECONDS per figure, default 10; BENCH_FORUM_POSTS / BENCH_FORUM_THREADS to resize).
"""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta

from bench.harness import Database, Figure, Server, api_token, load, login_cookie, seed_demo

POSTS = int(os.environ.get("BENCH_FORUM_POSTS", "10000"))
THREADS = int(os.environ.get("BENCH_FORUM_THREADS", "500"))
BIG = 200  # posts in the thread measured alone
WORKERS = 2
CONNECTIONS = 20
STATE: dict[str, int] = {}


def setup(app) -> None:
    """The demo data, a course with a forum activity, 50 enrolled writers besides `peserta`, and
    the posts loaded in bulk (as a year of a busy provincial course would leave them)."""
    from sqlalchemy import insert, select

    from app.accounts.models import User
    from app.accounts.queries import user_by_username
    from app.courses.operations import enrol
    from app.extensions import db
    from app.forums import operations as fops
    from app.forums.models import Discussion, Post
    from tests.factories import make_course

    seed_demo(app)
    teacher, learner = user_by_username("instruktur"), user_by_username("peserta")
    course = make_course(teacher, title="Forum Keuangan Daerah", activities=[{"type": "forum", "title": "Forum diskusi"}])
    activity = course.sections[0].activities[0]
    writers = list(db.session.scalars(select(User).where(User.username.like("19%")).order_by(User.id).limit(50)))
    for person in [learner, *writers]:
        enrol(course, person, method="manual")
    forum = fops.forum_for_activity(activity)
    db.session.commit()
    rng = random.Random(18)
    start = datetime(2026, 1, 5, 1, 0)
    sizes = [BIG] + [0] * (THREADS - 1)
    rest = POSTS - BIG
    for i in range(1, THREADS):
        sizes[i] = rest // (THREADS - 1) + (1 if i <= rest % (THREADS - 1) else 0)
    authors = [w.id for w in writers] + [learner.id]
    db.session.execute(insert(Discussion.__table__), [
        {"forum_id": forum.id, "subject": f"Diskusi {i}: rekonsiliasi kas dan laporan BLUD", "author_id": rng.choice(authors),
         "created_at": start + timedelta(hours=i), "last_post_at": start + timedelta(hours=i, minutes=sizes[i]),
         "pinned": i == 1, "locked": False, "reply_count": sizes[i] - 1} for i in range(THREADS)])
    db.session.commit()
    ids = list(db.session.scalars(select(Discussion.id).where(Discussion.forum_id == forum.id).order_by(Discussion.id)))
    body = "<p>" + "Pengalaman kami menyusun laporan keuangan daerah tepat waktu dengan SIPD. " * 4 + "</p>"
    for n, (did, size) in enumerate(zip(ids, sizes, strict=True)):
        rows = [{"discussion_id": did, "forum_id": forum.id, "parent_id": None, "author_id": rng.choice(authors),
                 "message": body, "created_at": start + timedelta(hours=n, minutes=k)} for k in range(size)]
        db.session.execute(insert(Post.__table__), rows)
    db.session.commit()
    STATE.update(forum_id=forum.id, big=ids[0], small=ids[1])


def query_counts(app) -> dict[str, int]:
    """SQL statements per request, counted in-process for a 20-post and the 200-post thread."""
    from sqlalchemy import event

    from app.extensions import db

    counts: dict[str, int] = {}
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*_a, **_k):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        client = app.test_client()
        client.post("/masuk", data={"username": "peserta", "password": "lentera123"})
        for name, path in (("thread list", f"/forum/{STATE['forum_id']}"), ("20-post thread", f"/diskusi/{STATE['small']}"),
                           ("200-post thread", f"/diskusi/{STATE['big']}")):
            client.get(path)  # the first visit writes the read mark
            statements.clear()
            assert client.get(path).status_code == 200
            counts[name] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counts


def run() -> list:
    """The figures (each beside its ceiling) and a Check that the statements per page are flat."""
    from bench.harness import SECRET_KEY, Check, default_seconds

    kind = os.environ.get("BENCH_DB", "postgresql")
    seconds = default_seconds()
    out: list = []
    with Database(kind) as database:
        database.prepare(setup)
        from app import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                          "LENTERA_STORAGE_PATH": str(database.storage_path), "WTF_CSRF_ENABLED": False,
                          "SCHEDULER_ENABLED": False, "SECRET_KEY": SECRET_KEY})
        counts = query_counts(app)
        flat = counts["20-post thread"] == counts["200-post thread"]
        out.append(Check(f"forum SQL statements per request, {POSTS} posts in {THREADS} threads ({kind})", flat,
                         ", ".join(f"{k} {v}" for k, v in counts.items())
                         + ("; flat in the number of posts" if flat else "; NOT flat")))
        forum_id, big = STATE["forum_id"], STATE["big"]
        with Server("wsgi:app", workers=WORKERS, database=database) as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            cookie = login_cookie(server.url, "peserta", "lentera123")
            token = api_token(server.url, "peserta", "lentera123")
            targets = [
                ("forum thread list, 500 threads (GET /forum/<id>)", f"/forum/{forum_id}", cookie),
                ("200-post thread (GET /diskusi/<id>)", f"/diskusi/{big}", cookie),
                ("thread list API (GET /api/v1/forums/<id>/discussions)", f"/api/v1/forums/{forum_id}/discussions", token),
                ("200-post thread API (GET /api/v1/discussions/<id>/posts?per_page=200)",
                 f"/api/v1/discussions/{big}/posts?per_page=200", token),
            ]
            for name, path, headers in targets:
                # The ceiling right before each figure: on a shared machine the load drifts.
                ceiling = load(bare.url + "/", connections=CONNECTIONS, seconds=seconds)
                result = load(server.url + path, connections=CONNECTIONS, seconds=seconds, headers=headers)
                out.append(Figure(name, result, ceiling, workers=WORKERS, database=kind))
    return out


if __name__ == "__main__":
    for item in run():
        print(item.line())
