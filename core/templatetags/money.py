from django import template

from core.money import cents_from_decimal, format_money

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
    return money_filter(cents_from_decimal(amount), currency)
