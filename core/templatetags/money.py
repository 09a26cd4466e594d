from django import template

from core.money import format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount_cents, currency="EUR"):
    """``{{ pledge.amount_cents|money }}`` renders "€ 12,50" in Italian."""
    if amount_cents in (None, ""):
        return ""
    return format_money(int(amount_cents), currency)
