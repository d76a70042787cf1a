"""How the site spells dates: in English whatever the machine's locale (not strftime's %B)."""

from __future__ import annotations

from datetime import datetime

MONTHS = (
    "January February March April May June July August September October November December"
).split()


def long_date(when: datetime) -> str:
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def month_name(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"
