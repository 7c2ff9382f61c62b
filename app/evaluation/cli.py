"""Demo data of the evaluation domain: the shipped survey templates in the database, so that
BPSDM finds them on the template page of a fresh installation."""

from __future__ import annotations


def seed_demo() -> None:
    from app.evaluation.operations import ensure_templates

    ensure_templates()
