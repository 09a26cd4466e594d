"""The campaign pages: who sees what, the pledge form, the facilitators' page."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, CampaignUpdate, Pledge, Receipt
from participation.models import ProcessResult, Role
from payments.models import Payment
from rewards.models import RewardClaim, RewardTier
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
SHIPPING = {
    "ship_name": "Giulia Rossi",
    "ship_address": "Via Roma 1",
    "ship_postcode": "00100",
    "ship_city": "Roma",
}


def winning_project(community=None, *, code="P01"):
    process = ProcessFactory(community=community or CommunityFactory(), phase="results")
    project = ProjectFactory(process=process, code=code, cost_cents=50_000)
    ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=[code],
        explanation={"rows": [{"code": code, "votes": 42, "position": 1}]},
        ballots_counted=80,
    )
    return project


def make_campaign(project=None, *, publish=True, title="Carpentry workshop", **kw):
    project = project or winning_project()
    now = timezone.now()
    campaign = services.campaign_create(
        project=project,
        title=title,
        story="Tools for the workshop.",
        slug=kw.pop("slug", f"campaign-{project.pk}"),
        goal_cents=kw.pop("goal_cents", 10_000),
        starts_at=now - datetime.timedelta(minutes=1),
        deadline=now + datetime.timedelta(days=30),
        **kw,
    )
    if publish:
        campaign = services.campaign_publish(campaign=campaign)
    return campaign


def tier(campaign, **kw):
    return services.tier_create(
        campaign=campaign,
        title=kw.pop("title", "Wooden bowl"),
        min_pledge_cents=kw.pop("min_pledge_cents", 2_500),
        **kw,
    )


def facilitator_of(community):
    return MembershipFactory(community=community, role=Role.FACILITATOR).user


def pledge(campaign, backer=None, *, amount_cents=3_000, status=None, **kw):
    made = services.pledge_create(
        campaign=campaign,
        amount_cents=amount_cents,
        backer=backer or UserFactory(),
        **kw,
    )
    if status:
        # Test data: the card or the webhook would bring the pledge there.
        Pledge.objects.filter(pk=made.pk).update(status=status)
        made.refresh_from_db()
    return made


@pytest.fixture(autouse=True)
def english(client):
    """Assertions read the English source text (Italian has its own tests)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def people():
    campaign = make_campaign()
    backer = UserFactory()
    return {
        "campaign": campaign,
        "backer": backer,
        "other": UserFactory(),
        "facilitator": facilitator_of(campaign.community),
        "pledge": pledge(campaign, backer),
    }


def _status(client, user, url, method="get"):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = getattr(client, method)(url)
    if response.status_code == 302:
        return "login" if "/accounts/login/" in response["Location"] else 302
    return response.status_code


# --- who may open what -------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("list", {"anonymous": 200, "backer": 200, "other": 200, "facilitator": 200}),
        ("detail", {"anonymous": 200, "backer": 200, "other": 200, "facilitator": 200}),
        (
            "pledge-create",
            {"anonymous": "login", "backer": 200, "other": 200, "facilitator": 200},
        ),
        (
            "pledge",
            {"anonymous": "login", "backer": 200, "other": 404, "facilitator": 404},
        ),
        (
            "my-pledges",
            {"anonymous": "login", "backer": 200, "other": 200, "facilitator": 200},
        ),
        (
            "manage",
            {"anonymous": "login", "backer": 403, "other": 403, "facilitator": 200},
        ),
        (
            "create",
            {"anonymous": "login", "backer": 403, "other": 403, "facilitator": 200},
        ),
    ],
)
def test_each_page_answers_each_kind_of_visitor(client, people, page, expected):
    campaign = people["campaign"]
    project = winning_project(campaign.community, code="P02")
    url = {
        "list": reverse("campaigns:list"),
        "detail": campaign.get_absolute_url(),
        "pledge-create": reverse("campaigns:pledge-create", args=[campaign.slug]),
        "pledge": reverse("campaigns:pledge", args=[people["pledge"].pk]),
        "my-pledges": reverse("campaigns:my-pledges"),
        "manage": reverse("campaigns:manage", args=[campaign.slug]),
        "create": reverse("campaigns:create", args=[project.pk]),
    }[page]

    got = {
        who: _status(client, people.get(who), url)
        for who in ("anonymous", "backer", "other", "facilitator")
    }

    assert got == expected


def test_a_draft_is_seen_by_its_facilitators_only(client):
    campaign = make_campaign(publish=False)
    facilitator = facilitator_of(campaign.community)
    url = campaign.get_absolute_url()

    assert _status(client, None, url) == 404
    assert _status(client, UserFactory(), url) == 404
    assert _status(client, None, reverse("campaigns:list")) == 200
    assert campaign.title not in client.get(reverse("campaigns:list")).content.decode()
    assert _status(client, facilitator, url) == 200
    assert (
        _status(client, None, reverse("campaigns:pledge-create", args=[campaign.slug]))
        == "login"
    )
    assert (
        _status(
            client,
            UserFactory(),
            reverse("campaigns:pledge-create", args=[campaign.slug]),
        )
        == 404
    )


def test_a_receipt_is_served_to_its_backer_and_the_facilitators_only(
    client, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    receipt = Receipt(pledge=people["pledge"], kind=Receipt.Kind.PLEDGE)
    receipt.file.save("pledge-1.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    url = reverse("campaigns:receipt", args=[people["pledge"].pk, receipt.pk])

    assert _status(client, None, url) == "login"
    assert _status(client, people["other"], url) == 404
    client.force_login(people["backer"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert ".pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert _status(client, people["facilitator"], url) == 200
    other_pledge = pledge(people["campaign"], people["other"])
    assert (
        _status(
            client,
            people["backer"],
            reverse("campaigns:receipt", args=[other_pledge.pk, receipt.pk]),
        )
        == 404
    )


def test_the_pay_page_is_for_the_backer_and_starts_a_card_setup(
    client, people, stripe_emulator
):
    url = reverse("campaigns:pledge-pay", args=[people["pledge"].pk])

    assert _status(client, None, url) == "login"
    assert _status(client, people["other"], url) == 404
    assert _status(client, people["facilitator"], url) == 404
    client.force_login(people["backer"])
    response = client.get(url)

    assert response.status_code == 200
    assert response.context["mode"] == "setup"
    assert response.context["client_secret"].startswith("seti_")
    assert 'data-mode="setup"' in response.content.decode()
    assert Pledge.objects.get(pk=people["pledge"].pk).status == Pledge.Status.PENDING


def test_the_pay_page_of_a_pledge_not_waiting_for_a_card_goes_to_the_pledge(
    client, people
):
    Pledge.objects.filter(pk=people["pledge"].pk).update(status="committed")
    client.force_login(people["backer"])

    response = client.get(reverse("campaigns:pledge-pay", args=[people["pledge"].pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "campaigns:pledge", args=[people["pledge"].pk]
    )


def test_a_match_round_page_shows_a_preview_before_the_close(client, people):
    round_ = services.match_round_create(
        community=people["campaign"].community,
        title="Fondazione round",
        sponsor="Fondazione Esempio",
        pool_cents=50_000,
        mode="quadratic",
        campaigns=[people["campaign"]],
        recorded_by=people["facilitator"],
    )

    response = client.get(round_.get_absolute_url())

    text = response.content.decode()
    assert response.status_code == 200
    assert "Preview" in text
    assert "many small backers weigh more than one large one" in text
    assert people["campaign"].title in text
    assert client.get("/campaigns/match/999999/").status_code == 404


# --- the pledge form ---------------------------------------------------------


def _post_pledge(client, campaign, user, data, tier=None):
    client.force_login(user)
    url = reverse("campaigns:pledge-create", args=[campaign.slug])
    if tier is not None:
        url += f"?tier={tier.pk}"
    return client.post(url, data)


def test_a_pledge_for_a_reward_is_recorded_and_goes_to_the_card(client, people):
    campaign, backer = people["campaign"], people["other"]
    bowl = tier(campaign, quantity=5, delivery="shipping")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "it"
    client.force_login(backer)
    form = client.get(
        reverse("campaigns:pledge-create", args=[campaign.slug]) + f"?tier={bowl.pk}"
    )
    assert form.context["form"]["amount"].value() == "25,00"
    assert "€\xa025,00" in form.content.decode()

    response = _post_pledge(
        client,
        campaign,
        backer,
        {"amount": "30,50", "anonymous": "on", **SHIPPING},
        tier=bowl,
    )

    made = Pledge.objects.get(backer=backer)
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:pledge-pay", args=[made.pk])
    assert (made.amount_cents, made.anonymous, made.language) == (3050, True, "it")
    assert made.reward_claim.tier == bowl
    assert made.reward_claim.ship_city == "Roma"
    assert RewardTier.objects.get(pk=bowl.pk).claimed == 1


@pytest.mark.parametrize(
    ("case", "data", "field", "message"),
    [
        (
            "below the reward",
            {"amount": "24,99", **SHIPPING},
            "amount",
            "at least €25.00",
        ),
        (
            "not an amount",
            {"amount": "venti", **SHIPPING},
            "amount",
            "Write an amount in euro",
        ),
        ("empty", {"amount": "", **SHIPPING}, "amount", "This field is required"),
        ("too large", {"amount": "1e20", **SHIPPING}, "amount", "too large"),
        ("no address", {"amount": "30"}, "ship_address", "This field is required"),
    ],
)
def test_a_pledge_form_with_a_mistake_says_what_and_writes_nothing(
    client, people, case, data, field, message
):
    campaign = people["campaign"]
    bowl = tier(campaign, quantity=5, delivery="shipping")
    pledges_before = Pledge.objects.count()

    response = _post_pledge(
        client, campaign, people["other"], {**data, "anonymous": "on"}, tier=bowl
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert response.context["form"]["amount"].value() == data["amount"]
    assert response.context["form"]["anonymous"].value() is True
    assert Pledge.objects.count() == pledges_before
    assert RewardTier.objects.get(pk=bowl.pk).claimed == 0
    assert not Payment.objects.filter(amount_cents__gt=10**10).exists()


def test_a_pledge_below_one_euro_is_refused(client, people):
    before = Pledge.objects.count()

    response = _post_pledge(
        client, people["campaign"], people["other"], {"amount": "0,50"}
    )

    assert response.status_code == 200
    assert "at least 1 EUR" in " ".join(response.context["form"].errors["amount"])
    assert Pledge.objects.count() == before


def test_a_sold_out_reward_is_refused_and_nothing_is_written(client, people):
    campaign = people["campaign"]
    last = tier(campaign, quantity=1)
    pledge(campaign, tier=last)
    before = Pledge.objects.count()
    client.force_login(people["other"])
    page = client.get(
        reverse("campaigns:pledge-create", args=[campaign.slug]) + f"?tier={last.pk}"
    )
    assert "is sold out" in page.content.decode()

    response = _post_pledge(client, campaign, people["other"], {"amount": "30"}, last)

    assert response.status_code == 200
    assert "sold out" in " ".join(response.context["form"].non_field_errors())
    assert Pledge.objects.count() == before
    assert RewardTier.objects.get(pk=last.pk).claimed == 1


def test_a_tier_of_another_campaign_or_garbage_is_a_404(client, people):
    elsewhere = tier(make_campaign(slug="elsewhere"))
    client.force_login(people["other"])
    url = reverse("campaigns:pledge-create", args=[people["campaign"].slug])

    assert client.get(f"{url}?tier={elsewhere.pk}").status_code == 404
    assert client.get(f"{url}?tier=abc").status_code == 404
    assert client.post(f"{url}?tier=1x", {"amount": "5"}).status_code == 404
    assert Pledge.objects.count() == 1


def test_a_closed_campaign_takes_no_pledge(client, people):
    campaign = people["campaign"]
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=timezone.now() - datetime.timedelta(days=2),
        deadline=timezone.now() - datetime.timedelta(days=1),
    )
    before = Pledge.objects.count()

    response = _post_pledge(client, campaign, people["other"], {"amount": "30"})

    assert response.status_code == 200
    assert "does not take pledges now" in response.content.decode()
    assert Pledge.objects.count() == before


def test_a_pledge_without_reward_to_a_nonprofit_asks_for_the_receipt_data(client):
    campaign = make_campaign(project=winning_project(CommunityFactory(nonprofit=True)))
    backer = UserFactory()

    page = _post_pledge(client, campaign, backer, {})
    assert "For the donation receipt" in page.content.decode()
    response = _post_pledge(
        client,
        campaign,
        backer,
        {
            "amount": "50",
            "donor_tax_code": "rssglu80a41f205x",
            "donor_address": "Via A",
        },
    )

    made = Pledge.objects.get(backer=backer)
    assert response.status_code == 302
    assert (made.amount_cents, made.donor_tax_code) == (5000, "RSSGLU80A41F205X")


# --- the pledge page -----------------------------------------------------------


def test_the_pledge_page_refreshes_while_pending_and_offers_withdrawal(client, people):
    client.force_login(people["backer"])
    url = reverse("campaigns:pledge", args=[people["pledge"].pk])

    pending = client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in pending
    assert "Confirming your card" in pending
    assert "Withdraw my pledge" in pending

    client.post(reverse("campaigns:pledge-withdraw", args=[people["pledge"].pk]))

    assert Pledge.objects.get(pk=people["pledge"].pk).status == Pledge.Status.CANCELED
    canceled = client.get(url).content.decode()
    assert "http-equiv" not in canceled
    assert "Withdraw my pledge" not in canceled


def test_a_pledge_that_needs_action_shows_the_pay_link(client, people):
    Pledge.objects.filter(pk=people["pledge"].pk).update(status="action_required")
    client.force_login(people["backer"])

    page = client.get(reverse("campaigns:pledge", args=[people["pledge"].pk]))
    mine = client.get(reverse("campaigns:my-pledges"))

    assert "/payments/pay/" in page.content.decode()
    assert page.context["pay_url"].startswith("/payments/pay/")
    assert [p.pk for p in mine.context["needs_action"]] == [people["pledge"].pk]


def test_only_the_backer_can_withdraw(client, people):
    client.force_login(people["other"])

    response = client.post(
        reverse("campaigns:pledge-withdraw", args=[people["pledge"].pk])
    )

    assert response.status_code == 404
    assert Pledge.objects.get(pk=people["pledge"].pk).status == Pledge.Status.PENDING


# --- the campaign page ------------------------------------------------------------


def _filled(campaign, n):
    for i in range(n):
        tier(campaign, title=f"Reward {i}", quantity=100 if i % 2 else None)
        services.update_post(
            campaign=campaign, title=f"News {i}", body="Text.", author=None
        )
        pledge(
            campaign, amount_cents=1_000 + i, status="committed", anonymous=i % 3 == 0
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def test_the_campaign_page_makes_the_same_queries_for_2_or_30_of_everything(
    client, settings
):
    # Each body kept at once (no page version is recent): count the cached one.
    settings.CAMPAIGN_PAGE_BUMP_WINDOW = 0
    small, large = make_campaign(slug="small"), make_campaign(slug="large")
    _filled(small, 2)
    _filled(large, 30)
    client.force_login(UserFactory())
    client.get(small.get_absolute_url())  # warm the session and content types

    cache.clear()  # count a page rendered afresh, not one from the cache
    small_count, _ = _queries(client, small.get_absolute_url())
    large_count, response = _queries(client, large.get_absolute_url())
    cached_count, _ = _queries(client, large.get_absolute_url())

    assert small_count == large_count
    assert small_count <= 15
    assert cached_count < large_count
    text = response.content.decode()
    assert "Reward 29" in text and "News 29" in text
    assert "Anonymous" in text


def test_the_campaign_page_shows_figures_rewards_and_origin(client, people):
    campaign = people["campaign"]
    tier(campaign, title="Bowl", quantity=3, made_by="Carpentry workshop")
    tier(campaign, title="Thanks", min_pledge_cents=500)
    pledge(campaign, amount_cents=4_000, status="committed")

    text = client.get(campaign.get_absolute_url()).content.decode()

    assert "€40.00" in text and "€100.00" in text  # pledged of goal
    assert "3 left of 3" in text
    assert "Unlimited" in text
    assert "your card is charged only if the goal is reached by" in text
    assert "42 votes" in text and "80 ballots" in text
    assert campaign.project.process.get_absolute_url() in text
    assert "Pledge without a reward" in text


def test_a_script_in_a_title_is_shown_as_text(client):
    campaign = make_campaign(title="<script>alert(1)</script>", slug="xss")
    tier(campaign, title="<script>alert(2)</script>")

    text = client.get(campaign.get_absolute_url()).content.decode()
    listed = client.get(reverse("campaigns:list")).content.decode()

    assert "<script>alert(" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in text
    assert "<script>alert(" not in listed


# --- facilitators ------------------------------------------------------------------


def test_a_facilitator_starts_a_campaign_from_a_winning_project(client):
    project = winning_project()
    facilitator = facilitator_of(project.process.community)
    client.force_login(facilitator)
    url = reverse("campaigns:create", args=[project.pk])
    form = client.get(url).context["form"]
    assert form["title"].value() == project.title
    assert form["goal_cents"].value() == "500.00"

    response = client.post(
        url,
        {
            "title": "Laboratorio",
            "story": "Una storia.",
            "slug": "laboratorio",
            "goal_cents": "1.500",
            "stretch_goal_cents": "",
            "starts_on": "2030-03-01",
            "deadline_on": "2030-04-15",
            "funding_model": "all_or_nothing",
        },
    )

    campaign = Campaign.objects.get(project=project)
    assert response["Location"] == reverse("campaigns:manage", args=["laboratorio"])
    assert (campaign.goal_cents, campaign.status) == (150_000, "draft")
    assert campaign.starts_at == datetime.datetime(2030, 3, 1, 0, 0, tzinfo=ROME)
    assert campaign.deadline == datetime.datetime(2030, 4, 15, 23, 59, 59, tzinfo=ROME)
    assert campaign.created_by == facilitator
    again = client.get(url)
    assert again["Location"] == reverse("campaigns:manage", args=["laboratorio"])


def test_a_campaign_form_with_mistakes_keeps_the_input(client):
    project = winning_project()
    make_campaign(winning_project(code="P09"), slug="taken")
    client.force_login(facilitator_of(project.process.community))
    url = reverse("campaigns:create", args=[project.pk])
    data = {
        "title": "T",
        "story": "S",
        "slug": "taken",
        "goal_cents": "100",
        "stretch_goal_cents": "50",
        "starts_on": "2030-03-10",
        "deadline_on": "2030-03-01",
        "funding_model": "keep_it_all",
    }

    bad = client.post(url, data)
    assert set(bad.context["form"].errors) == {"deadline_on", "stretch_goal_cents"}
    taken = client.post(
        url, {**data, "stretch_goal_cents": "", "deadline_on": "2030-04-01"}
    )
    assert "This address is taken" in taken.content.decode()
    assert taken.context["form"]["title"].value() == "T"
    reserved = client.post(url, {**data, "slug": "me", "stretch_goal_cents": ""})
    assert "slug" in reserved.context["form"].errors
    assert not Campaign.objects.filter(project=project).exists()


def test_a_losing_project_cannot_become_a_campaign(client):
    project = winning_project()
    loser = ProjectFactory(process=project.process, code="P77")
    client.force_login(facilitator_of(project.process.community))

    response = client.get(reverse("campaigns:create", args=[loser.pk]))

    assert response.status_code == 302
    assert not Campaign.objects.exists()


def test_a_facilitator_runs_the_campaign_from_its_manage_page(client):
    campaign = make_campaign(publish=False)
    facilitator = facilitator_of(campaign.community)
    client.force_login(facilitator)
    url = reverse("campaigns:manage", args=[campaign.slug])

    client.post(
        url,
        {
            "action": "tier",
            "tier-title": "Box",
            "tier-min_pledge_cents": "20",
            "tier-quantity": "",
            "tier-delivery": "shipping",
            "tier-made_by": "Workshop",
        },
    )
    bad_tier = client.post(
        url,
        {
            "action": "tier",
            "tier-title": "Cheap",
            "tier-min_pledge_cents": "0,50",
            "tier-delivery": "pickup",
        },
    )
    client.post(url, {"action": "publish"})
    client.post(url, {"action": "update", "update-title": "News", "update-body": "Hi"})
    client.post(
        url,
        {
            "action": "offline",
            "offline-backer_name": "Mario Bianchi",
            "offline-amount": "40",
            "offline-method": "cash",
            "offline-place": "Desk",
        },
    )

    box = RewardTier.objects.get(campaign=campaign)
    assert (box.title, box.min_pledge_cents, box.quantity) == ("Box", 2_000, None)
    assert "at least 1 EUR" in bad_tier.content.decode()
    assert bad_tier.context["tier_form"]["title"].value() == "Cheap"
    assert Campaign.objects.get(pk=campaign.pk).status == "live"
    assert CampaignUpdate.objects.get(campaign=campaign).title == "News"
    offline = Pledge.objects.get(campaign=campaign, backer_name="Mario Bianchi")
    assert offline.payment.method == "cash"
    assert offline.payment.status == Payment.Status.AWAITING_CONFIRMATION
    assert offline.payment.recorded_by == facilitator

    backer = UserFactory(first_name="Anna", last_name="Verdi")
    shipped = pledge(
        campaign,
        backer,
        tier=box,
        shipping={"name": "Anna V", "address": "Via B 2", "postcode": "1", "city": "X"},
    )
    page = client.get(url).content.decode()
    assert "Anna Verdi" in page and "Via B 2" in page
    assert reverse("payments:staff-payments") in page
    assert "Close now" not in page

    client.post(
        url,
        {
            "action": "fulfil",
            "claim": shipped.reward_claim.pk,
            "status": "shipped",
            "tracking": "RR123",
        },
    )
    claim = RewardClaim.objects.get(pk=shipped.reward_claim.pk)
    assert (claim.status, claim.tracking, claim.fulfilled_by) == (
        "shipped",
        "RR123",
        facilitator,
    )

    early = client.post(url, {"action": "close"}, follow=True)
    assert "closes only after its deadline" in early.content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=timezone.now() - datetime.timedelta(days=2),
        deadline=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert "Close now" in client.get(url).content.decode()
    client.post(url, {"action": "close"})
    assert Campaign.objects.get(pk=campaign.pk).status == "failed"
    assert client.post(url, {"action": "nonsense"}).status_code == 302


def test_the_results_page_links_the_winners_campaigns(client):
    project = winning_project()
    community = project.process.community
    without = ProjectFactory(process=project.process, code="P03")
    ProjectFactory(process=project.process, code="P04")  # lost the vote
    ProcessResult.objects.filter(process=project.process).update(
        winners=["P01", "P03"], explanation={"rows": []}
    )
    campaign = make_campaign(project, title="Orto in carcere")
    url = reverse("participation:results", args=[community.slug, project.process.slug])

    public = client.get(url).content.decode()
    client.force_login(facilitator_of(community))
    facilitating = client.get(url).content.decode()

    assert f'href="{campaign.get_absolute_url()}"' in public
    assert "Orto in carcere" in public
    assert "/campaigns/new/" not in public
    assert "P04" not in public
    assert reverse("campaigns:create", args=[without.pk]) in facilitating
    assert reverse("campaigns:manage", args=[campaign.slug]) in facilitating
    overview = client.get(project.process.get_absolute_url()).content.decode()
    assert reverse("campaigns:create", args=[without.pk]) in overview


# --- match rounds, by facilitators --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_facilitator_opens_a_round_and_allocates_it_after_the_close(
    client, stripe_emulator
):
    from campaigns.models import MatchRound
    from payments.ledger import account_balance
    from payments.services import offline_confirm
    from tests.campaigns.conftest import live_campaign as _live
    from tests.campaigns.conftest import past_deadline, saved_card_pledge
    from tests.campaigns.conftest import winning_project as _winner
    from tests.factories import MembershipFactory

    project = _winner(code="R1")
    community = project.process.community
    facilitator = MembershipFactory(community=community, role="facilitator").user
    other = MembershipFactory(community=community, role="facilitator").user
    campaign = _live(project=project, slug="round-campaign", goal_cents=1_000)
    saved_card_pledge(campaign, amount_cents=1_600)
    url = reverse("campaigns:match-round-create", args=[community.slug])

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(facilitator)
    refused = client.post(url, {"title": "Raddoppio", "sponsor": "Comune"})
    assert refused.status_code == 200 and MatchRound.objects.count() == 0
    response = client.post(
        url,
        {
            "title": "Raddoppio",
            "sponsor": "Fondazione",
            "pool_cents": "1.000",
            "mode": "ratio",
            "factor_percent": "100",
            "cap_per_pledge_cents": "10",
            "campaigns": [campaign.pk],
        },
    )
    round_ = MatchRound.objects.get()
    assert response.status_code == 302
    assert round_.pool_cents == 100_000 and round_.cap_per_pledge_cents == 1_000

    allocate = reverse("campaigns:match-round-allocate", args=[round_.pk])
    client.post(allocate)  # campaign still live: refused with a message
    assert MatchRound.objects.get().status == "open"

    services.campaign_close(campaign=past_deadline(campaign))
    offline_confirm(
        payment=Payment.objects.get(purpose="match_pool"), confirmed_by=other
    )
    client.post(allocate)

    round_.refresh_from_db()
    assert round_.status == "closed"
    assert round_.allocations.get().amount_cents == 1_000  # capped per pledge
    assert account_balance(campaign.project_fund_code) == -2_600
    assert account_balance(round_.account_code) == -99_000
    page = client.get(round_.get_absolute_url()).content.decode()
    assert "Allocate the pool now" not in page


@pytest.mark.django_db(transaction=True)
def test_the_cached_campaign_page_shows_a_new_pledge_at_once(client):
    campaign = make_campaign(slug="fresh")
    client.get(campaign.get_absolute_url())  # now in the cache
    services.pledge_create(campaign=campaign, amount_cents=7_700, backer=UserFactory())
    Pledge.objects.filter(campaign=campaign).update(status="committed")
    services.tier_create(campaign=campaign, title="Fresh bread", min_pledge_cents=900)

    text = client.get(campaign.get_absolute_url()).content.decode()

    assert "Fresh bread" in text
    assert "€77.00" in text
