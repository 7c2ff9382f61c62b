"""Interval arithmetic for watch tracking, in integer tenths of a second (exact, no float).

The player reports spans it played; the server keeps the union of those spans. A span longer
than the wall clock allows (at up to 2x speed, since the previous heartbeat) is clipped, so a
client cannot claim ten minutes watched in ten seconds, and a jump ahead is never a span.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MAX_SPEED = 2  # the fastest playback rate the player offers


def to_tenths(seconds: Decimal | int | float | str) -> int:
    """Seconds (as sent in JSON) to integer tenths, rounding half up."""
    return int((Decimal(str(seconds)) * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def merge(intervals: list[list[int]], new: tuple[int, int]) -> list[list[int]]:
    """The union of disjoint sorted `intervals` and `new`, still disjoint and sorted.
    Touching intervals ([0,5] and [5,9]) join."""
    start, end = new
    if end <= start:
        return [list(i) for i in intervals]
    out: list[list[int]] = []
    placed = False
    for a, b in intervals:
        if b < start:
            out.append([a, b])
        elif a > end:
            if not placed:
                out.append([start, end])
                placed = True
            out.append([a, b])
        else:
            start, end = min(a, start), max(b, end)
    if not placed:
        out.append([start, end])
    return out


def covered(intervals: list[list[int]]) -> int:
    return sum(b - a for a, b in intervals)


def clip_span(start: int, end: int, *, duration: int, elapsed_tenths: int | None) -> tuple[int, int]:
    """The part of [start, end] that may count: inside the video, and no longer than the wall
    clock since the previous heartbeat allows at MAX_SPEED. No previous heartbeat → nothing."""
    start = max(0, min(start, duration))
    end = max(start, min(end, duration))
    if elapsed_tenths is None:
        return start, start
    # No per-heartbeat slack: it would add up, and many tiny heartbeats would buy extra speed.
    allowed = max(0, elapsed_tenths) * MAX_SPEED
    return start, min(end, start + allowed)
