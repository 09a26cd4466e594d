"""The facilitators' pages: start a campaign from a winning project, run it."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from participation import permissions
from participation.models import Project
from payments.models import Payment
from rewards.exceptions import RewardError
from rewards.models import RewardClaim
from rewards.services import reward_fulfil

from .. import selectors, services
from ..exceptions import CampaignError, PledgeBelowMinimum
from ..forms import (
    CampaignForm,
    FulfilForm,
    OfflinePledgeForm,
    TierForm,
    UpdateForm,
    amount_initial,
)
from ..models import Campaign
from .base import CampaignMixin

C = Campaign.Status


class CampaignCreateView(FormView):
    """A campaign for a winning project, by a facilitator of its community."""

    template_name = "campaigns/campaign_form.html"
    form_class = CampaignForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.project = get_object_or_404(
            Project.objects.select_related("process__community"),
            pk=kwargs["project_id"],
        )
        self.community = self.project.process.community
        permissions.community_visible_or_404(request.user, self.community)
        if not permissions.can_facilitate(request.user, self.community):
            raise PermissionDenied
        if hasattr(self.project, "campaign"):
            messages.info(request, _("This project has a campaign already."))
            return redirect("campaigns:manage", slug=self.project.campaign.slug)
        if not services.project_is_winner(self.project):
            messages.error(
                request, _("Only a project that won the vote can be crowdfunded.")
            )
            return redirect(self.project.process.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        initial = services.campaign_initial(self.project)
        initial["goal_cents"] = amount_initial(initial["goal_cents"])
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(project=self.project, community=self.community)
        return context

    def form_valid(self, form):
        try:
            campaign = services.campaign_create(
                project=self.project,
                created_by=self.request.user,
                **form.service_kwargs(),
            )
        except CampaignError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The campaign is saved as a draft. Add its rewards, then publish it."),
        )
        return redirect("campaigns:manage", slug=campaign.slug)


class CampaignManageView(CampaignMixin, TemplateView):
    """One page, one POST per action (``action``): each calls one service."""

    facilitators_only = True
    template_name = "campaigns/campaign_manage.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.campaign
        context.setdefault("tier_form", TierForm())
        context.setdefault("update_form", UpdateForm())
        context.setdefault("offline_form", OfflinePledgeForm(campaign=campaign))
        context.update(
            totals=selectors.campaign_totals(campaign),
            tiers=selectors.campaign_tiers(campaign),
            updates=list(campaign.updates.all()),
            claims=list(
                RewardClaim.objects.filter(tier__campaign=campaign)
                .select_related("tier", "pledge__backer")
                .order_by("tier__position", "tier__pk", "pk")
            ),
            awaiting=list(
                campaign.pledges.filter(
                    payment__status=Payment.Status.AWAITING_CONFIRMATION
                ).select_related("payment")
            ),
            show_names=permissions.can_see_legal_names(
                self.request.user, campaign.community
            ),
            can_close=campaign.status in {C.LIVE, C.CHARGING}
            and campaign.deadline <= timezone.now(),
        )
        return context

    def post(self, request, *args, **kwargs):
        handler = {
            "publish": self.do_publish,
            "tier": self.do_tier,
            "update": self.do_update,
            "fulfil": self.do_fulfil,
            "offline": self.do_offline,
            "close": self.do_close,
        }.get(request.POST.get("action", ""))
        if handler is None:
            messages.error(request, _("Unknown action."))
            return self.back()
        return handler(request)

    def back(self):
        return redirect("campaigns:manage", slug=self.campaign.slug)

    def do_publish(self, request):
        try:
            services.campaign_publish(campaign=self.campaign, by=request.user)
        except CampaignError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The campaign is published."))
        return self.back()

    def do_tier(self, request):
        form = TierForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.tier_create(
                    campaign=self.campaign,
                    title=data["title"],
                    description=data["description"],
                    min_pledge_cents=data["min_pledge_cents"],
                    quantity=data["quantity"],
                    estimated_delivery=data["estimated_delivery"],
                    delivery=data["delivery"],
                    made_by=data["made_by"],
                )
            except CampaignError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Reward “%(title)s” added.") % {"title": data["title"]}
                )
                return self.back()
        return self.render_to_response(self.get_context_data(tier_form=form))

    def do_update(self, request):
        form = UpdateForm(request.POST)
        if form.is_valid():
            try:
                services.update_post(
                    campaign=self.campaign,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    author=request.user,
                )
            except CampaignError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Update published."))
                return self.back()
        return self.render_to_response(self.get_context_data(update_form=form))

    def do_fulfil(self, request):
        form = FulfilForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose how the reward was delivered."))
            return self.back()
        claim = get_object_or_404(
            RewardClaim, pk=form.cleaned_data["claim"], tier__campaign=self.campaign
        )
        try:
            reward_fulfil(
                claim=claim,
                status=form.cleaned_data["status"],
                by=request.user,
                tracking=form.cleaned_data["tracking"],
            )
        except RewardError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Reward of pledge %(pledge)s marked as delivered.")
                % {"pledge": claim.pledge_id},
            )
        return self.back()

    def do_offline(self, request):
        form = OfflinePledgeForm(request.POST, campaign=self.campaign)
        if form.is_valid():
            try:
                pledge = services.pledge_offline_record(
                    campaign=self.campaign,
                    recorded_by=request.user,
                    **form.service_kwargs(),
                )
            except PledgeBelowMinimum as error:
                form.add_error("amount", str(error))
            except (CampaignError, RewardError) as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Pledge %(pledge)s recorded. It counts once a second "
                        "operator confirms the money."
                    )
                    % {"pledge": pledge.pk},
                )
                return self.back()
        return self.render_to_response(self.get_context_data(offline_form=form))

    def do_close(self, request):
        """The close runs in a worker (it may charge thousands of cards); in a
        laptop demo, without a broker, it runs at once."""
        from ..tasks import campaign_close_task

        if self.campaign.deadline > timezone.now():
            messages.error(request, _("The campaign closes only after its deadline."))
            return self.back()
        try:
            campaign_close_task.delay(self.campaign.pk)
        except CampaignError as error:
            messages.error(request, str(error))
            return self.back()
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        if campaign.status in {C.LIVE, C.CHARGING}:
            messages.success(
                request, _("The campaign is closing: the cards are being charged.")
            )
        else:
            messages.success(
                request,
                _("The campaign is closed: %(status)s.")
                % {"status": campaign.get_status_display()},
            )
        return self.back()
