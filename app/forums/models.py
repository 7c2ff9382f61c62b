"""Forums (in a course, through the `forum` activity type, or in a community of practice),
their discussions and posts, read marks and subscriptions; communities with their members and files.

Decisions worth knowing:
- A forum belongs to exactly one of an activity (a course forum) or a community.
- `Post.forum_id` repeats the discussion's forum so that completion counts ("posted N times") and
  search are one indexed query; moving a discussion moves its posts' `forum_id` with it.
- `Discussion.reply_count` and `last_post_at` are kept by the operations, so the thread list is
  one query however many posts there are.
- Read marks are per (person, discussion): the highest post id seen. Unread = posts above it.
- A moderator's delete of a reply keeps the row (so the thread's shape stays) and drops its text;
  deleting a discussion's first post deletes the discussion.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.extensions import db

#: Moodle's forum types: standard for general use, Q&A, a single simple discussion, announcements.
FORUM_TYPES = ("general", "qanda", "single", "news")
MEMBER_ROLES = ("member", "facilitator")
MEMBER_STATES = ("active", "invited")


class Community(db.Model):
    """A community of practice across courses, per competency or theme."""

    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    competency: Mapped[str | None] = mapped_column(String(40))  # a code of the competency dictionary
    open: Mapped[bool] = mapped_column(Boolean, default=True)  # anyone may join; else by invitation
    #: NKL12 credit rule (BPSDM sets it): a member with `credit_min_posts` posts in a year is credited
    #: `credit_minutes` of learning under the rule's conversion, once per (member, community, year).
    credit_min_posts: Mapped[int] = mapped_column(default=0)  # 0 = no credit
    credit_minutes: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[CommunityMember]] = relationship(back_populates="community", cascade="all, delete-orphan")


class CommunityMember(db.Model):
    __tablename__ = "community_members"
    __table_args__ = (UniqueConstraint("community_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")  # member | facilitator
    state: Mapped[str] = mapped_column(String(20), default="active")  # active | invited
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CommunityFile(db.Model):
    __tablename__ = "community_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(250))
    storage_key: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(default=0)
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()


class Forum(db.Model):
    __tablename__ = "forums"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), unique=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20), default="general")
    title: Mapped[str] = mapped_column(String(250))
    completion_posts: Mapped[int] = mapped_column(default=0)  # "posted N times" (discussions and replies)
    completion_replies: Mapped[int] = mapped_column(default=0)  # "replied N times"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community | None] = relationship()


class Discussion(db.Model):
    __tablename__ = "forum_discussions"
    __table_args__ = (Index("ix_forum_discussions_list", "forum_id", "pinned", "last_post_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(250))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_count: Mapped[int] = mapped_column(default=0)

    forum: Mapped[Forum] = relationship()
    author: Mapped[User] = relationship()


class Post(db.Model):
    __tablename__ = "forum_posts"
    __table_args__ = (Index("ix_forum_posts_forum_author", "forum_id", "author_id"),
                      Index("ix_forum_posts_discussion", "discussion_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("forum_discussions.id", ondelete="CASCADE"))
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("forum_posts.id", ondelete="SET NULL"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    discussion: Mapped[Discussion] = relationship()
    attachments: Mapped[list[PostAttachment]] = relationship(cascade="all, delete-orphan",
                                                             order_by="PostAttachment.id")


class PostAttachment(db.Model):
    __tablename__ = "forum_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(250))
    storage_key: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(default=0)
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")


class DiscussionRead(db.Model):
    __tablename__ = "forum_reads"
    __table_args__ = (UniqueConstraint("user_id", "discussion_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    discussion_id: Mapped[int] = mapped_column(ForeignKey("forum_discussions.id", ondelete="CASCADE"), index=True)
    last_read_post_id: Mapped[int] = mapped_column(default=0)


class ForumSubscription(db.Model):
    __tablename__ = "forum_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "forum_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"), index=True)


from app.forums import activity as _activity  # noqa: E402,F401  (registers the forum activity type)
