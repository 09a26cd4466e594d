"""Pages anyone can read: the campaigns, one campaign, one match round."""

from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from core import front_cache
from core.fragments import fragment_keep
from core.front_cache import front_cacheable
from participation import permissions

from .. import page_cache, selectors, services
from ..models import Campaign, MatchRound
from .base import CampaignMixin, campaign_get

C = Campaign.Status


@method_decorator(front_cacheable, name="dispatch")
class CampaignListView(TemplateView):
    template_name = "campaigns/campaign_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaigns = list(selectors.campaign_list_public())
        context["live"] = [c for c in campaigns if c.status == C.LIVE]
        context["closed"] = [c for c in campaigns if c.status != C.LIVE]
        return context


@method_decorator(front_cacheable, name="dispatch")
class CampaignDetailView(CampaignMixin, TemplateView):
    """The campaign page, in a fixed number of queries whatever its size."""

    template_name = "campaigns/campaign_detail.html"

    def get(self, request, *args, **kwargs):
        """The body comes from the cache until the campaign changes (see
        ``campaigns.page_cache``); only the page around it is rendered each time.

        Behind nginx the page of a public campaign is shared: the same for
        every visitor, logged in or not, with the menu and a facilitator's
        link as includes nginx fills in (``core.front_cache``)."""
        campaign = self.campaign
        # Shared only if an anonymous visitor sees this very page.
        shared = (
            front_cache.fragments_wanted(request)
            and permissions.can_view_community(AnonymousUser(), campaign.community)
            and campaign.status != C.DRAFT
        )
        if shared:
            self.can_facilitate = False  # the link comes as an include
        body = page_cache.body_get_or_render(
            campaign,
            language=request.LANGUAGE_CODE,
            facilitator=self.can_facilitate,
            render=lambda: render_to_string(
                "campaigns/_campaign_body.html",
                self.get_body_context(),
                request=request,
            ),
        )
        context = super().get_context_data(**kwargs)
        context["body"] = mark_safe(body)  # noqa: S308 - our own rendered template
        context["fragments"] = shared
        response = self.render_to_response(context)
        return front_cache.mark_shared(response) if shared else response

    def get_body_context(self):
        context = super().get_context_data()
        campaign = self.campaign
        context.update(
            totals=selectors.campaign_totals(campaign),
            tiers=selectors.campaign_tiers(campaign),
            updates=list(campaign.updates.all()),
            origin=selectors.campaign_origin(campaign),
            match_rounds=list(campaign.match_rounds.all()),
            backers=selectors.campaign_recent_backers(campaign),
            is_open=campaign.is_open,
            phase=campaign_phase(campaign),
        )
        return context


@require_safe
def campaign_manage_link(request, slug):
    """The "Manage this campaign" link of a shared campaign page, for its
    facilitators (nothing for everybody else; see ``core.fragments``)."""
    campaign = campaign_get(slug, for_user=request.user)
    response = render(
        request,
        "campaigns/_manage_link.html",
        {
            "campaign": campaign,
            "can_facilitate": permissions.can_facilitate(
                request.user, campaign.community
            ),
        },
    )
    return fragment_keep(response)


def campaign_phase(campaign: Campaign) -> str:
    """Where the campaign is in time, for its page: open, upcoming, closing
    (deadline passed, close not run yet) or closed."""
    if campaign.is_open:
        return "open"
    if campaign.status == C.LIVE:
        return "upcoming" if timezone.now() < campaign.starts_at else "closing"
    return "closed"


@method_decorator(front_cacheable, name="dispatch")
class MatchRoundView(TemplateView):
    template_name = "campaigns/match_round.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        round_ = get_object_or_404(
            MatchRound.objects.select_related("community"), pk=kwargs["pk"]
        )
        permissions.community_visible_or_404(self.request.user, round_.community)
        campaigns = list(round_.campaigns.exclude(status=C.DRAFT).order_by("title"))
        closed = round_.status == MatchRound.Status.CLOSED
        if closed:
            allocations = {
                a.campaign_id: {
                    "backers": a.backers,
                    "pledged_cents": a.pledged_cents,
                    "cents": a.amount_cents,
                    "capped": a.capped,
                }
                for a in selectors.match_round_allocations(round_)
            }
        else:
            allocations = {
                a.key: {"cents": a.cents, "capped": a.capped}
                for a in services.match_round_preview(round_)
            }
        rows = []
        for campaign in campaigns:
            totals = selectors.campaign_totals(campaign)
            allocation = allocations.get(campaign.pk)
            rows.append(
                {
                    "campaign": campaign,
                    "backers": allocation["backers"]
                    if closed and allocation
                    else totals["backers"],
                    "pledged_cents": allocation["pledged_cents"]
                    if closed and allocation
                    else totals["pledged_cents"],
                    "match_cents": allocation["cents"] if allocation else None,
                    "capped": bool(allocation and allocation["capped"]),
                }
            )
        context.update(
            round=round_,
            rows=rows,
            closed=closed,
            factor=Decimal(round_.factor_percent) / 100,
            funded_cents=services.match_pool_funded_cents(round_),
            can_facilitate=permissions.can_facilitate(
                self.request.user, round_.community
            ),
        )
        return context
