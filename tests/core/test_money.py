import pytest
from django.template import Context, Template
from django.utils import translation

from core.money import cents_from_str, format_money


def test_money_is_formatted_the_italian_way_by_default():
    with translation.override("it"):
        assert format_money(123450) == "€\u00a01.234,50"


def test_money_is_formatted_the_english_way_in_english():
    assert format_money(123450, language="en") == "€1,234.50"
    assert format_money(5, language="en") == "€0.05"


def test_money_filter_renders_cents_in_the_active_language():
    template = Template("{% load money %}{{ amount|money }}")
    with translation.override("it"):
        assert template.render(Context({"amount": 2000})) == "€\u00a020,00"
    with translation.override("en"):
        assert template.render(Context({"amount": 2000})) == "€20.00"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("7", 700),
    ],
)
def test_amounts_typed_by_people_become_exact_cents(typed, cents):
    assert cents_from_str(typed) == cents


@pytest.mark.parametrize("typed", ["12,505", "1,500", "12.505,1234", "abc", "", "1e3x"])
def test_amounts_with_more_than_two_decimals_or_garbage_are_refused(typed):
    with pytest.raises((ValueError, ArithmeticError)):
        cents_from_str(typed)


def test_a_negative_amount_has_its_minus_before_the_symbol():
    assert format_money(-200_000, language="it") == "-€\u00a02.000,00"
    assert format_money(-5, language="en") == "-€0.05"
