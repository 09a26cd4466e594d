"""Money as integer cents plus an ISO 4217 code, formatted for people."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, translation

CURRENCY_SYMBOLS = {"EUR": "€"}


def cents_from_str(value: str) -> int:
    """Parse an amount typed by a person ("12,50", "12.50", "5.000") into cents.

    Raises ValueError for anything that is not a plain amount with at most two
    decimals; floats never enter the computation.
    """
    text = value.strip().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        # "5.000" or "1.234.567": Italian thousands, the way people write euro
        text = text.replace(".", "")
    elif re.fullmatch(r"\d+,\d{3}", text):
        # "1,500" is €1,500 in English and a typo of €1,50 in Italian: ask.
        raise ValueError(f"ambiguous amount: {value!r}")
    if "," in text and "." in text:
        # "1.234,50" (Italian grouping) or "1,234.50" (English grouping)
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    amount = Decimal(text)
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise ValueError(f"not an amount in cents: {value!r}")
    return int(amount * 100)


def cents_from_decimal(amount) -> int:
    """A Decimal in currency units (Oscar's prices) as integer cents, rounded
    half up: the one place money crosses from Decimal to cents."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_money(amount_cents: int, currency: str = "EUR", *, language=None) -> str:
    """Format cents for the active (or given) language: "€ 1.234,50" in Italian."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    amount = Decimal(abs(amount_cents)) / 100
    # a minus before the symbol: "-€ 2.000,00", not "€ -2.000,00"
    sign = "-" if amount_cents < 0 else ""
    with translation.override(language or translation.get_language() or "it"):
        number = formats.number_format(
            amount, decimal_pos=2, use_l10n=True, force_grouping=True
        )
        lang = translation.get_language()
    if lang.startswith("it"):
        return f"{sign}{symbol}\u00a0{number}"
    return f"{sign}{symbol}{number}"
