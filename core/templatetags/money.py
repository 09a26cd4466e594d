from decimal import ROUND_HALF_UP, Decimal

from django import template

from core.money import format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount_cents, currency="EUR"):
    """``{{ pledge.amount_cents|money }}`` renders "€ 12,50" in Italian."""
    if amount_cents in (None, ""):
        return ""
    return format_money(int(amount_cents), currency)


@register.filter(name="money_decimal")
def money_decimal_filter(amount, currency="EUR"):
    """A Decimal amount in currency units (Oscar's prices), shown as money."""
    if amount is None or amount == "":
        return ""
    cents = int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return money_filter(cents, currency)
