"""Turning a winning project into a campaign, its tiers and its updates."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from participation.exceptions import ProcessError
from participation.models import Project
from participation.services.images import image_strip_metadata
from rewards.models import RewardTier

from ..exceptions import CampaignError, CampaignStateError
from ..models import Campaign, CampaignEvent, CampaignUpdate, FundingModel
from ..page_cache import campaign_changed

C = Campaign.Status


def _event(campaign: Campaign, kind: str, **detail) -> None:
    CampaignEvent.objects.create(campaign=campaign, kind=kind, detail=detail)


def project_is_winner(project: Project) -> bool:
    result = getattr(project.process, "result", None)
    return bool(result and project.code in (result.winners or []))


def campaign_initial(project: Project) -> dict:
    """What the campaign form starts from: the project's title, story and cost."""
    today = timezone.localdate()
    return {
        "title": project.title,
        "story": project.description,
        "goal_cents": project.cost_cents,
        "slug": slugify(f"{project.process.slug}-{project.code}-{project.title}")[:80],
        "funding_model": FundingModel.ALL_OR_NOTHING,
        "starts_on": today,
        "deadline_on": today + datetime.timedelta(days=45),
    }


def campaign_create(
    *,
    project: Project,
    title: str,
    story: str,
    slug: str,
    goal_cents: int,
    starts_at: datetime.datetime,
    deadline: datetime.datetime,
    funding_model: str = FundingModel.ALL_OR_NOTHING,
    stretch_goal_cents: int | None = None,
    image=None,
    created_by=None,
) -> Campaign:
    """A draft campaign for a winning project; raises CampaignError.

    Only a project that won its process's vote can be crowdfunded, once.
    """
    if not project_is_winner(project):
        raise CampaignError(_("Only a project that won the vote can be crowdfunded."))
    if goal_cents < 100:
        raise CampaignError(_("The goal must be at least 1 EUR."))
    if stretch_goal_cents is not None and stretch_goal_cents <= goal_cents:
        raise CampaignError(_("The optimum goal must be above the goal."))
    if deadline <= starts_at:
        raise CampaignError(_("The deadline must come after the start."))
    if deadline <= timezone.now():
        raise CampaignError(_("The deadline must be in the future."))
    if funding_model not in FundingModel.values:
        raise CampaignError(_("Unknown funding model."))
    picture = None
    if image:
        try:
            picture = image_strip_metadata(image)
        except ProcessError as error:
            raise CampaignError(str(error)) from error
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                community=project.process.community,
                project=project,
                slug=slug,
                title=title,
                story=story,
                goal_cents=goal_cents,
                stretch_goal_cents=stretch_goal_cents,
                currency=project.process.currency,
                funding_model=funding_model,
                starts_at=starts_at,
                deadline=deadline,
                image=picture or "",
                created_by=created_by,
            )
            _event(campaign, "created", by=getattr(created_by, "pk", None))
    except IntegrityError as error:
        if Campaign.objects.filter(project=project).exists():
            raise CampaignError(_("This project has a campaign already.")) from error
        raise CampaignError(_("This address is taken: choose another.")) from error
    return campaign


@transaction.atomic
def campaign_publish(*, campaign: Campaign, by=None) -> Campaign:
    """Open a draft campaign to pledges (from its start date)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != C.DRAFT:
        raise CampaignStateError(_("Only a draft can be published."))
    if campaign.deadline <= timezone.now():
        raise CampaignStateError(_("The deadline has passed: move it first."))
    campaign.status = C.LIVE
    campaign.save(update_fields=["status"])
    _event(campaign, "published", by=getattr(by, "pk", None))
    campaign_changed(campaign.pk)
    return campaign


def tier_create(
    *,
    campaign: Campaign,
    title: str,
    min_pledge_cents: int,
    description: str = "",
    quantity: int | None = None,
    estimated_delivery=None,
    delivery: str = "pickup",
    made_by: str = "",
) -> RewardTier:
    if campaign.status not in {C.DRAFT, C.LIVE}:
        raise CampaignStateError(_("A closed campaign takes no new rewards."))
    if min_pledge_cents < 100:
        raise CampaignError(_("A reward's minimum pledge is at least 1 EUR."))
    if quantity is not None and quantity < 1:
        raise CampaignError(_("A limited reward needs at least one unit."))
    campaign_changed(campaign.pk)
    return RewardTier.objects.create(
        campaign=campaign,
        title=title,
        description=description,
        min_pledge_cents=min_pledge_cents,
        quantity=quantity,
        estimated_delivery=estimated_delivery,
        delivery=delivery,
        made_by=made_by,
        position=campaign.tiers.count(),
    )


def update_post(*, campaign: Campaign, title: str, body: str, author) -> CampaignUpdate:
    if not title.strip() or not body.strip():
        raise CampaignError(_("An update needs a title and a text."))
    campaign_changed(campaign.pk)
    return CampaignUpdate.objects.create(
        campaign=campaign, title=title.strip(), body=body.strip(), author=author
    )
