"""Reading a platform's participant report: Zoom's export, or any CSV of name / email / join / leave.

Zoom's format is the web portal's meeting participants report ("Reports > Usage > Participants >
Export", support.zoom.com KB0082659 "Accessing the meeting and webinar history report"): with
"Export with meeting data" ticked, a first block of meeting rows ("Meeting ID","Topic","Start Time",
...), a blank line, then one row per join: "Name (Original Name)","User Email","Join Time",
"Leave Time","Duration (Minutes)","Guest",... Times are in the account's zone without an offset,
e.g. "12/02/2026 09:01:12 AM". A person who rejoins or joins from two devices has several rows: their
minutes are the union of their intervals, so two devices are not counted twice.

People are matched by NIP (a column, or 18 digits in the display name: "Budi S - 1985…"), then email.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

ALIASES = {
    "name": ("name (original name)", "name", "nama", "participant", "full name", "fullname", "nama peserta"),
    "email": ("user email", "email", "e-mail", "surel", "email address"),
    "nip": ("nip",),
    "join": ("join time", "join", "joined", "masuk", "waktu masuk", "join time (utc)"),
    "leave": ("leave time", "leave", "left", "keluar", "waktu keluar", "leave time (utc)"),
    "duration": ("duration (minutes)", "duration", "durasi", "durasi (menit)", "minutes", "menit"),
}
TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
NIP_IN_TEXT = re.compile(r"(?<!\d)(\d{18})(?!\d)")
MAX_ROWS = 20_000


@dataclass
class ReportRow:
    row: int  # line in the file, for messages
    name: str
    email: str
    nip: str
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    duration: int = 0  # minutes, when no join/leave times


@dataclass
class Report:
    rows: list[ReportRow]
    problems: list[dict]


def _norm(cell: str) -> str:
    return re.sub(r"\s+", " ", (cell or "").replace("\ufeff", "").strip().lower())


def _header_map(cells: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        c = _norm(cell)
        for key, names in ALIASES.items():
            if c in names and key not in found:
                found[key] = i
    # Zoom's meeting block ("Meeting ID, Topic, ..., User Email, Duration (Minutes)") names the host, not the
    # participants: a participants' header has join times, or a name beside the duration.
    if ("email" in found or "nip" in found or "name" in found) and ("join" in found or
                                                                     ("duration" in found and "name" in found)):
        return found
    return None


def parse_time(text: str, zone: ZoneInfo) -> datetime | None:
    """A naive UTC datetime from a report's local time (or an ISO time with offset)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        dt = None
        for fmt in TIME_FORMATS:
            try:
                dt = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if dt is None:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone)
    return dt.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def read_report(data: bytes, zone: ZoneInfo) -> Report:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel on Windows re-saves in the ANSI code page
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = list(csv.reader(io.StringIO(text), dialect))
    header, start = None, 0
    for i, cells in enumerate(lines[:200]):
        header = _header_map(cells)
        if header is not None:
            start = i + 1
            break
    if header is None:
        return Report([], [{"row": 1, "column": "", "message": "Kolom laporan tidak dikenali: perlu nama atau email "
                            "(atau NIP) dan waktu masuk/keluar atau durasi (format laporan peserta Zoom, atau CSV "
                            "name,email,join,leave)."}])
    people: dict[str, ReportRow] = {}
    problems: list[dict] = []
    if len(lines) - start > MAX_ROWS:
        return Report([], [{"row": start, "column": "", "message": f"Paling banyak {MAX_ROWS} baris."}])

    def cell(cells: list[str], key: str) -> str:
        i = header.get(key)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    for n, cells in enumerate(lines[start:], start=start + 1):
        if not any(c.strip() for c in cells):
            continue
        name, email, nip = cell(cells, "name"), cell(cells, "email").lower(), cell(cells, "nip")
        if not nip:
            m = NIP_IN_TEXT.search(name)
            nip = m.group(1) if m else ""
        key = nip or email or name.lower()
        if not key:
            problems.append({"row": n, "column": "name", "message": "Baris tanpa nama, email atau NIP."})
            continue
        person = people.setdefault(key, ReportRow(n, name, email, nip))
        join_text, leave_text = cell(cells, "join"), cell(cells, "leave")
        joined, left = parse_time(join_text, zone), parse_time(leave_text, zone)
        if join_text and joined is None:
            problems.append({"row": n, "column": "join", "message": f"Waktu masuk tidak dikenali: {join_text[:40]}"})
            continue
        if leave_text and left is None:
            problems.append({"row": n, "column": "leave", "message": f"Waktu keluar tidak dikenali: {leave_text[:40]}"})
            continue
        if joined is not None and left is not None:
            if left < joined:
                problems.append({"row": n, "column": "leave", "message": "Waktu keluar sebelum waktu masuk."})
                continue
            person.intervals.append((joined, left))
            continue
        duration = cell(cells, "duration")
        if duration:
            try:
                minutes = float(duration.replace(",", "."))
            except ValueError:
                problems.append({"row": n, "column": "duration", "message": f"Durasi bukan angka: {duration[:20]}"})
                continue
            if not 0 <= minutes <= 24 * 60:
                problems.append({"row": n, "column": "duration", "message": "Durasi harus 0–1440 menit."})
                continue
            person.duration += int(minutes)
        else:
            problems.append({"row": n, "column": "join", "message": "Perlu waktu masuk dan keluar, atau durasi."})
    return Report(list(people.values()), problems)


def attended_minutes(row: ReportRow) -> int:
    """The union of the person's intervals, in whole minutes, plus durations given without times."""
    total = timedelta()
    end: datetime | None = None
    for a, b in sorted(row.intervals):
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return int(total.total_seconds() // 60) + row.duration
