"""Helpers for the course engine's tests: small packages written on disk or zipped in memory,
and a recorder of the completion signals."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

from app.signals import activity_completed, course_completed

COURSE_YAML = """\
code: UJI-PKG
title: Paket Uji
summary: Kursus kecil untuk pengujian.
jp: 2.5
mode: blended
self_enrol: true
certificate: false
competencies:
  - code: TEK-LITDIG
    level: 2
sections:
  - title: Pengantar
    activities:
      - type: lesson
        title: Materi pertama
        file: lessons/01-pengantar.md
      - type: file
        title: Panduan
        file: files/panduan.txt
      - type: link
        title: Portal JDIH
        url: https://jdih.example.go.id/uu-27-2022
  - title: Praktik
    activities:
      - type: classroom
        title: Tatap muka
        minutes: 90
        date: 2026-12-01T09:00
        place: Aula BPSDM
"""

LESSON_MD = "# Pengantar\n\nKata sandi **kuat** dan *MFA*.\n\n- satu\n- dua\n\n<script>alert(1)</script>\n"


def package_files(**overrides) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"course.yaml": COURSE_YAML, "lessons/01-pengantar.md": LESSON_MD,
                                     "files/panduan.txt": b"Panduan ringkas keamanan informasi.\n"}
    files.update(overrides)
    return {k: v for k, v in files.items() if v is not None}


def write_package(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            p.write_text(content, encoding="utf-8")
        else:
            p.write_bytes(content)
    return root


def zip_package(files: dict[str, str | bytes], prefix: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, content in files.items():
            zf.writestr(prefix + rel, content)
    return buf.getvalue()


class SignalRecorder:
    """Every (user id, course id) `course_completed` was sent for, and activity completions."""

    def __init__(self) -> None:
        self.courses: list[tuple[int, int]] = []
        self.activities: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def _course(self, sender, course, **_kw):
        with self.lock:
            self.courses.append((sender.id, course.id))

    def _activity(self, sender, activity, **_kw):
        with self.lock:
            self.activities.append((sender.id, activity.id))

    def __enter__(self):
        course_completed.connect(self._course)
        activity_completed.connect(self._activity)
        return self

    def __exit__(self, *exc):
        course_completed.disconnect(self._course)
        activity_completed.disconnect(self._activity)
