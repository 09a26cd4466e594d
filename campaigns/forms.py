"""Forms of the campaign pages: they parse what people type, services decide."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.money import format_money
from participation.forms import MoneyField
from payments.models import Payment
from rewards.models import Delivery, RewardClaim, RewardTier

from .models import FundingModel, MatchRound
from .services.pledges import MIN_PLEDGE_CENTS

# Far above any real pledge or goal, far below what the database column holds.
MAX_CENTS = 100_000_000_00
# Paths under /campaigns/ that a campaign's address would hide.
RESERVED_SLUGS = frozenset({"me", "new", "match", "pledges"})
FUNDING_MODEL_HELP = {
    FundingModel.ALL_OR_NOTHING: _(
        "Cards are saved and charged only if the goal is reached by the deadline; "
        "otherwise nobody pays."
    ),
    FundingModel.KEEP_IT_ALL: _(
        "Backers pay at once and the project keeps what it raised, even below the goal."
    ),
}


def amount_initial(cents: int) -> str:
    """Cents as people type them in the active language ("25,00" in Italian)."""
    return formats.number_format(Decimal(cents) / 100, decimal_pos=2, use_l10n=True)


class AmountField(MoneyField):
    """A euro amount, with an upper bound so no typo reaches the database."""

    def clean(self, value):
        cents = super().clean(value)
        if cents is not None and cents > MAX_CENTS:
            raise forms.ValidationError(_("This amount is too large: check it."))
        return cents


def _text(label, *, max_length, required=True, **attrs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs) if attrs else None,
    )


class ShippingFieldsMixin:
    """Adds the delivery address fields (required) for a shipped reward."""

    def add_shipping_fields(self, *, required: bool) -> None:
        self.fields["ship_name"] = _text(
            _("Name for delivery"),
            max_length=160,
            required=required,
            autocomplete="shipping name",
        )
        self.fields["ship_address"] = _text(
            _("Street and number"),
            max_length=200,
            required=required,
            autocomplete="shipping street-address",
        )
        self.fields["ship_postcode"] = _text(
            _("Postcode"),
            max_length=12,
            required=required,
            autocomplete="shipping postal-code",
            inputmode="numeric",
        )
        self.fields["ship_city"] = _text(
            _("City"),
            max_length=80,
            required=required,
            autocomplete="shipping address-level2",
        )

    def shipping(self) -> dict | None:
        if "ship_name" not in self.fields:
            return None
        data = self.cleaned_data
        return {
            "name": data["ship_name"],
            "address": data["ship_address"],
            "postcode": data["ship_postcode"],
            "city": data["ship_city"],
        }

    def add_donor_fields(self) -> None:
        self.fields["donor_tax_code"] = _text(
            _("Tax code (optional)"),
            max_length=20,
            required=False,
            autocomplete="off",
        )
        self.fields["donor_address"] = _text(
            _("Address (optional)"),
            max_length=250,
            required=False,
            autocomplete="street-address",
        )

    def donor(self) -> dict:
        return {
            "donor_tax_code": self.cleaned_data.get("donor_tax_code", ""),
            "donor_address": self.cleaned_data.get("donor_address", ""),
        }


class PledgeForm(ShippingFieldsMixin, forms.Form):
    amount = AmountField(label=_("Your pledge (EUR)"))
    anonymous = forms.BooleanField(
        label=_("Do not show my name among the backers"), required=False
    )

    def __init__(self, *args, campaign, tier: RewardTier | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier = tier
        self.fields["amount"].widget.attrs["autocomplete"] = "off"
        minimum = format_money(
            tier.min_pledge_cents if tier is not None else MIN_PLEDGE_CENTS,
            campaign.currency,
        )
        self.fields["amount"].help_text = (
            _("At least %(amount)s for this reward. Write it like %(example)s.")
            if tier is not None
            else _("At least %(amount)s. Write it like %(example)s.")
        ) % {"amount": minimum, "example": amount_initial(2550)}
        self.shipped = tier is not None and tier.delivery == Delivery.SHIPPING
        if self.shipped:
            self.add_shipping_fields(required=True)
        self.donation = tier is None and campaign.community.nonprofit
        if self.donation:
            self.add_donor_fields()

    def shipping_fields(self):
        return [self[name] for name in self.fields if name.startswith("ship_")]

    def donor_fields(self):
        return [self[name] for name in self.fields if name.startswith("donor_")]


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    story = forms.CharField(
        label=_("Story"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What the project does, who makes it, what the money pays for."),
    )
    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        help_text=_("The last part of the page's address: letters, digits, hyphens."),
    )
    goal_cents = AmountField(label=_("Goal (EUR)"))
    stretch_goal_cents = AmountField(
        label=_("Optimum goal (EUR, optional)"),
        required=False,
        help_text=_("What would let the project do everything it hopes to."),
    )
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    deadline_on = forms.DateField(
        label=_("Ends on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Pledges are taken until 23:59 of this day."),
    )
    funding_model = forms.ChoiceField(
        label=_("Funding model"),
        choices=FundingModel.choices,
        widget=forms.RadioSelect,
    )
    image = forms.ImageField(label=_("Image (optional)"), required=False)

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This address is taken: choose another."))
        return slug

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("deadline_on")
        if starts and ends and ends < starts:
            self.add_error("deadline_on", _("The end must come after the start."))
        goal, stretch = data.get("goal_cents"), data.get("stretch_goal_cents")
        if goal is not None and stretch is not None and stretch <= goal:
            self.add_error(
                "stretch_goal_cents", _("The optimum goal must be above the goal.")
            )
        return data

    def funding_models(self):
        """The radio buttons with a one-line explanation of each model."""
        field = self["funding_model"]
        return [
            (radio, FUNDING_MODEL_HELP[radio.data["value"]])
            for radio in field.subwidgets
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "story": data["story"],
            "slug": data["slug"],
            "goal_cents": data["goal_cents"],
            "stretch_goal_cents": data["stretch_goal_cents"],
            "starts_at": _local(data["starts_on"], datetime.time.min),
            "deadline": _local(data["deadline_on"], datetime.time(23, 59, 59)),
            "funding_model": data["funding_model"],
            "image": data["image"],
        }


def _local(day: datetime.date, at: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))


class TierForm(forms.Form):
    title = forms.CharField(label=_("Reward"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    min_pledge_cents = AmountField(label=_("Minimum pledge (EUR)"))
    quantity = forms.IntegerField(
        label=_("How many (empty: unlimited)"),
        required=False,
        min_value=1,
        max_value=1_000_000,
    )
    estimated_delivery = forms.DateField(
        label=_("Estimated delivery (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    delivery = forms.ChoiceField(label=_("Delivery"), choices=Delivery.choices)
    made_by = forms.CharField(
        label=_("Made by"),
        max_length=160,
        required=False,
        help_text=_("For example: the prison's carpentry workshop."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "tier")
        super().__init__(*args, **kwargs)


class UpdateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "update")
        super().__init__(*args, **kwargs)


class FulfilForm(forms.Form):
    claim = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        choices=[
            (RewardClaim.Status.HANDED_OVER, RewardClaim.Status.HANDED_OVER.label),
            (RewardClaim.Status.SHIPPED, RewardClaim.Status.SHIPPED.label),
        ]
    )
    tracking = forms.CharField(
        label=_("Tracking or note"), max_length=120, required=False
    )


OFFLINE_METHODS = [
    (Payment.Method.CASH, Payment.Method.CASH.label),
    (Payment.Method.BANK, Payment.Method.BANK.label),
    (Payment.Method.MARKET, Payment.Method.MARKET.label),
]


class OfflinePledgeForm(ShippingFieldsMixin, forms.Form):
    backer_name = forms.CharField(label=_("Backer's name"), max_length=160)
    backer_email = forms.EmailField(
        label=_("Backer's e-mail (optional)"), required=False
    )
    amount = AmountField(label=_("Amount received (EUR)"))
    method = forms.ChoiceField(label=_("How it was paid"), choices=OFFLINE_METHODS)
    tier = forms.ModelChoiceField(
        label=_("Reward"),
        queryset=RewardTier.objects.none(),
        required=False,
        empty_label=_("No reward"),
    )
    anonymous = forms.BooleanField(
        label=_("Do not show the name among the backers"), required=False
    )
    place = forms.CharField(
        label=_("Where (desk, stall, event)"), max_length=120, required=False
    )
    reference = forms.CharField(
        label=_("Reference (bank transfer, receipt book)"),
        max_length=120,
        required=False,
    )

    def __init__(self, *args, campaign, **kwargs):
        kwargs.setdefault("prefix", "offline")
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = campaign.tiers.all()
        self.add_shipping_fields(required=False)
        for name in ("ship_name", "ship_address", "ship_postcode", "ship_city"):
            self.fields[name].help_text = _("Only for a shipped reward.")
        if campaign.community.nonprofit:
            self.add_donor_fields()

    def shipping(self) -> dict | None:
        shipping = super().shipping()
        return shipping if any(shipping.values()) else None

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "amount_cents": data["amount"],
            "method": data["method"],
            "backer_name": data["backer_name"],
            "backer_email": data["backer_email"],
            "tier": data["tier"],
            "anonymous": data["anonymous"],
            "place": data["place"],
            "reference": data["reference"],
            "shipping": self.shipping(),
            **self.donor(),
        }


class MatchRoundForm(forms.Form):
    """A sponsor's pool over some campaigns of one community."""

    title = forms.CharField(label=_("Title"), max_length=200)
    sponsor = forms.CharField(
        label=_("Sponsor"),
        max_length=200,
        help_text=_("The municipality, enterprise or foundation that gives the pool."),
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    pool_cents = AmountField(label=_("Pool (EUR)"))
    mode = forms.ChoiceField(
        label=_("How the pool is shared"),
        choices=MatchRound.Mode.choices,
        widget=forms.RadioSelect,
        initial=MatchRound.Mode.QUADRATIC,
    )
    factor_percent = forms.IntegerField(
        label=_("Match factor (%)"),
        min_value=1,
        max_value=1000,
        initial=100,
        help_text=_("For matching each pledge: 100 gives one euro per euro pledged."),
    )
    cap_per_pledge_cents = AmountField(
        label=_("Cap per pledge (EUR, optional)"),
        required=False,
        help_text=_("For matching each pledge: the most one pledge can bring."),
    )
    cap_per_campaign_cents = AmountField(
        label=_("Cap per campaign (EUR, optional)"), required=False
    )
    campaigns = forms.ModelMultipleChoiceField(
        label=_("Campaigns"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    reference = forms.CharField(
        label=_("Reference of the sponsor's bank transfer"),
        max_length=120,
        required=False,
        help_text=_("The pool counts once a second operator confirms the transfer."),
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Campaign

        self.fields["campaigns"].queryset = (
            Campaign.objects.filter(community=community)
            .exclude(status=Campaign.Status.DRAFT)
            .order_by("title")
        )

    def clean(self):
        data = super().clean()
        for cap in ("cap_per_pledge_cents", "cap_per_campaign_cents"):
            if data.get(cap) == 0:
                self.add_error(cap, _("Leave it empty for no cap."))
        return data
