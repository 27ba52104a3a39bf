"""CSV files people open in Excel or WPS: cells that a spreadsheet would run as a formula are
quoted with a leading apostrophe; plain numbers (``-1.20``) stay numbers."""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def spreadsheet_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if _NUMBER.match(text):
        return text
    return "'" + text if text.startswith(_FORMULA_START) else text
