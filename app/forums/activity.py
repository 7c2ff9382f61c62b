"""The `forum` activity type, plugged into the course engine's registry.

Package / API settings: `forum_type` (general, qanda, single, news; default general),
`completion_posts` ("posted N times") and `completion_replies` ("replied N times"). With neither,
opening the forum completes it. `description` becomes the activity's text (and a single-discussion
forum's opening post).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.courses.activity_types import LABELS, ActivityType, register
from app.extensions import db

SETTINGS = ("forum_type", "completion_posts", "completion_replies")


def validate(spec: dict, reader, problems) -> None:
    from app.forums.models import FORUM_TYPES

    title = spec.get("title", "")
    ftype = spec.get("forum_type", "general")
    if ftype not in FORUM_TYPES:
        problems.add("course.yaml", None, f"Forum '{title}': forum_type harus salah satu dari {', '.join(FORUM_TYPES)}.")
    for key in ("completion_posts", "completion_replies"):
        value = spec.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
            problems.add("course.yaml", None, f"Forum '{title}': {key} harus bilangan bulat 0–1000.")


def apply(activity, spec: dict, reader) -> None:
    from app.forums import operations as ops

    forum = ops.forum_for_activity(activity)
    forum.title = activity.title
    owner = activity.course.owner
    ops.configure_forum(forum, forum_type=spec.get("forum_type", "general"),
                        completion_posts=spec.get("completion_posts", 0),
                        completion_replies=spec.get("completion_replies", 0), by=owner)


def export(activity, writer) -> dict:
    from app.forums.queries import forum_of_activity

    forum = forum_of_activity(activity)
    if forum is None:
        return {"forum_type": "general"}
    return {"forum_type": forum.type, "completion_posts": forum.completion_posts,
            "completion_replies": forum.completion_replies}


def duplicate(source, new) -> None:
    """A copied course gets the forum's settings, not its discussions (those are the learners')."""
    from app.forums import operations as ops
    from app.forums.queries import forum_of_activity

    src = forum_of_activity(source)
    if src is None:
        return
    forum = ops.forum_for_activity(new)
    forum.type, forum.completion_posts, forum.completion_replies = src.type, src.completion_posts, src.completion_replies
    forum.title = new.title
    db.session.flush()


def meets_rule(activity, user) -> bool:
    from app.forums.queries import forum_of_activity, meets_completion

    forum = forum_of_activity(activity)
    return forum is not None and meets_completion(user, forum)


def api_fields(activity) -> dict:
    from app.forums.models import Forum

    return {"forum_id": db.session.scalar(select(Forum.id).where(Forum.activity_id == activity.id))}


def view_context(activity, user) -> dict:
    from app.forums import operations as ops
    from app.forums import queries as q

    forum = ops.forum_for_activity(activity)
    if q.is_member(user, forum):
        ops.view_forum(user, forum)
    rows, total = q.thread_rows(user, forum, per_page=10)
    posts, replies = q.post_counts(user, forum) if user.is_authenticated else (0, 0)
    return {"forum": forum, "rows": rows, "total": total, "posts": posts, "replies": replies,
            "moderator": q.is_moderator(user, forum)}


def edit_context(activity) -> dict:
    from app.forums import operations as ops

    return {"forum": ops.forum_for_activity(activity)}


# The engine's pages name a type by LABELS (its own and the modules' types alike).
LABELS.setdefault("forum", _l("Forum"))

register(ActivityType(
    name="forum", label=_l("Forum"), completion="forum",
    template="forums/_activity.html", view_context=view_context,
    edit_template="forums/_activity_edit.html", edit_context=edit_context,
    validate=validate, apply=apply, export=export, duplicate=duplicate, meets_rule=meets_rule,
    api_fields=api_fields,
))
