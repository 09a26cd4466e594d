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


# --- profit reinvestment ------------------------------------------------------


class PeriodDeclareForm(forms.Form):
    """A period's label, dates, deciding process and one row per partner.

    Partner rows left blank are left out; the consortium's total, if left
    blank, is the sum of the partner rows (see ``period_declare``).
    """

    label = forms.CharField(
        label=_("Label"),
        max_length=40,
        help_text=_("How the period is called in addresses, for example 2026."),
    )
    start = forms.DateField(label=_("First day"), widget=DateInput())
    end = forms.DateField(label=_("Last day"), widget=DateInput())
    process = forms.ModelChoiceField(
        label=_("Process whose outcome decides"), queryset=None
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, community, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = community.processes.order_by("-pk")
        self.partners = list(partners)
        for section in self.partners:
            self.fields[f"revenue_{section.pk}"] = MoneyField(
                label=_("Revenue"), required=False
            )
            self.fields[f"costs_{section.pk}"] = MoneyField(
                label=_("Costs"), required=False
            )
        self.fields["revenue_total"] = MoneyField(
            label=_("Revenue of the consortium"),
            required=False,
            help_text=_("Leave blank: the sum of the partners."),
        )
        self.fields["costs_total"] = MoneyField(
            label=_("Costs of the consortium"),
            required=False,
            help_text=_("Leave blank: the sum of the partners."),
        )

    def partner_rows(self):
        """(section, revenue field, costs field) for the template's table."""
        return [
            (s, self[f"revenue_{s.pk}"], self[f"costs_{s.pk}"]) for s in self.partners
        ]

    def _row(self, key, section):
        revenue = self.cleaned_data.get(f"revenue_{key}")
        costs = self.cleaned_data.get(f"costs_{key}")
        if revenue is None and costs is None:
            return None
        if revenue is None or costs is None:
            self.add_error(
                f"revenue_{key}" if revenue is None else f"costs_{key}",
                _("Give both the revenue and the costs, or neither."),
            )
            return None
        return {"section": section, "revenue_cents": revenue, "costs_cents": costs}

    def clean(self):
        data = super().clean()
        rows = [self._row(s.pk, s) for s in self.partners]
        rows.append(self._row("total", None))
        data["figures"] = [row for row in rows if row is not None]
        if not self.errors and not data["figures"]:
            raise forms.ValidationError(_("Give the figures of at least one partner."))
        return data


class PeriodCommitForm(forms.Form):
    share_percent = forms.DecimalField(
        label=_("Share of the profit (%)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    amount = AmountField(
        label=_("Or an amount (EUR)"),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("share_percent") is None) == (
            data.get("amount") is None
        ):
            raise forms.ValidationError(
                _("Give either a share of the profit or an amount, not both.")
            )
        return data


class PeriodAllocateForm(forms.Form):
    fingerprint = forms.CharField(max_length=64, widget=forms.HiddenInput)
