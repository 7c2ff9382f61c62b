"""The NIP (nomor induk pegawai): 18 digits = birth date YYYYMMDD + CPNS start YYYYMM + gender + sequence."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from app.inputs import is_digits


class InvalidNIP(ValueError):
    """Raised with a reason a person can act on (in the active language)."""


def validate_nip(value: str) -> str:
    """Return the NIP stripped of spaces, or raise InvalidNIP saying what is wrong."""
    nip = (value or "").replace(" ", "").strip()
    if len(nip) != 18 or not is_digits(nip):
        raise InvalidNIP(str(_l("NIP harus terdiri dari 18 angka.")))
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise InvalidNIP(str(_l("Tanggal lahir pada NIP (8 angka pertama) tidak valid."))) from None
    start_year, start_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= start_month <= 12:
        raise InvalidNIP(str(_l("Bulan pengangkatan CPNS pada NIP (angka 13–14) tidak valid.")))
    if start_year < birth.year + 15 or start_year > date.today().year + 1:
        raise InvalidNIP(str(_l("Tahun pengangkatan CPNS pada NIP (angka 9–12) tidak masuk akal.")))
    if nip[14] not in "12":
        raise InvalidNIP(str(_l("Digit jenis kelamin pada NIP (angka ke-15) harus 1 atau 2.")))
    if birth > date.today():
        raise InvalidNIP(str(_l("Tanggal lahir pada NIP ada di masa depan.")))
    return nip


def is_valid_nip(value: str) -> bool:
    try:
        validate_nip(value)
    except InvalidNIP:
        return False
    return True
