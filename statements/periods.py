"""Calendar months in the platform's time zone: the unit of statements and budgets.

A month is the same span for every viewer (the site's `TIME_ZONE`, not the browser's), so a
statement downloaded in Chengdu and one fetched by the API from anywhere add up to the same figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from django.utils import timezone

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Period(Protocol):
    """A span of booking time, `start` included, `end` excluded. Statements are for months; the
    selectors accept any span (tests split real time with one, since the ledger's clock is the
    database's and cannot be set back)."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 2000 <= self.year <= 9999):
            raise ValueError(f"not a statement month: {self.year}-{self.month}")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM` → Month; ValueError for anything else."""
        match = _MONTH.match(text or "")
        if match is None:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, moment: datetime) -> Month:
        local = timezone.localtime(moment, timezone.get_default_timezone())
        return cls(local.year, local.month)

    @classmethod
    def current(cls) -> Month:
        return cls.of(timezone.now())

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def start(self) -> datetime:
        """The first instant of the month (aware, in the site's time zone)."""
        return timezone.make_aware(datetime(self.year, self.month, 1), timezone.get_default_timezone())

    @property
    def end(self) -> datetime:
        """The first instant after the month."""
        return self.next().start

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from `first` to `last`, newest first."""
    months = []
    month = last
    while month >= first:
        months.append(month)
        month = month.previous()
    return months
