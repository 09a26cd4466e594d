"""Facilitators open a sponsor's match round and allocate its pool."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from participation import permissions
from participation.permissions import CommunityPermissionMixin

from .. import services
from ..exceptions import CampaignError
from ..forms import MatchRoundForm
from ..models import MatchRound


class MatchRoundCreateView(CommunityPermissionMixin, FormView):
    permission = staticmethod(permissions.can_facilitate)
    template_name = "campaigns/match_round_form.html"
    form_class = MatchRoundForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "community": self.community}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            round_ = services.match_round_create(
                community=self.community,
                title=data["title"],
                sponsor=data["sponsor"],
                description=data["description"],
                pool_cents=data["pool_cents"],
                mode=data["mode"],
                factor_percent=data["factor_percent"] or 100,
                cap_per_pledge_cents=data["cap_per_pledge_cents"],
                cap_per_campaign_cents=data["cap_per_campaign_cents"],
                campaigns=data["campaigns"],
                recorded_by=self.request.user,
                reference=data["reference"],
            )
        except CampaignError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _(
                "Match round opened. The pool counts once a second operator "
                "confirms the sponsor's transfer in the payments screens."
            ),
        )
        return redirect(round_.get_absolute_url())


class MatchRoundAllocateView(View):
    """POST: close the round and post its allocations (facilitators)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        round_ = get_object_or_404(
            MatchRound.objects.select_related("community"), pk=pk
        )
        permissions.community_visible_or_404(request.user, round_.community)
        if not permissions.can_facilitate(request.user, round_.community):
            raise PermissionDenied
        try:
            services.match_round_close(round_=round_)
        except CampaignError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The pool was allocated to the campaigns."))
        return redirect(round_.get_absolute_url())
