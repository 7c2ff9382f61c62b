"""The read side of forums and communities: who may read, post and moderate; the thread list with
unread counts; a discussion's posts as a person may see them (Q&A hides others' answers until one
has answered); search; and the completion counts.

The thread list and a discussion page are a fixed number of queries whatever the number of posts:
unread counts are one grouped query over the page's discussions, and authors come joined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.courses.models import Activity, Enrolment
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.forums.models import (
    Community,
    CommunityFile,
    CommunityMember,
    Discussion,
    DiscussionRead,
    Forum,
    ForumSubscription,
    Post,
)

# --- who may do what ------------------------------------------------------------------------------


def _memo(key: tuple, compute):
    """Remember an answer for the rest of this request (kept on the request object, so nothing
    outlives it): a page asks "member? moderator?" of the same forum several times."""
    from flask import has_request_context, request

    if not has_request_context():
        return compute()
    cache = request.__dict__.setdefault("_lentera_forum_memo", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _course_of(forum: Forum):
    if forum.activity_id is None:
        return None

    def compute():
        activity = db.session.get(Activity, forum.activity_id)
        return activity.course if activity is not None else None

    return _memo(("course", forum.activity_id), compute)


def membership(user: User, community: Community) -> CommunityMember | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(CommunityMember).where(CommunityMember.community_id == community.id,
                                                           CommunityMember.user_id == user.id))


def is_facilitator(user: User, community: Community) -> bool:
    if not user.is_authenticated:
        return False
    if can_manage_communities(user):
        return True  # BPSDM, who create communities and name their facilitators, moderate them too
    m = membership(user, community)
    return m is not None and m.role == "facilitator" and m.state == "active"


def can_manage_communities(user: User) -> bool:
    """BPSDM staff and administrators create communities and name facilitators."""
    return user.is_authenticated and user.has_role("bpsdm", "admin")


def is_moderator(user: User, forum: Forum) -> bool:
    """Pin, lock, move, delete, post in announcements: the course's instructors and administrators,
    or a community's facilitators."""
    if not user.is_authenticated:
        return False
    return _memo(("moderator", user.id, forum.id), lambda: _is_moderator(user, forum))


def _is_moderator(user: User, forum: Forum) -> bool:
    if forum.community_id is not None:
        return is_facilitator(user, forum.community)
    course = _course_of(forum)
    if course is None:
        return False
    from app.courses.queries import can_edit

    return can_edit(user, course)


def is_member(user: User, forum: Forum) -> bool:
    """Reads and posts: a course forum's enrolled learners and staff; a community's active members."""
    if not user.is_authenticated:
        return False
    return _memo(("member", user.id, forum.id), lambda: _is_member(user, forum))


def _is_member(user: User, forum: Forum) -> bool:
    if is_moderator(user, forum):
        return True
    if forum.community_id is not None:
        m = membership(user, forum.community)
        return m is not None and m.state == "active"
    activity = db.session.get(Activity, forum.activity_id) if forum.activity_id else None
    if activity is None or not activity.visible or not activity.section.visible or not activity.course.published:
        return False
    return db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == activity.course_id,
                                                        Enrolment.user_id == user.id)) is not None


def get_forum(forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        raise NotFound(_("Forum tidak ditemukan."), code="forum_not_found")
    return forum


def readable_forum(user: User, forum_id: int) -> Forum:
    forum = get_forum(forum_id)
    if not is_member(user, forum):
        raise Forbidden(_("Anda bukan anggota forum ini."), code="not_forum_member")
    return forum


def get_discussion(discussion_id: int) -> Discussion:
    d = db.session.get(Discussion, discussion_id, options=[joinedload(Discussion.forum)])
    if d is None:
        raise NotFound(_("Diskusi tidak ditemukan."), code="discussion_not_found")
    return d


def readable_discussion(user: User, discussion_id: int) -> Discussion:
    d = get_discussion(discussion_id)
    if not is_member(user, d.forum):
        raise Forbidden(_("Anda bukan anggota forum ini."), code="not_forum_member")
    return d


def get_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(_("Pesan tidak ditemukan."), code="post_not_found")
    return post


def forum_of_activity(activity: Activity) -> Forum | None:
    return db.session.scalar(select(Forum).where(Forum.activity_id == activity.id))


def forum_place(forum: Forum) -> dict:
    """Where a forum lives, for breadcrumbs: its course activity or its community."""
    if forum.community_id is not None:
        return {"community": forum.community}
    activity = db.session.get(Activity, forum.activity_id) if forum.activity_id else None
    return {"activity": activity, "course": activity.course if activity else None}


def moderated_forums(user: User, exclude: Forum) -> list[Forum]:
    """Where a moderator may move a discussion: the other forums of the same course or community."""
    if exclude.community_id is not None:
        stmt = select(Forum).where(Forum.community_id == exclude.community_id)
    else:
        course = _course_of(exclude)
        stmt = select(Forum).join(Activity, Activity.id == Forum.activity_id).where(Activity.course_id == course.id)
    return [f for f in db.session.scalars(stmt.where(Forum.id != exclude.id).order_by(Forum.id))
            if is_moderator(user, f)]


# --- the thread list --------------------------------------------------------------------------------

@dataclass
class ThreadRow:
    discussion: Discussion
    unread: int


def discussions_stmt(forum: Forum):
    return (select(Discussion).options(joinedload(Discussion.author)).where(Discussion.forum_id == forum.id)
            .order_by(Discussion.pinned.desc(), Discussion.last_post_at.desc(), Discussion.id.desc()))


def unread_counts(user: User, discussion_ids: list[int]) -> dict[int, int]:
    """Posts above each discussion's read mark (every post when never opened), one grouped query."""
    if not discussion_ids or not user.is_authenticated:
        return {}
    rows = db.session.execute(
        select(Post.discussion_id, func.count(Post.id))
        .outerjoin(DiscussionRead, and_(DiscussionRead.discussion_id == Post.discussion_id,
                                        DiscussionRead.user_id == user.id))
        .where(Post.discussion_id.in_(discussion_ids), Post.deleted_at.is_(None), Post.author_id != user.id,
               Post.id > func.coalesce(DiscussionRead.last_read_post_id, 0))
        .group_by(Post.discussion_id))
    return {d: n for d, n in rows}


def thread_rows(user: User, forum: Forum, *, page: int = 1, per_page: int = 50) -> tuple[list[ThreadRow], int]:
    total = db.session.scalar(select(func.count()).select_from(Discussion).where(Discussion.forum_id == forum.id))
    items = list(db.session.scalars(discussions_stmt(forum).limit(per_page).offset((page - 1) * per_page)))
    unread = unread_counts(user, [d.id for d in items])
    return [ThreadRow(d, unread.get(d.id, 0)) for d in items], total


# --- a discussion's posts ----------------------------------------------------------------------------

def has_posted(user: User, discussion: Discussion) -> bool:
    return db.session.scalar(select(Post.id).where(Post.discussion_id == discussion.id, Post.author_id == user.id)
                             .limit(1)) is not None


def first_post_id(discussion: Discussion) -> int | None:
    return db.session.scalar(select(func.min(Post.id)).where(Post.discussion_id == discussion.id))


@dataclass
class PostView:
    posts: list[Post]
    #: Q&A: the person has not answered yet, so others' answers are held back
    hidden_until_posted: bool = False
    hidden_count: int = 0
    children: dict[int | None, list[Post]] = field(default_factory=dict)
    threaded: list[tuple[Post, int]] = field(default_factory=list)


MAX_DEPTH = 4


def visible_posts(user: User, discussion: Discussion, *, moderator: bool | None = None) -> PostView:
    """Every post of the discussion in order, authors and attachments loaded with them; in a Q&A forum
    a learner who has not answered sees the question and their own posts only (Moodle's rule)."""
    moderator = is_moderator(user, discussion.forum) if moderator is None else moderator
    posts = list(db.session.scalars(select(Post).options(joinedload(Post.author), selectinload(Post.attachments))
                                    .where(Post.discussion_id == discussion.id).order_by(Post.id)))
    view = PostView(posts)
    if discussion.forum.type == "qanda" and not moderator and posts and \
            not any(p.author_id == user.id for p in posts[1:]):
        kept = [p for i, p in enumerate(posts) if i == 0 or p.author_id == user.id]
        view = PostView(kept, hidden_until_posted=True, hidden_count=len(posts) - len(kept))
    ids = {p.id for p in view.posts}
    for p in view.posts[1:]:
        view.children.setdefault(p.parent_id if p.parent_id in ids else view.posts[0].id, []).append(p)
    view.threaded = _threaded(view)
    return view


def _threaded(view: PostView) -> list[tuple[Post, int]]:
    """(post, depth) in reading order: each reply under the post it answers. Walked with a stack, not
    recursion, so a long chain of replies to replies cannot exhaust the template's stack; the depth
    shown stops at MAX_DEPTH (a phone has no room for more indentation)."""
    if not view.posts:
        return []
    out: list[tuple[Post, int]] = []
    stack = [(view.posts[0], 0)]
    while stack:
        post, depth = stack.pop()
        out.append((post, depth))
        for child in reversed(view.children.get(post.id, [])):
            stack.append((child, min(depth + 1, MAX_DEPTH)))
    return out


def can_see_post(user: User, post: Post) -> bool:
    d = post.discussion
    if d.forum.type != "qanda" or is_moderator(user, d.forum) or post.author_id == user.id:
        return True
    return post.id == first_post_id(d) or has_posted_reply(user, d)


def has_posted_reply(user: User, discussion: Discussion) -> bool:
    first = first_post_id(discussion)
    return db.session.scalar(select(Post.id).where(Post.discussion_id == discussion.id, Post.author_id == user.id,
                                                   Post.id != first).limit(1)) is not None


# --- search ------------------------------------------------------------------------------------------

def search(user: User, forum: Forum, text: str, *, limit: int = 50) -> list[Post]:
    """Posts of the forum whose subject or message holds `text` (case-insensitive), newest first,
    minus what the Q&A rule hides from this person."""
    text = (text or "").strip()
    if not text:
        return []
    pattern = f"%{escape_like(text.lower())}%"
    stmt = (select(Post).join(Discussion, Discussion.id == Post.discussion_id)
            .options(joinedload(Post.author), joinedload(Post.discussion))
            .where(Post.forum_id == forum.id, Post.deleted_at.is_(None),
                   or_(func.lower(Post.message).like(pattern, escape="\\"),
                       func.lower(Discussion.subject).like(pattern, escape="\\")))
            .order_by(Post.id.desc()).limit(limit * 2))
    if forum.type == "qanda" and not is_moderator(user, forum):
        answered = select(Post.discussion_id).where(Post.forum_id == forum.id, Post.author_id == user.id)
        firsts = select(func.min(Post.id)).where(Post.forum_id == forum.id).group_by(Post.discussion_id)
        stmt = stmt.where(or_(Post.author_id == user.id, Post.id.in_(firsts), Post.discussion_id.in_(answered)))
    return list(db.session.scalars(stmt))[:limit]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- subscriptions and completion ----------------------------------------------------------------------

def is_subscribed(user: User, forum: Forum) -> bool:
    if forum.type == "news":
        return True  # announcements reach every member
    return db.session.scalar(select(ForumSubscription.id).where(ForumSubscription.user_id == user.id,
                                                                ForumSubscription.forum_id == forum.id)) is not None


def post_counts(user: User, forum: Forum) -> tuple[int, int]:
    """(posts, replies) the person wrote in the forum, deleted ones not counted."""
    firsts = select(func.min(Post.id)).where(Post.forum_id == forum.id).group_by(Post.discussion_id)
    rows = db.session.execute(select(Post.id.in_(firsts), func.count()).where(
        Post.forum_id == forum.id, Post.author_id == user.id, Post.deleted_at.is_(None)).group_by(Post.id.in_(firsts)))
    starts = replies = 0
    for is_first, n in rows:
        if is_first:
            starts += n
        else:
            replies += n
    return starts + replies, replies


def meets_completion(user: User, forum: Forum) -> bool:
    if not forum.completion_posts and not forum.completion_replies:
        return False
    posts, replies = post_counts(user, forum)
    return posts >= forum.completion_posts and replies >= forum.completion_replies


# --- communities ----------------------------------------------------------------------------------------

def communities_stmt(text: str = ""):
    stmt = select(Community).order_by(Community.name)
    if text.strip():
        stmt = stmt.where(func.lower(Community.name).like(f"%{escape_like(text.strip().lower())}%", escape="\\"))
    return stmt


def member_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(select(CommunityMember.community_id, func.count()).where(
        CommunityMember.community_id.in_(ids), CommunityMember.state == "active").group_by(CommunityMember.community_id))
    return {c: n for c, n in rows}


def get_community(community_id: int) -> Community:
    c = db.session.get(Community, community_id)
    if c is None:
        raise NotFound(_("Komunitas tidak ditemukan."), code="community_not_found")
    return c


def community_forum(community: Community) -> Forum | None:
    return db.session.scalar(select(Forum).where(Forum.community_id == community.id).order_by(Forum.id).limit(1))


def community_members(community: Community) -> list[CommunityMember]:
    return list(db.session.scalars(select(CommunityMember).options(joinedload(CommunityMember.user))
                                   .where(CommunityMember.community_id == community.id)
                                   .order_by(CommunityMember.role.desc(), CommunityMember.joined_at)))


def community_files(community: Community) -> list[CommunityFile]:
    return list(db.session.scalars(select(CommunityFile).options(joinedload(CommunityFile.uploaded_by))
                                   .where(CommunityFile.community_id == community.id)
                                   .order_by(CommunityFile.created_at.desc())))


def posts_in_year(user: User, community: Community, year_start: datetime, year_end: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(Post).join(Forum, Forum.id == Post.forum_id).where(
        Forum.community_id == community.id, Post.author_id == user.id, Post.deleted_at.is_(None),
        Post.created_at >= year_start, Post.created_at < year_end)) or 0
