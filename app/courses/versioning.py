"""The course's content version: bumped in the same transaction as any change to a course's
structure, so that every worker's cached copy (app/cache.py) is known to be stale from the commit on.

One flush hook instead of a line in every authoring operation: a course changes through many doors
(the authoring pages, the API, a package import, the quiz and media modules adding activities) and
a door that forgot to bump would leave every worker showing the old outline. The increment is a
single `UPDATE … SET content_version = <a fresh random number>`: whichever of two authors saving
at once commits last, the number is one no worker has seen, so no copy read before either commit
can be taken for the current one.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.courses.models import (
    Activity,
    ContentVersion,
    Course,
    CourseCompetency,
    Section,
    new_content_version,
)

#: What is part of a course's cached structure: a change to one of these bumps its course.
STRUCTURE = (Course, Section, Activity, CourseCompetency)


@event.listens_for(Session, "after_flush")
def _bump_content_versions(session: Session, _flush_context) -> None:
    # After the flush, new sections and activities know their course_id; session.new/dirty/deleted
    # still list what this flush wrote.
    created: set[int] = set()
    changed: set[int] = set()
    catalogue = False
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, STRUCTURE):
            continue
        if isinstance(obj, Course):
            if obj in session.new:
                created.add(obj.id)  # starts at its first version; nobody has cached it
                catalogue = True
            elif obj in session.deleted or session.is_modified(obj, include_collections=False):
                changed.add(obj.id)
                catalogue = True
        else:
            if isinstance(obj, CourseCompetency):
                catalogue = True  # shown on the catalogue's cards and in its filter
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            state = inspect(obj)
            course_id = state.dict.get("course_id")  # read without loading: a deleted row is gone
            if course_id is None and state.dict.get("course") is not None:
                course_id = state.dict["course"].id
            if course_id is not None:
                changed.add(course_id)
            moved_from = state.attrs["course_id"].history.deleted
            if moved_from and moved_from[0] is not None:  # moved to another course: both change
                changed.add(moved_from[0])
    changed -= created
    if catalogue:
        session.connection().execute(
            update(ContentVersion.__table__).where(ContentVersion.__table__.c.name == "catalogue")
            .values(version=new_content_version()))
    if not changed:
        return
    session.connection().execute(
        update(Course.__table__).where(Course.__table__.c.id.in_(sorted(changed)))
        .values(content_version=new_content_version()))
    session.info.setdefault("lentera_bumped_courses", set()).update(changed)


@event.listens_for(Session, "after_flush_postexec")
def _forget_old_versions(session: Session, _flush_context) -> None:
    # The Course rows this session holds are now behind the database: read the number again
    # when next asked (after the flush has settled its objects' state).
    for course_id in session.info.pop("lentera_bumped_courses", ()):
        course = session.identity_map.get(identity_key(Course, course_id))
        if course is not None and course not in session.deleted:
            session.expire(course, ["content_version"])
