"""Video routes: resumable uploads (tus 1.0 core + creation), the video's state, retrying a
failed transcode, and watch heartbeats."""

from __future__ import annotations

import base64
from decimal import Decimal

from flask import Response, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, Field
from sqlalchemy.orm import joinedload

from app.api.core import route, user_ctx
from app.courses.models import Activity
from app.errors import BadInput, NotFound
from app.extensions import db
from app.inputs import body_limit, is_digits
from app.media import operations as ops
from app.media import queries
from app.media.activity_type import view_context
from app.media.upload import TUS_VERSION, max_video_bytes

TUS_HEADERS = {"Tus-Resumable": TUS_VERSION, "Tus-Version": TUS_VERSION, "Tus-Extension": "creation"}
OCTETS = {"application/offset+octet-stream": {"type": "string", "format": "binary"}}


class UploadOut(BaseModel):
    id: str
    url: str
    offset: int
    length: int
    state: str
    asset_id: int | None = None


class VideoStatus(BaseModel):
    state: str = Field(description="none | queued | processing | ready | failed")
    progress: int
    message: str | None


class VideoStateOut(BaseModel):
    activity_id: int
    status: VideoStatus
    duration: float
    master_url: str | None = None
    audio_url: str | None = None
    poster_url: str | None = None
    mp4_url: str | None = None
    renditions: list[str]
    position: float
    watched_seconds: float
    percent: float
    completed: bool
    complete_at_percent: int


class WatchIn(BaseModel):
    model_config = {"populate_by_name": True}
    start: Decimal = Field(alias="from", ge=0, le=10**7)
    end: Decimal = Field(alias="to", ge=0, le=10**7)
    position: Decimal | None = Field(default=None, ge=0, le=10**7)


class WatchOut(BaseModel):
    """Seconds and percent are kept exactly (tenths of a second) and sent with one decimal."""
    watched_seconds: float
    percent: float
    completed: bool
    position: float


def _activity(activity_id: int, user) -> Activity:
    # With its course in the same statement: every check below reads it (the heartbeat's too).
    activity = db.session.get(Activity, activity_id, options=[joinedload(Activity.course)])
    if activity is None or activity.type != "video" or not queries.can_view_media(user, activity):
        raise NotFound(_("Aktivitas video tidak ditemukan."))
    return activity


def _tus(resp: Response, session=None) -> Response:
    resp.headers.update(TUS_HEADERS)
    resp.headers["Tus-Max-Size"] = str(max_video_bytes())
    if session is not None:
        resp.headers["Upload-Offset"] = str(session.offset)
        resp.headers["Upload-Length"] = str(session.length)
        resp.headers["Cache-Control"] = "no-store"
        if session.asset_id:
            resp.headers["Lentera-Asset-Id"] = str(session.asset_id)
    return resp


def _upload_out(session) -> dict:
    return {"id": session.id, "url": url_for("api.media_upload_patch", upload_id=session.id), "offset": session.offset,
            "length": session.length, "state": session.state, "asset_id": session.asset_id}


def _filename_from_metadata(header: str) -> str:
    """tus Upload-Metadata: comma-separated `key base64value` pairs."""
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _sep, value = pair.partition(" ")
        if key == "filename" and value:
            try:
                return base64.b64decode(value, validate=True).decode("utf-8")
            except ValueError:
                raise BadInput(_("Upload-Metadata filename harus base64."), code="invalid_metadata") from None
    return "video.mp4"


def _int_header(name: str) -> int:
    raw = request.headers.get(name, "")
    if not is_digits(raw):
        raise BadInput(_("Header %(h)s wajib berupa bilangan bulat tak negatif.", h=name), code="invalid_header")
    return int(raw)


@route("/activities/<int:activity_id>/uploads", "POST", summary="Mulai unggahan video yang dapat dilanjutkan (tus)",
       tag="video", response=UploadOut, status=201, body_content={"application/octet-stream": {"type": "string"}})
def create_upload(activity_id: int):
    """tus creation: headers `Upload-Length` and `Upload-Metadata: filename <base64>`; answers
    201 with `Location`, where the chunks go (PATCH) and the offset is asked (HEAD)."""
    user = user_ctx()
    activity = _activity(activity_id, user)
    session = ops.create_upload(user, activity, _filename_from_metadata(request.headers.get("Upload-Metadata", "")),
                                _int_header("Upload-Length"))
    resp = _tus(Response(UploadOut(**_upload_out(session)).model_dump_json(), status=201,
                         mimetype="application/json"), session)
    resp.headers["Location"] = url_for("api.media_upload_patch", upload_id=session.id)
    return resp


@route("/uploads/<upload_id>", "GET", summary="Keadaan unggahan; HEAD menjawab Upload-Offset (tus)", tag="video",
       response=UploadOut)
def upload_head(upload_id: str):
    """tus asks HEAD (Flask answers it from this GET, without the body): how many bytes the server
    holds, so a client whose connection dropped resumes from there."""
    session = ops.get_upload(user_ctx(), upload_id)
    return _tus(Response(UploadOut(**_upload_out(session)).model_dump_json(), mimetype="application/json"), session)


@body_limit("upload")  # a tus chunk: streamed to storage as it arrives
@route("/uploads/<upload_id>", "PATCH", summary="Kirim potongan unggahan pada Upload-Offset", tag="video",
       status=204, body_content=OCTETS)
def upload_patch(upload_id: str):
    if request.mimetype != "application/offset+octet-stream":
        raise BadInput(_("Content-Type harus application/offset+octet-stream."), code="bad_content_type",
                       status=415)
    user = user_ctx()
    offset = _int_header("Upload-Offset")
    session = ops.receive_chunk(user, upload_id, offset, request.stream)
    return _tus(Response(status=204), session)


def _state(activity: Activity) -> dict:
    user = user_ctx()
    ctx = view_context(activity, user)
    asset = ctx["asset"]
    return {"activity_id": activity.id, "status": ctx["status"], "duration": ctx["duration"],
            "master_url": ctx.get("master_url"), "audio_url": ctx.get("audio_url"),
            "poster_url": ctx.get("poster_url"), "mp4_url": ctx.get("mp4_url"),
            "renditions": [r["name"] for r in (asset.renditions if asset else [])],
            "position": ctx["position"], "watched_seconds": ctx["watched_seconds"], "percent": ctx["percent"],
            "completed": ctx["completed"], "complete_at_percent": ctx["complete_at"]}


@route("/activities/<int:activity_id>/video", "GET", summary="Status video, alamat pemutaran dan posisi lanjut",
       tag="video", response=VideoStateOut)
def video_state(activity_id: int):
    return VideoStateOut(**_state(_activity(activity_id, user_ctx())))


@route("/activities/<int:activity_id>/video/retry", "POST", summary="Ulangi konversi video yang gagal",
       tag="video", response=VideoStateOut)
def retry(activity_id: int):
    activity = _activity(activity_id, user_ctx())
    ops.retry_transcode(user_ctx(), activity)
    return VideoStateOut(**_state(activity))


@route("/activities/<int:activity_id>/watch", "POST", summary="Detak tonton: rentang yang benar-benar diputar",
       tag="video", body=WatchIn, response=WatchOut)
def watch(activity_id: int, body: WatchIn):
    user = user_ctx()
    # The hottest write: a learner's heartbeat reads everything it needs in one statement; the
    # first one (no progress row yet) and anyone else's go the long way, with its checks and errors.
    beat = queries.heartbeat(user, activity_id)
    if beat is None:
        result = ops.record_watch(user, _activity(activity_id, user), body.start, body.end, body.position)
    else:
        result = ops.record_watch(user, beat.activity, body.start, body.end, body.position, beat=beat)
    return WatchOut(**result)
