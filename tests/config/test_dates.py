"""Dates read as Italians write them, and stay Django's in English."""

import datetime

import pytest
from django.utils import translation
from django.utils.formats import date_format

WHEN = datetime.datetime(2026, 12, 1, 16, 30)


@pytest.mark.parametrize(
    ("language", "fmt", "expected"),
    [
        ("it", "DATE_FORMAT", "1 dicembre 2026"),
        ("it", "DATETIME_FORMAT", "1 dicembre 2026, 16:30"),
        ("it", "YEAR_MONTH_FORMAT", "dicembre 2026"),
        ("it", "SHORT_DATE_FORMAT", "01/12/2026"),
        ("it", "l", "martedì"),
        ("en", "DATE_FORMAT", "Dec. 1, 2026"),
    ],
)
def test_dates_in_each_language(language, fmt, expected):
    with translation.override(language):
        assert date_format(WHEN, fmt) == expected
