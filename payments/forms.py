from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import cents_from_str

from .models import Payment


class CentsField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            cents = cents_from_str(value)
        except (ValueError, ArithmeticError) as error:
            raise forms.ValidationError(
                _("Write an amount in euro, for example 12,50.")
            ) from error
        if cents <= 0:
            raise forms.ValidationError(_("The amount must be more than zero."))
        return cents


class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any"))] + Payment.Status.choices,
        required=False,
    )
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[("", _("Any"))] + Payment.Method.choices,
        required=False,
    )
    q = forms.CharField(
        label=_("Purpose, e-mail or Stripe id"), required=False, max_length=100
    )


class RefundForm(forms.Form):
    amount = CentsField(label=_("Amount to refund (EUR)"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class OfflinePaymentForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose"), max_length=40, help_text=_("For example: pledge")
    )
    purpose_id = forms.CharField(label=_("Purpose reference"), max_length=80)
    credit_account = forms.CharField(
        label=_("Ledger account credited"),
        max_length=80,
        help_text=_("For example: campaign:12"),
    )
    amount = CentsField(label=_("Amount (EUR)"))
    method = forms.ChoiceField(
        label=_("How it was paid"),
        choices=[c for c in Payment.Method.choices if c[0] != Payment.Method.STRIPE],
    )
    place = forms.CharField(label=_("Where"), max_length=120, required=False)
    reference = forms.CharField(
        label=_("Receipt or transfer reference"), max_length=120, required=False
    )
