"""What every campaign page shares: loading the campaign and checking roles.

Roles are asked of ``participation.permissions`` only. A draft is seen by the
community's facilitators alone (a 404 for everybody else); a pledge and its
receipts by its backer (and, for receipts, the facilitators).
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from participation import permissions

from ..models import Campaign, Pledge


def campaign_get(slug: str, *, for_user) -> Campaign:
    campaign = get_object_or_404(
        # Only the community: the project and its process are read when the
        # page's body is rendered, which the cache makes rare.
        Campaign.objects.select_related("community"),
        slug=slug,
    )
    permissions.community_visible_or_404(for_user, campaign.community)
    if campaign.status == Campaign.Status.DRAFT and not permissions.can_facilitate(
        for_user, campaign.community
    ):
        raise Http404
    return campaign


def pledge_get(request, pk: int, *, facilitators: bool = False) -> Pledge:
    """The pledge ``pk`` if the request's user backed it (or facilitates its
    community, with ``facilitators``); others get a 404, so ids reveal nothing."""
    pledge = get_object_or_404(
        Pledge.objects.select_related(
            "campaign__community", "payment", "reward_claim__tier"
        ),
        pk=pk,
    )
    user = request.user
    if pledge.backer_id is not None and pledge.backer_id == user.pk:
        return pledge
    if facilitators and permissions.can_facilitate(user, pledge.campaign.community):
        return pledge
    raise Http404


class LoginRequiredMixin:
    """Anonymous people go to the login page and come back here."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


class CampaignMixin:
    """Loads ``self.campaign`` from the URL's slug; with ``facilitators_only``
    the user must facilitate the campaign's community (login first, then 403)."""

    facilitators_only = False

    def dispatch(self, request, *args, **kwargs):
        if self.facilitators_only and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.campaign = campaign_get(kwargs["slug"], for_user=request.user)
        self.can_facilitate = permissions.can_facilitate(
            request.user, self.campaign.community
        )
        if self.facilitators_only and not self.can_facilitate:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            campaign=self.campaign,
            community=self.campaign.community,
            can_facilitate=self.can_facilitate,
        )
        return context
