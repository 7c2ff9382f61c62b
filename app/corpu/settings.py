"""The CMB layer's settings (DOMAIN.md marks them as settings, not facts): read from the app config
when set there, else from the environment, else the default given here."""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation

from flask import current_app

#: DOMAIN.md's common 9-box numbering: (kinerja, potensi) -> box.
DEFAULT_NINE_BOX = {
    ("low", "low"): 1, ("medium", "low"): 2, ("low", "medium"): 3, ("high", "low"): 4, ("medium", "medium"): 5,
    ("low", "high"): 6, ("high", "medium"): 7, ("medium", "high"): 8, ("high", "high"): 9,
}


def _setting(name: str, default: str) -> str:
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name.replace("CORPU_", "LENTERA_"), default)
    return str(value)


def hrd_budget_percent() -> Decimal:
    """The share of the regional budget (APBD) that must go to HR development, in percent (0.34)."""
    try:
        return Decimal(_setting("CORPU_HRD_BUDGET_PERCENT", "0.34"))
    except InvalidOperation:
        return Decimal("0.34")


def expiry_notice_days() -> int:
    """How many days before a certification expires its holder is told."""
    return int(_setting("CORPU_EXPIRY_NOTICE_DAYS", "90"))


def nine_box_numbering() -> dict[tuple[str, str], int]:
    """(kinerja, potensi) -> box number. Override with CORPU_NINE_BOX in the config (a dict) or
    LENTERA_NINE_BOX in the environment: nine numbers for (kinerja, potensi) in the order
    LL, ML, LM, HL, MM, LH, HM, MH, HH (low/medium/high; kinerja first)."""
    configured = current_app.config.get("CORPU_NINE_BOX")
    if isinstance(configured, dict):
        return dict(configured)
    raw = os.environ.get("LENTERA_NINE_BOX")
    if raw:
        numbers = [int(x) for x in raw.replace(";", ",").split(",")]
        if len(numbers) == 9 and sorted(numbers) == list(range(1, 10)):
            return dict(zip(DEFAULT_NINE_BOX.keys(), numbers, strict=True))
    return dict(DEFAULT_NINE_BOX)


def talent_pool_boxes() -> set[int]:
    """Boxes recommended for development into higher positions (Permenpan RB 3/2020: 7–9)."""
    raw = _setting("CORPU_TALENT_POOL_BOXES", "7,8,9")
    return {int(x) for x in raw.split(",") if x.strip()}
