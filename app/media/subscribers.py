"""Imported at start-up: registers the `video` activity type and the `transcode` job handler."""

from app.media import activity_type, operations  # noqa: F401
