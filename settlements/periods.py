"""Calendar months as settlement periods, in the platform's time zone (Asia/Shanghai): a charge
belongs to the month in which its usage interval started there."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def month_of(moment: datetime) -> date:
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the month as aware datetimes."""
    tz = timezone.get_default_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = next_month(month)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=tz)


def is_closed(month: date, now: datetime | None = None) -> bool:
    """Whether the month is over (only a closed month can be settled)."""
    return bounds(month)[1] <= (now or timezone.now())


def last_closed(now: datetime | None = None) -> date:
    return previous_month(month_of(now or timezone.now()))


def parse(value: str) -> date | None:
    """ "2026-03" → date(2026, 3, 1); None when it is not a month."""
    try:
        parsed = datetime.strptime((value or "").strip(), "%Y-%m")
    except ValueError:
        return None
    return date(parsed.year, parsed.month, 1)


def recent(count: int, now: datetime | None = None) -> list[date]:
    """The last `count` closed months, newest first (for month pickers)."""
    months = [last_closed(now)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months
