"""Forms of the accountability pages: they parse input, services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participation.forms import MoneyField

from .models import Expense, Milestone
from .receipts import MAX_RECEIPT_BYTES

MAX_CENTS = 100_000_000_00


class AmountField(MoneyField):
    def clean(self, value):
        cents = super().clean(value)
        if cents is not None and cents < 1:
            raise forms.ValidationError(_("The amount must be at least 0,01 €."))
        if cents is not None and cents > MAX_CENTS:
            raise forms.ValidationError(_("This amount is too large: check it."))
        return cents


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), choices=Milestone.Status.choices)
    progress_percent = forms.IntegerField(
        label=_("Progress (%)"), min_value=0, max_value=100, initial=0
    )
    position = forms.IntegerField(
        label=_("Position"), min_value=0, required=False, initial=0
    )

    @classmethod
    def for_milestone(cls, milestone: Milestone, data=None):
        return cls(
            data,
            prefix=f"m{milestone.pk}",
            initial={
                "title": milestone.title,
                "description": milestone.description,
                "due_on": milestone.due_on,
                "status": milestone.status,
                "progress_percent": milestone.progress_percent,
                "position": milestone.position,
            },
        )


class ExpenseForm(forms.Form):
    supplier = forms.CharField(label=_("Supplier"), max_length=200)
    description = forms.CharField(
        label=_("What was bought"), widget=forms.Textarea(attrs={"rows": 3})
    )
    amount = AmountField(label=_("Amount (EUR)"))
    spent_on = forms.DateField(label=_("Date"), widget=DateInput())
    receipt = forms.FileField(
        label=_("Receipt"),
        help_text=_("A JPEG or PNG photo or a PDF, at most 10 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,application/pdf"}
        ),
    )

    def clean_spent_on(self):
        spent_on = self.cleaned_data["spent_on"]
        if spent_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return spent_on

    def clean_receipt(self):
        receipt = self.cleaned_data["receipt"]
        if receipt.size > MAX_RECEIPT_BYTES:
            raise forms.ValidationError(_("The receipt is larger than 10 MB."))
        return receipt


class ExpenseActionForm(forms.Form):
    """Approve, reject or pay one expense of the project."""

    expense = forms.ModelChoiceField(
        queryset=Expense.objects.none(), widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expense"].queryset = project.expenses.all()


class GrantForm(forms.Form):
    grantor = forms.CharField(
        label=_("Given by"),
        max_length=200,
        help_text=_("For example: the municipality, the school."),
    )
    amount = AmountField(label=_("Amount (EUR)"))
    reference = forms.CharField(
        label=_("Reference"),
        max_length=200,
        help_text=_("The decision or act that grants the money."),
    )
