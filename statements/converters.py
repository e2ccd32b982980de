"""The `<statement_month:month>` URL converter, registered once for the pages and the API."""

from django.urls import register_converter

from statements.periods import Month


class MonthConverter:
    """`YYYY-MM` in the URL, a `Month` in the view (an impossible month such as 2026-13 is a 404)."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> Month:
        return Month.parse(value)

    def to_url(self, value: Month | str) -> str:
        return str(value)


register_converter(MonthConverter, "statement_month")
