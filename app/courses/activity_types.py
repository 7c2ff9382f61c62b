"""The activity types the course engine holds, and the hooks other modules plug in.

The course engine knows lessons, files, links and classroom sessions itself. Quizzes and videos
belong to their own modules, which register their type here at import time (the course engine
imports neither). Every type is completed through `courses.operations.complete_activity()`.

Package hooks work in two phases so that a bad package is refused whole:
1. `validate(spec, reader, problems)` — read and check the files the activity needs; report
   every problem with file and line; write nothing.
2. `apply(activity, spec, reader)` — called only when no problem was found anywhere, after the
   activity row exists (flushed): write the module's own rows (questions, video assets, jobs).
`export(activity, writer) -> dict` writes the activity's files into a package and returns the
extra keys of its `course.yaml` entry (e.g. {"file": "quizzes/kuis-1.xml", "pass_percent": 70}).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l


class PackageReader(Protocol):
    def exists(self, relpath: str) -> bool: ...
    def read_bytes(self, relpath: str) -> bytes: ...
    def read_text(self, relpath: str) -> str: ...
    def local_path(self, relpath: str) -> str: ...  # a real file path (for ffprobe/ffmpeg)


class PackageWriter(Protocol):
    def write_bytes(self, relpath: str, data: bytes) -> None: ...
    def write_text(self, relpath: str, text: str) -> None: ...
    def write_from_storage(self, relpath: str, storage_key: str) -> None: ...


class Problems(Protocol):
    def add(self, file: str | None, line: int | None, message: str) -> None: ...


@dataclass
class ActivityType:
    name: str
    label: Any
    #: how it completes: "view" (opened), "watch", "quiz", "attendance", or "none" (not tracked)
    completion: str
    #: the learner-facing partial template, rendered with `activity` and `ctx` (from `view_context`)
    template: str | None = None
    view_context: Callable[[Any, Any], dict] | None = None  # (activity, user) -> dict
    #: instructor-facing partial for extra settings on the activity edit page
    edit_template: str | None = None
    edit_context: Callable[[Any], dict] | None = None  # (activity) -> dict
    validate: Callable[[dict, PackageReader, Problems], None] | None = None
    apply: Callable[[Any, dict, PackageReader], None] | None = None
    export: Callable[[Any, PackageWriter], dict] | None = None
    #: copy the module's own rows when a course is duplicated: (source activity, new activity)
    duplicate: Callable[[Any, Any], None] | None = None
    #: re-evaluate the rule for a user when settings change (video %, quiz pass mark): (activity, user) -> bool
    meets_rule: Callable[[Any, Any], bool] | None = None
    #: extra keys of the activity in the API's course document and in the authoring route's answer,
    #: e.g. {"quiz_id": 7}: the id the type's own routes take. (activity) -> dict
    api_fields: Callable[[Any], dict] | None = None
    #: the type's per-viewer state read by the activity page's own statement instead of one of its
    #: own (a round trip fewer on the hottest page): (select) -> the select with the type's columns
    #: (and the outer joins they need) appended; the values reach the type's view_context through
    #: courses.queries.viewer_values(). The select's FROM is Activity; bindparam "user_id" is the viewer.
    viewer_columns: Callable[[Any], Any] | None = None



REGISTRY: dict[str, ActivityType] = {}


def register(activity_type: ActivityType) -> ActivityType:
    REGISTRY[activity_type.name] = activity_type
    return activity_type


def get_type(name: str) -> ActivityType | None:
    return REGISTRY.get(name)


def api_fields(activity: Any) -> dict:
    """The type's own keys of an activity for the API (empty for the engine's own types)."""
    t = REGISTRY.get(activity.type)
    return t.api_fields(activity) if t is not None and t.api_fields is not None else {}


LABELS = {
    "lesson": _l("Materi"),
    "file": _l("Berkas"),
    "link": _l("Tautan"),
    "video": _l("Video"),
    "quiz": _l("Kuis"),
    "classroom": _l("Tatap muka"),
}


#: Conditions a course's completion carries beyond its activities, registered by other modules
#: (the grade book's "course grade ≥ pass mark"). Each takes (user, course) and answers whether it
#: is met; every one must be for the course to complete. The engine knows none of them by name.
COMPLETION_GATES: list[Callable[[Any, Any], bool]] = []


#: Functions that check competency codes named by courses (a package's `competencies:`).
#: Each takes a list of codes and returns the set of codes it does not know. The CMB layer
#: registers one; with none registered, codes are not checked.
COMPETENCY_CHECKERS: list[Callable[[list[str]], set[str]]] = []


#: The types the course engine holds itself. Their package fields are read and written by
#: `app.courses.package` directly (they are the engine's own format), so they need no hooks.
BUILTIN_TYPES = ("lesson", "file", "link", "classroom")

register(ActivityType("lesson", LABELS["lesson"], completion="view", template="courses/activity/_lesson.html"))
register(ActivityType("file", LABELS["file"], completion="view", template="courses/activity/_file.html"))
register(ActivityType("link", LABELS["link"], completion="view", template="courses/activity/_link.html"))
register(ActivityType("classroom", LABELS["classroom"], completion="attendance",
                      template="courses/activity/_classroom.html"))


def completion_rule(type_name: str) -> str | None:
    """How an activity of this type completes, or None when its module is not installed."""
    t = REGISTRY.get(type_name)
    return t.completion if t else None
