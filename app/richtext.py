"""Rich text written in the browser: a textarea that the editor (Quill, app/static/editor/) takes
over when JavaScript runs. The field still carries HTML, which operations clean with the same
allow-list as lessons (app.courses.html.sanitize_html) before it is stored."""

from __future__ import annotations

from typing import Any

from wtforms import TextAreaField
from wtforms.widgets import TextArea


class RichTextArea(TextArea):
    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("data-editor", "rich")
        return super().__call__(field, **kwargs)


class RichTextField(TextAreaField):
    """A form field edited with the rich-text editor; pass `data-upload-url` when rendering to
    let authors add pictures (see `courses.course_image_upload`)."""

    widget = RichTextArea()
