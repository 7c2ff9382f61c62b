"""Forum and community routes of API.md (second wave). A forum's `{id}` is the Forum id (a forum
activity carries it as `forum_id`; a community as its `forum_id`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from flask import request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from app.accounts.queries import user_by_nip
from app.api.core import route, user_ctx
from app.errors import BadInput, Forbidden, NotFound
from app.extensions import db
from app.forums import operations as ops
from app.forums import queries as q
from app.forums.models import Community, Discussion, Forum, Post
from app.web import page_args, paginate


def _iso(dt: datetime | None) -> str | None:
    return dt.replace(tzinfo=UTC).isoformat() if dt is not None else None


class PageQuery(BaseModel):
    page: int = 1
    per_page: int = 50


class ForumOut(BaseModel):
    id: int
    type: str
    title: str
    activity_id: int | None
    community_id: int | None
    completion_posts: int
    completion_replies: int
    subscribed: bool
    moderator: bool


class ForumPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    forum_type: Literal["general", "qanda", "single", "news"] | None = None
    completion_posts: int | None = Field(default=None, ge=0, le=1000)
    completion_replies: int | None = Field(default=None, ge=0, le=1000)


class DiscussionIn(BaseModel):
    subject: str = Field(max_length=100_000)
    message: str = Field(max_length=1_000_000)


class DiscussionOut(BaseModel):
    id: int
    forum_id: int
    subject: str
    author: str
    author_nip: str | None
    created_at: str
    last_post_at: str
    pinned: bool
    locked: bool
    replies: int
    unread: int


class DiscussionPage(BaseModel):
    items: list[DiscussionOut]
    page: int
    per_page: int
    total: int


class DiscussionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pinned: bool | None = None
    locked: bool | None = None
    forum_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="move to this forum")


class AttachmentOut(BaseModel):
    id: int
    name: str
    size: int
    url: str


class PostIn(BaseModel):
    message: str = Field(max_length=1_000_000)
    parent_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class PostPatch(BaseModel):
    message: str = Field(max_length=1_000_000)
    subject: str | None = Field(default=None, max_length=100_000)


class PostOut(BaseModel):
    id: int
    discussion_id: int
    parent_id: int | None
    author: str
    author_nip: str | None
    message: str
    created_at: str
    edited_at: str | None
    deleted: bool
    attachments: list[AttachmentOut]


class PostPage(BaseModel):
    items: list[PostOut]
    page: int
    per_page: int
    total: int
    hidden_until_posted: int = Field(description="Q&A: answers held back until the caller has answered")


class SearchQuery(BaseModel):
    q: str = Field(min_length=1, max_length=200)


class SearchPage(BaseModel):
    items: list[PostOut]
    page: int
    per_page: int
    total: int


class SubscriptionIn(BaseModel):
    subscribed: bool


class SubscriptionOut(BaseModel):
    forum_id: int
    subscribed: bool


class CommunityIn(BaseModel):
    name: str = Field(max_length=10_000)
    description: str = Field(default="", max_length=100_000)
    competency: str | None = Field(default=None, max_length=100)
    open: bool = True
    facilitators: list[str] = Field(default_factory=list, max_length=50, description="NIPs of the facilitators")
    credit_min_posts: int = Field(default=0, ge=0, le=100_000)
    credit_minutes: int = Field(default=0, ge=0, le=100_000)


class CommunityOut(BaseModel):
    id: int
    name: str
    description: str
    competency: str | None
    open: bool
    forum_id: int | None
    members: int
    credit_min_posts: int
    credit_minutes: int
    membership: str | None = Field(description="the caller's: member, facilitator, invited or null")


class CommunityPage(BaseModel):
    items: list[CommunityOut]
    page: int
    per_page: int
    total: int


class CommunityQuery(BaseModel):
    q: str = Field(default="", max_length=200)
    page: int = 1
    per_page: int = 50


class MemberIn(BaseModel):
    nip: str = Field(max_length=100)
    role: Literal["member", "facilitator"] = "member"


class CommunityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str | None = Field(default=None, max_length=100_000)
    open: bool | None = None
    credit_min_posts: int | None = Field(default=None, ge=0, le=100_000)
    credit_minutes: int | None = Field(default=None, ge=0, le=100_000)


class MemberPage(BaseModel):
    items: list[MemberOut]
    page: int
    per_page: int
    total: int


class MemberOut(BaseModel):
    community_id: int
    nip: str | None
    name: str
    role: str
    state: str


# --- serialisers -------------------------------------------------------------------------------------

def forum_dict(forum: Forum) -> dict:
    user = user_ctx()
    return {"id": forum.id, "type": forum.type, "title": forum.title, "activity_id": forum.activity_id,
            "community_id": forum.community_id, "completion_posts": forum.completion_posts,
            "completion_replies": forum.completion_replies, "subscribed": q.is_subscribed(user, forum),
            "moderator": q.is_moderator(user, forum)}


def discussion_dict(d: Discussion, unread: int = 0) -> dict:
    return {"id": d.id, "forum_id": d.forum_id, "subject": d.subject, "author": d.author.name,
            "author_nip": d.author.nip, "created_at": _iso(d.created_at), "last_post_at": _iso(d.last_post_at),
            "pinned": d.pinned, "locked": d.locked, "replies": d.reply_count, "unread": unread}


def post_dict(p: Post) -> dict:
    return {"id": p.id, "discussion_id": p.discussion_id, "parent_id": p.parent_id, "author": p.author.name,
            "author_nip": p.author.nip, "message": p.message, "created_at": _iso(p.created_at),
            "edited_at": _iso(p.edited_at), "deleted": p.deleted_at is not None,
            "attachments": [{"id": a.id, "name": a.name, "size": a.size,
                             "url": url_for("forums.attachment", attachment_id=a.id)} for a in p.attachments]}


def community_dict(c: Community, members: int | None = None) -> dict:
    user = user_ctx()
    m = q.membership(user, c)
    forum = q.community_forum(c)
    if members is None:
        members = q.member_counts([c.id]).get(c.id, 0)
    return {"id": c.id, "name": c.name, "description": c.description, "competency": c.competency, "open": c.open,
            "forum_id": forum.id if forum else None, "members": members, "credit_min_posts": c.credit_min_posts,
            "credit_minutes": c.credit_minutes,
            "membership": None if m is None else ("invited" if m.state == "invited" else m.role)}


# --- forums -----------------------------------------------------------------------------------------

@route("/forums/<int:forum_id>", summary="A forum: its type, completion rule and the caller's subscription",
       tag="forums", response=ForumOut)
def forum_get(forum_id: int):
    return forum_dict(q.readable_forum(user_ctx(), forum_id))


@route("/forums/<int:forum_id>", "PATCH", summary="Change a forum's type or completion rule (moderators)",
       tag="forums", body=ForumPatch, response=ForumOut)
def forum_patch(forum_id: int, body: ForumPatch):
    user = user_ctx()
    forum = q.readable_forum(user, forum_id)
    if not q.is_moderator(user, forum):
        raise Forbidden(_("Hanya moderator forum yang boleh melakukan ini."), code="not_moderator")
    ops.configure_forum(forum, forum_type=body.forum_type, completion_posts=body.completion_posts,
                        completion_replies=body.completion_replies, by=user)
    return forum_dict(forum)


@route("/forums/<int:forum_id>/discussions", summary="A forum's discussions, pinned first, then by last post",
       tag="forums", query=PageQuery, response=DiscussionPage)
def forum_discussions(forum_id: int, params: PageQuery):
    user = user_ctx()
    forum = q.readable_forum(user, forum_id)
    page, per_page = page_args()
    rows, total = q.thread_rows(user, forum, page=page, per_page=per_page)
    return {"items": [discussion_dict(r.discussion, r.unread) for r in rows], "page": page, "per_page": per_page,
            "total": total}


@route("/forums/<int:forum_id>/discussions", "POST", summary="Start a discussion", tag="forums",
       body=DiscussionIn, response=DiscussionOut, status=201)
def forum_start_discussion(forum_id: int, body: DiscussionIn):
    user = user_ctx()
    forum = q.readable_forum(user, forum_id)
    d = ops.start_discussion(user, forum, body.subject, body.message)
    return discussion_dict(d), 201


@route("/forums/<int:forum_id>/search", summary="Search a forum's posts (subject and message)", tag="forums",
       query=SearchQuery, response=SearchPage)
def forum_search(forum_id: int, params: SearchQuery):
    user = user_ctx()
    forum = q.readable_forum(user, forum_id)
    found = q.search(user, forum, params.q, limit=200)
    return {"items": [post_dict(p) for p in found], "page": 1, "per_page": 200, "total": len(found)}


@route("/forums/<int:forum_id>/subscription", "PUT", summary="Subscribe to a forum (mail and in-app) or stop",
       tag="forums", body=SubscriptionIn, response=SubscriptionOut)
def forum_subscription(forum_id: int, body: SubscriptionIn):
    user = user_ctx()
    forum = q.readable_forum(user, forum_id)
    ops.set_subscription(user, forum, body.subscribed)
    return {"forum_id": forum.id, "subscribed": body.subscribed}


# --- discussions and posts ------------------------------------------------------------------------------

@route("/discussions/<int:discussion_id>", summary="A discussion", tag="forums", response=DiscussionOut)
def discussion_get(discussion_id: int):
    user = user_ctx()
    d = q.readable_discussion(user, discussion_id)
    return discussion_dict(d, q.unread_counts(user, [d.id]).get(d.id, 0))


@route("/discussions/<int:discussion_id>", "PATCH", summary="Pin, lock or move a discussion (moderators)",
       tag="forums", body=DiscussionPatch, response=DiscussionOut)
def discussion_patch(discussion_id: int, body: DiscussionPatch):
    user = user_ctx()
    d = q.readable_discussion(user, discussion_id)
    if body.pinned is not None:
        ops.set_pinned(user, d, body.pinned)
    if body.locked is not None:
        ops.set_locked(user, d, body.locked)
    if body.forum_id is not None:
        target = db.session.get(Forum, body.forum_id)
        if target is None:
            raise NotFound(_("Forum tujuan tidak ditemukan."), code="forum_not_found")
        ops.move_discussion(user, d, target)
    return discussion_dict(d)


@route("/discussions/<int:discussion_id>/posts", summary="A discussion's posts in order (Q&A: others' answers "
       "only after the caller has answered); marks them read", tag="forums", query=PageQuery, response=PostPage)
def discussion_posts(discussion_id: int, params: PageQuery):
    user = user_ctx()
    d = q.readable_discussion(user, discussion_id)
    page, per_page = page_args()
    view = q.visible_posts(user, d)
    items = view.posts[(page - 1) * per_page: page * per_page]
    answer = {"items": [post_dict(p) for p in items], "page": page, "per_page": per_page, "total": len(view.posts),
              "hidden_until_posted": view.hidden_count}
    ops.mark_read(user, d, items)  # after serialising; committed with the request, after this returns
    return answer


@route("/discussions/<int:discussion_id>/posts", "POST", summary="Reply in a discussion", tag="forums",
       body=PostIn, response=PostOut, status=201)
def discussion_reply(discussion_id: int, body: PostIn):
    user = user_ctx()
    d = q.readable_discussion(user, discussion_id)
    post = ops.reply(user, d, body.message, body.parent_id)
    return post_dict(post), 201


def _readable_post(post_id: int) -> Post:
    user = user_ctx()
    post = q.get_post(post_id)
    if not q.is_member(user, post.discussion.forum) or not q.can_see_post(user, post):
        raise Forbidden(_("Anda bukan anggota forum ini."), code="not_forum_member")
    return post


@route("/posts/<int:post_id>", "PATCH", summary="Edit a post (its author within the edit window, or a moderator)",
       tag="forums", body=PostPatch, response=PostOut)
def post_patch(post_id: int, body: PostPatch):
    post = _readable_post(post_id)
    ops.edit_post(user_ctx(), post, body.message, body.subject)
    return post_dict(post)


class DeletedOut(BaseModel):
    id: int
    deleted: bool
    discussion_deleted: bool


@route("/posts/<int:post_id>", "DELETE", summary="Delete a post (moderators; authors within the edit window); "
       "the first post deletes the discussion", tag="forums", response=DeletedOut)
def post_delete(post_id: int):
    post = _readable_post(post_id)
    remaining = ops.delete_post(user_ctx(), post)
    return {"id": post_id, "deleted": True, "discussion_deleted": remaining is None}


@route("/posts/<int:post_id>/attachments", "POST", summary="Attach a file to one's post (within the edit window)",
       tag="forums", response=AttachmentOut, status=201,
       body_content={"multipart/form-data": {"type": "object", "required": ["file"], "properties": {
           "file": {"type": "string", "format": "binary"}}}})
def post_attach(post_id: int):
    user = user_ctx()
    post = _readable_post(post_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadInput(_("Kirim berkas pada field 'file' (multipart/form-data)."), code="file_required")
    if post.author_id != user.id or not ops.can_edit_post(user, post):
        raise Forbidden(_("Lampiran hanya ditambahkan penulis selama pesan masih dapat disunting."),
                        code="not_post_author")
    ops.add_attachments(post, [(upload.filename, upload.read())])
    a = post.attachments[-1]
    return {"id": a.id, "name": a.name, "size": a.size, "url": url_for("forums.attachment", attachment_id=a.id)}, 201


# --- communities -------------------------------------------------------------------------------------------

@route("/communities", summary="Communities of practice", tag="communities", query=CommunityQuery,
       response=CommunityPage)
def communities_list(params: CommunityQuery):
    page = paginate(q.communities_stmt(params.q), lambda c: c)
    counts = q.member_counts([c.id for c in page["items"]])
    page["items"] = [community_dict(c, counts.get(c.id, 0)) for c in page["items"]]
    return page


@route("/communities", "POST", summary="Create a community of practice with its forum", tag="communities",
       body=CommunityIn, response=CommunityOut, status=201, roles=("bpsdm", "admin"))
def communities_create(body: CommunityIn):
    user = user_ctx()
    facilitators = []
    for nip in body.facilitators:
        person = user_by_nip(nip)
        if person is None:
            raise BadInput(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip), code="unknown_nip",
                           details=[{"field": "facilitators", "message": nip}])
        facilitators.append(person)
    c = ops.create_community(user, name=body.name, description=body.description, competency=body.competency,
                             open=body.open, facilitators=facilitators, credit_min_posts=body.credit_min_posts,
                             credit_minutes=body.credit_minutes)
    return community_dict(c), 201


@route("/communities/<int:community_id>", summary="A community of practice", tag="communities",
       response=CommunityOut)
def community_get(community_id: int):
    return community_dict(q.get_community(community_id))


@route("/communities/<int:community_id>/members", "POST", summary="Join (oneself, open communities) or add a "
       "member (facilitators; BPSDM name facilitators)", tag="communities", body=MemberIn, response=MemberOut,
       status=201)
def community_add_member(community_id: int, body: MemberIn):
    user = user_ctx()
    c = q.get_community(community_id)
    person = user_by_nip(body.nip.strip())
    if person is None:
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=body.nip), code="unknown_nip")
    if person.id != user.id and not (q.is_facilitator(user, c) or q.can_manage_communities(user)):
        raise Forbidden(_("Hanya fasilitator yang boleh mengundang anggota."), code="not_facilitator")
    m = ops.add_member(user, c, person, role=body.role)
    return {"community_id": c.id, "nip": person.nip, "name": person.name, "role": m.role, "state": m.state}, 201


@route("/communities/<int:community_id>", "PATCH", summary="Change a community: description, open or by "
       "invitation, the NKL12 credit rule (BPSDM, admin)", tag="communities", body=CommunityPatch,
       response=CommunityOut, roles=("bpsdm", "admin"))
def community_patch(community_id: int, body: CommunityPatch):
    c = q.get_community(community_id)
    ops.update_community(user_ctx(), c, **body.model_dump(exclude_unset=True))
    return community_dict(c)


def _member_dict(c: Community, m) -> dict:
    return {"community_id": c.id, "nip": m.user.nip, "name": m.user.name, "role": m.role, "state": m.state}


@route("/communities/<int:community_id>/members", summary="A community's members (its members and facilitators)",
       tag="communities", query=PageQuery, response=MemberPage)
def community_members(community_id: int, params: PageQuery):
    user = user_ctx()
    c = q.get_community(community_id)
    m = q.membership(user, c)
    if not (q.is_facilitator(user, c) or q.can_manage_communities(user) or (m is not None and m.state == "active")):
        raise Forbidden(_("Daftar anggota hanya untuk anggota komunitas."), code="not_member")
    page, per_page = page_args()
    members = q.community_members(c)
    return {"items": [_member_dict(c, x) for x in members[(page - 1) * per_page: page * per_page]], "page": page,
            "per_page": per_page, "total": len(members)}


class RemovedOut(BaseModel):
    community_id: int
    nip: str
    removed: bool


@route("/communities/<int:community_id>/members/<nip>", "DELETE", summary="Leave a community, or (facilitators) "
       "remove a member", tag="communities", response=RemovedOut)
def community_remove_member(community_id: int, nip: str):
    c = q.get_community(community_id)
    person = user_by_nip(nip)
    if person is None:
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip), code="unknown_nip")
    ops.remove_member(user_ctx(), c, person)
    return {"community_id": c.id, "nip": nip, "removed": True}
