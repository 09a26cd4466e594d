from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import cents_from_str

from .models import Community, Process, Project, Section
from .models.process import BallotKind


class ParticipantForm(forms.Form):
    pseudonym = forms.CharField(label=_("Pseudonym"), max_length=60)
    section = forms.ModelChoiceField(
        label=_("Section"), queryset=Section.objects.none(), required=False
    )
    legal_name = forms.CharField(
        label=_("Real name (private, optional)"),
        max_length=160,
        required=False,
        help_text=_("Only this community's facilitators ever see it."),
    )

    def __init__(self, *args, community: Community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = community.sections.all()


class MoneyField(forms.CharField):
    """An amount in euro typed by a person ("1.234,50"), cleaned to integer cents."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            cents = cents_from_str(value)
        except (ValueError, ArithmeticError) as error:
            raise forms.ValidationError(
                _("Write an amount in euro, for example 1.500 or 1500,50.")
            ) from error
        if cents < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return cents


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6})
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=None, required=False
    )
    section = forms.ModelChoiceField(label=_("Area"), queryset=None, required=False)
    estimated_cost_cents = MoneyField(label=_("Estimated cost (EUR)"), required=False)
    image = forms.ImageField(
        label=_("Image (optional)"),
        required=False,
        help_text=_("Location and camera data are removed from the picture."),
    )

    def __init__(self, *args, process: Process, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = process.categories.all()
        self.fields["section"].queryset = process.community.sections.all()


class PaperProposalForm(ProposalForm):
    author_participant = forms.ModelChoiceField(
        label=_("Author (pseudonym)"), queryset=None, required=False
    )

    def __init__(self, *args, process: Process, **kwargs):
        super().__init__(*args, process=process, **kwargs)
        del self.fields["image"]
        self.fields[
            "author_participant"
        ].queryset = process.community.participants.all()


class AssemblyForm(forms.Form):
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    section = forms.ModelChoiceField(
        label=_("Ward or place"), queryset=None, required=False
    )
    place = forms.CharField(label=_("Room"), max_length=120, required=False)
    attendance = forms.IntegerField(label=_("People present"), min_value=1)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, process: Process, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = process.community.sections.all()


class ProjectForm(forms.Form):
    code = forms.CharField(label=_("Code on the ballot"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5})
    )
    cost_cents = MoneyField(label=_("Cost (EUR)"))
    proposals = forms.ModelMultipleChoiceField(
        label=_("Proposals it comes from"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    reward_plan = forms.CharField(
        label=_("Rewards and products plan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, process: Process, **kwargs):
        super().__init__(*args, **kwargs)
        status = "passed" if process.support_enabled else "submitted"
        self.fields["proposals"].queryset = process.proposals.filter(
            status=status, project__isnull=True
        )


class AssessForm(forms.Form):
    feasibility = forms.ChoiceField(
        label=_("Feasibility"), choices=Project.Feasibility.choices
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    cost_cents = MoneyField(label=_("Cost (EUR)"), required=False)


class PurchaseRulesMixin:
    """The purchase-vote settings of a process, optional in the POST.

    A form sent without them (an older page) keeps the process's values.
    """

    PURCHASE_FIELDS = (
        "purchase_votes",
        "purchase_votes_per_euro_cap",
        "purchase_vote_weight",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.PURCHASE_FIELDS:
            self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in self.PURCHASE_FIELDS:
            if cleaned.get(name) in (None, ""):
                cleaned[name] = getattr(self.instance, name)
        for name in ("purchase_votes_per_euro_cap", "purchase_vote_weight"):
            value = cleaned.get(name)
            if value is not None and value < 1:
                self.add_error(name, _("Write a whole number of at least 1."))
        return cleaned


class RulesForm(PurchaseRulesMixin, forms.ModelForm):
    class Meta:
        model = Process
        fields = [
            "ballot_kind",
            "approval_min",
            "approval_max",
            "points_total",
            "points_max_per_project",
            "outcome_rule",
            "market_votes",
            "market_vote_weight",
            "purchase_votes",
            "purchase_votes_per_euro_cap",
            "purchase_vote_weight",
        ]


class BallotForm(forms.Form):
    """One field per project: a checkbox, or a number of points."""

    def __init__(
        self, *args, process: Process, projects, with_code: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.process = process
        if with_code:
            self.fields["voter_code"] = forms.CharField(
                label=_("Your voter code"),
                max_length=20,
                help_text=_("The code on your card, for example ABCD-2345."),
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", "autocapitalize": "characters"}
                ),
            )
        cumulative = process.ballot_kind == BallotKind.CUMULATIVE
        for project in projects:
            name = f"project_{project.pk}"
            if cumulative:
                self.fields[name] = forms.IntegerField(
                    label=project.title,
                    min_value=0,
                    max_value=process.points_total,
                    required=False,
                )
            else:
                self.fields[name] = forms.BooleanField(
                    label=project.title, required=False
                )
            self.fields[name].project = project

    def choices(self) -> dict[int, int]:
        picked = {}
        for name, field in self.fields.items():
            if name.startswith("project_"):
                value = self.cleaned_data.get(name)
                points = int(value or 0) if not isinstance(value, bool) else int(value)
                if points:
                    picked[field.project.pk] = points
        return picked

    def project_fields(self):
        return [self[name] for name in self.fields if name.startswith("project_")]


class PaperEntryForm(forms.Form):
    position = forms.IntegerField(label=_("Sheet number"), min_value=1)
    voter_code = forms.CharField(label=_("Voter code on the sheet"), max_length=20)
    choices = forms.CharField(
        label=_("Choices"),
        max_length=500,
        required=False,
        help_text=_(
            "Project codes separated by spaces, e.g. P01 P04; with points: P01:3 P04:2."
        ),
    )

    def clean_choices(self) -> dict[str, int]:
        parsed: dict[str, int] = {}
        for token in self.cleaned_data["choices"].replace(",", " ").split():
            code, _sep, points = token.partition(":")
            try:
                parsed[code.upper()] = int(points) if points else 1
            except ValueError as error:
                raise forms.ValidationError(
                    _("“%(token)s”: points must be a whole number.") % {"token": token}
                ) from error
        return parsed


class ProcessForm(PurchaseRulesMixin, forms.ModelForm):
    """Open a process: budget, phases and their dates, support and vote rules."""

    budget_cents = MoneyField(label=_("Budget (EUR)"))

    class Meta:
        model = Process
        fields = [
            "title",
            "slug",
            "description",
            "budget_cents",
            "proposals_enabled",
            "support_enabled",
            "codesign_enabled",
            "proposals_starts_on",
            "proposals_ends_on",
            "support_starts_on",
            "support_ends_on",
            "codesign_starts_on",
            "codesign_ends_on",
            "vote_starts_on",
            "vote_ends_on",
            "results_on",
            "support_max_per_voter",
            "support_pass_mode",
            "support_threshold",
            *RulesForm.Meta.fields,
        ]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"})
            for name in fields
            if name.endswith(("_on",))
        }

    def __init__(self, *args, community: Community, **kwargs):
        super().__init__(*args, **kwargs)
        self.community = community

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Process.objects.filter(community=self.community, slug=slug).exists():
            raise forms.ValidationError(_("Another process of this community uses it."))
        return slug

    def clean(self):
        cleaned = super().clean()
        for phase in ("proposals", "support", "codesign", "vote"):
            start, end = (
                cleaned.get(f"{phase}_starts_on"),
                cleaned.get(f"{phase}_ends_on"),
            )
            if start and end and end < start:
                self.add_error(f"{phase}_ends_on", _("The end comes before the start."))
        return cleaned


class PurchaseVoteForm(forms.Form):
    """The projects a purchase vote goes to: checkboxes, no JavaScript."""

    projects = forms.TypedMultipleChoiceField(
        label=_("Projects"),
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one project."),
            "invalid_choice": _("One of the choices is not a project of this vote."),
        },
    )

    def __init__(self, *args, candidates: list[Project], **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {project.pk: project for project in candidates}
        self.fields["projects"].choices = [
            (project.pk, f"{project.code} · {project.title}") for project in candidates
        ]

    def chosen(self) -> list[Project]:
        return [self.candidates[pk] for pk in self.cleaned_data["projects"]]
