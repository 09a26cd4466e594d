from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Community, Section


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
