"""A citizen backs an all-or-nothing campaign with a card, in the browser.

The card form is localstripe's stand-in for Stripe.js (text inputs with the
placeholders number, exp_month, exp_year, cvc, postal_code); the pledge moves
when the server learns the card's state from the emulator: from a signed
webhook, or, for a saved card (localstripe sends no webhook for it), by asking
the emulator when the backer comes back to the pledge page.
"""

import datetime
import re
import time
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import services
from campaigns.models import Campaign, Pledge
from participation.models import ProcessResult
from payments.ledger import account_balance
from rewards.models import RewardTier
from tests.factories import (
    TEST_PASSWORD,
    CommunityFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)
from tests.payments.test_webhooks import SECRET, URL, _webhook_to

from .helpers import read as _read
from .helpers import reload_until as _reload_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
WIDTHS = {"wide": 1200, "phone": 390}


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size({"width": WIDTHS["wide"], "height": 900})


@pytest.fixture
def campaign():
    community = CommunityFactory(name="Idee in fuga", slug="idee-in-fuga")
    process = ProcessFactory(
        community=community, slug="bilancio-2026", title="Bilancio 2026"
    )
    project = ProjectFactory(
        process=process, code="P01", title="Falegnameria", cost_cents=150_000
    )
    ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=["P01"],
        explanation={"rows": [{"code": "P01", "votes": 57, "position": 1}]},
        ballots_counted=120,
    )
    now = timezone.now()
    campaign = services.campaign_create(
        project=project,
        title="Attrezzi per la falegnameria",
        story="Nuovi attrezzi per il laboratorio di falegnameria del carcere.\n\n"
        "Ogni ciotola è tornita a mano dai detenuti del laboratorio.",
        slug="falegnameria",
        goal_cents=2_000,
        starts_at=now - datetime.timedelta(minutes=5),
        deadline=now + datetime.timedelta(days=20),
    )
    services.tier_create(
        campaign=campaign,
        title="Ciotola in legno",
        description="Una ciotola di noce tornita a mano.",
        min_pledge_cents=1_500,
        quantity=10,
        made_by="Laboratorio di falegnameria",
        estimated_delivery=datetime.date(2026, 9, 1),
    )
    services.tier_create(
        campaign=campaign, title="Grazie pubblico", min_pledge_cents=500
    )
    services.update_post(
        campaign=campaign,
        title="Il tornio è arrivato",
        body="Abbiamo ordinato il tornio.",
        author=None,
    )
    return services.campaign_publish(campaign=campaign)


def test_a_citizen_pledges_with_a_card_and_is_charged_when_the_campaign_succeeds(
    live_server, page, stripe_emulator, settings, request, campaign
):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_JS_URL = f"{stripe_emulator}/js.stripe.com/v3/"
    _webhook_to(stripe_emulator, f"{live_server.url}{URL}")
    request.addfinalizer(lambda: _webhook_to(stripe_emulator, "http://127.0.0.1:9/"))
    citizen = UserFactory(email="giulia@example.org", display_name="Giulia")
    page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/campaigns/falegnameria/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Attrezzi per la falegnameria"
    )
    expect(page.get_by_text("10 left of 10")).to_be_visible()
    expect(
        page.get_by_text("your card is charged only if the goal is reached by")
    ).to_be_visible()
    _shoot(page, "1-campaign")

    page.get_by_role("link", name="Pledge for “Ciotola in legno”").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("E-mail").fill(citizen.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your pledge")
    amount = page.get_by_label("Your pledge (EUR)")
    expect(amount).to_have_value("15.00")
    amount.fill("25,50")
    _shoot(page, "2-pledge-form")
    page.get_by_role("button", name="Continue to the card").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your card")
    expect(page.get_by_placeholder("number")).to_be_visible()
    page.get_by_placeholder("number").fill("4242424242424242")
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("30")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("00100")
    _shoot(page, "3-pay")
    page.get_by_role("button", name="Save my card for €25.50").click()

    expect(page).to_have_url(re.compile(r"/campaigns/pledges/\d+/$"), timeout=15_000)
    # The emulator sends no webhook for a saved card: the pledge page asks
    # Stripe itself, from the server, where the SetupIntent stands.
    pledge = _read(lambda: Pledge.objects.select_related("payment").get(backer=citizen))
    _reload_until(
        page, page.get_by_text("Card saved: charged if the campaign succeeds")
    )
    receipt_link = page.get_by_role("link", name="Pledge receipt (PDF)")
    _reload_until(page, receipt_link)
    _shoot(page, "4-pledge")
    with page.expect_download() as download_info:
        receipt_link.first.click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF")

    _read(pledge.refresh_from_db)
    assert (pledge.amount_cents, pledge.status) == (2550, Pledge.Status.COMMITTED)
    assert pledge.reward_claim.tier.title == "Ciotola in legno"
    assert RewardTier.objects.get(title="Ciotola in legno").claimed == 1

    # The deadline passes; the scheduled close charges the saved card. The
    # webhook is switched off first: the close records the charge itself, and
    # SQLite's test database refuses two writing threads.
    _webhook_to(stripe_emulator, "http://127.0.0.1:9/")
    time.sleep(1)
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=now - datetime.timedelta(days=21),
        deadline=now - datetime.timedelta(seconds=1),
    )
    closed = services.campaign_close(campaign=Campaign.objects.get(pk=campaign.pk))

    pledge.refresh_from_db()
    assert closed.status == Campaign.Status.SUCCEEDED
    assert pledge.status == Pledge.Status.PAID
    assert account_balance(campaign.project_fund_code) == -2550
    assert account_balance(campaign.account_code) == 0

    page.goto(f"{live_server.url}/campaigns/me/")
    row = page.get_by_role("row").filter(has_text="Attrezzi per la falegnameria")
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text("Ciotola in legno")
    _shoot(page, "6-my-pledges")
    page.goto(f"{live_server.url}/campaigns/falegnameria/")
    expect(page.get_by_text("1 backer", exact=True)).to_be_visible()
    expect(page.get_by_text("9 left of 10")).to_be_visible()
    expect(page.get_by_role("region", name="Recent backers")).to_contain_text("Giulia")
    _shoot(page, "5-campaign-funded")
