"""Offline learning routes (API.md, second wave): the sync of a device's queued events, the
manifest of what a device stores for a course, and the quiz setting "may be taken offline"."""

from __future__ import annotations

from typing import Any, Literal

from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from pydantic import BaseModel, Field

from app.api.core import route, user_ctx
from app.courses import queries as cq
from app.errors import Forbidden, NotFound
from app.sync import operations as ops
from app.sync import queries


class SyncEventIn(BaseModel):
    id: str = Field(description="the device's own id for the event (a UUID): the same id is applied once")
    type: str = Field(description="view | watch | answer | submit")
    activity_id: Any = None
    at: Any = Field(default=None, description="when it happened on the device, ISO 8601 with offset")
    data: Any = Field(default=None, description="watch: {from, to, started_at, position}; "
                                                 "answer: {attempt_id, question_id, response}; submit: {attempt_id}")


class SyncIn(BaseModel):
    device_id: str = Field(default="", max_length=64)
    events: list[Any] = Field(description="SyncEventIn objects, in the order they happened; at most 200")


class RefusedOut(BaseModel):
    id: str
    code: str
    message: str


class SyncOut(BaseModel):
    applied: list[str]
    duplicates: list[str] = Field(description="applied by an earlier sync: nothing changed")
    refused: list[RefusedOut] = Field(description="not applied, with the reason; nothing of them changed")
    late: list[str] = Field(description="applied, and flagged for BPSDM review (arrived after the year closed)")


class SyncSessionOut(BaseModel):
    username: str
    csrf_token: str = Field(description="for the app's own pages: a fresh CSRF token for the sync request")


class PackageFileOut(BaseModel):
    url: str = Field(description="the address the device keeps the file under (pages and players ask for it)")
    fetch_url: str | None = Field(default=None, description="where to download it, when not from `url` "
                                  "(a file as stored, not as the online player gets it)")
    bytes: int
    sha256: str
    kind: str = Field(description="file | image | video")
    activity_id: int | None = None


class PackagePageOut(BaseModel):
    url: str
    activity_id: int | None = None
    type: str
    completion: str | None = None
    quiz_id: int | None = None
    offline_allowed: bool | None = None


class PackageOut(BaseModel):
    course_id: int
    title: str
    video: str
    files: list[PackageFileOut]
    bytes: int = Field(description="the files' bytes together")
    pages: list[PackagePageOut] = Field(description="the pages a device stores (rendered for the person)")


class PackageQuery(BaseModel):
    video: Literal["low", "audio"] = "low"


class OfflineSettingIn(BaseModel):
    allowed: bool


class OfflineSettingOut(BaseModel):
    activity_id: int
    allowed: bool


@route("/sync", "POST", summary="Apply the events a device recorded offline (idempotent on the event id)",
       tag="sync", body=SyncIn, response=SyncOut)
def events(body: SyncIn):
    result = ops.apply_events(user_ctx(), body.device_id, body.events)
    return result.as_dict()


@route("/sync/session", summary="Who the device is syncing for, and a fresh CSRF token for the app's pages",
       tag="sync", response=SyncSessionOut)
def session():
    return {"username": user_ctx().username, "csrf_token": generate_csrf()}


@route("/courses/<int:course_id>/offline-package", summary="What a device stores to learn a course offline",
       tag="sync", query=PackageQuery, response=PackageOut)
def offline_package(course_id: int, params: PackageQuery):
    user = user_ctx()
    course = cq.visible_course(user, course_id)
    if cq.enrolment_of(user, course.id) is None:
        raise Forbidden(_("Daftar ke kursus ini dulu untuk mengunduhnya."), code="not_enrolled")
    return queries.offline_package(course, user, video=params.video)


@route("/activities/<int:activity_id>/offline", "PUT", summary="Quiz setting: may be taken offline",
       tag="sync", body=OfflineSettingIn, response=OfflineSettingOut)
def activity_offline_setting(activity_id: int, body: OfflineSettingIn):
    user = user_ctx()
    activity = cq.get_activity(activity_id)
    if not cq.can_edit(user, activity.course):
        raise NotFound(_("Aktivitas tidak ditemukan.")) if not cq.can_view(user, activity.course) else \
            Forbidden(_("Hanya pengajar kursus ini yang boleh mengubah pengaturannya."))
    ops.set_offline_quiz(activity, body.allowed, by=user)
    return {"activity_id": activity.id, "allowed": body.allowed}
