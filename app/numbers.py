"""Numbers as people type them in an Indonesian form: "1,5" JP, "Rp 1.500.000", "2.5".

Browsers give number inputs no locale, and BPSDM staff copy amounts from spreadsheets written the
Indonesian way (dot for thousands, comma for decimals). We read both conventions where they
cannot be confused, and refuse what is not a plain finite number (NaN, Infinity, 1e9) with a
message that shows how to write it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField
from wtforms.widgets import TextInput

_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.500.000 or 1.500,50 (Indonesian)
_GROUPED_EN = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,500,000.50 (spreadsheets set to English)
_PLAIN = re.compile(r"^\d+([.,]\d+)?$")  # 1500000, 1,5 or 1.5


def parse_number(text: str | int | float | Decimal, *, money: bool = False) -> Decimal:
    """The value of `text`, or ValueError. With `money`, "1.500" is fifteen hundred (rupiah are
    never written with a decimal point); otherwise it is one and a half, as a JP count would be."""
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        value = Decimal(text)
    elif isinstance(text, float):
        value = Decimal(str(text))
    else:
        s = str(text).strip().replace("\u00a0", "").replace(" ", "")
        if money and s[:2].lower() == "rp":
            s = s[2:].lstrip(".")
        negative = s.startswith("-")
        s = s[1:] if negative else s
        if not s.isascii():
            raise ValueError(text)
        if _GROUPED.match(s) and (money or s.count(".") > 1 or "," in s):
            s = s.replace(".", "").replace(",", ".")
        elif _GROUPED_EN.match(s) and (money or s.count(",") > 1 or "." in s):
            s = s.replace(",", "")
        elif _PLAIN.match(s):
            s = s.replace(",", ".")
        else:
            raise ValueError(text)
        try:
            value = Decimal(("-" if negative else "") + s)
        except InvalidOperation:
            raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


class NumberField(DecimalField):
    """A DecimalField that reads "1,5" and "1.500.000" and says what it expected when it cannot.

    Pair it with InputRequired (not DataRequired, which would replace "not a number" with
    "required" and so mislead whoever typed "abc")."""

    # A text box, not <input type=number>: Chrome empties a number input holding "1,5" before
    # the form is sent, so the person would be told the field is required.
    widget = TextInput()

    def __init__(self, label=None, validators=None, *, money: bool = False, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.money = money

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_number(valuelist[0], money=self.money)
        except ValueError:
            self.data = None
            raise ValueError(_l("Tulis angka, mis. 1.500.000") if self.money else _l("Tulis angka, mis. 1,5")) from None
