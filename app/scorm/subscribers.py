"""Registers the SCORM activity type with the course engine (importing it is enough)."""

from app.scorm import activity_type  # noqa: F401
