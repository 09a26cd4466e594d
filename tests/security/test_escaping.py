"""Every field a person types is rendered escaped.

Each test types script payloads into the fields of one form, through the
real view and as the role that may use it, then reads every page that shows
the values: the raw payload never appears, its escaped form does. A
completeness check fails when a text field is added to one of our forms and
not listed here, either as tested (``TESTED``) or with the reason it is not
(``NOT_SHOWN``).
"""

import datetime
import inspect
import re
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django import forms
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from oscar.core.loading import get_class, get_model

import accountability.forms
import accounts.forms
import campaigns.forms
import marketplace.checkout.views
import participation.forms
import payments.forms
from accountability.models import ResultsPeriod
from accounts.models import User
from campaigns import page_cache
from campaigns.models import Campaign, MatchRound, Pledge
from campaigns.services import tier_create
from marketplace.catalogue import (
    category_path,
    shop_partner_create,
    shop_product_create,
)
from participation.models import Assembly, Participant, Process, Proposal, Role
from rewards.models import RewardClaim
from tests.accountability.conftest import fund, pdf_upload
from tests.campaigns.conftest import live_campaign, winning_project
from tests.factories import (
    TEST_PASSWORD,
    AssemblyFactory,
    CommunityFactory,
    MembershipFactory,
    ProcessFactory,
    ProjectFactory,
    ProposalFactory,
    SectionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
OSCAR_FORMS = {  # the shop's forms our users fill
    name: get_class(module, name)
    for module, name in (
        ("catalogue.reviews.forms", "ProductReviewForm"),
        ("address.forms", "UserAddressForm"),
        ("customer.forms", "ProfileForm"),
    )
}
FORM_MODULES = (
    accounts.forms,
    participation.forms,
    campaigns.forms,
    accountability.forms,
    payments.forms,
    marketplace.checkout.views,
)


def payload(tag: str, max_length: int | None = None) -> str:
    """A payload that names its field: markup, an attribute break-out, an event
    handler and template syntax; a short one for short fields."""
    full = f'<script>alert("{tag}")</script>"><img src=x onerror=alert(1)>{{{{ 7*7 }}}}'
    if max_length is None or len(full) <= max_length:
        return full
    short = f"<b>{tag}'\""
    assert len(short) <= max_length, tag
    return short


def email_payload(tag: str) -> str:
    """An address Django accepts (a quoted local part) that carries markup."""
    return f'"<i>{tag}</i>"@example.org'


def assert_escaped(client: Client, url: str, *values: str) -> str:
    """The page answers 200, holds no raw value and shows each one escaped."""
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    for value in values:
        assert value not in body, (url, value)
        assert escape(value) in body, (url, value)
    return body


def assert_not_raw(body: str, *values: str) -> None:
    for value in values:
        assert value not in body, value


def login(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def member(community, role):
    return MembershipFactory(community=community, role=role).user


# --- completeness --------------------------------------------------------------

PLEDGE_TEST = "test_pledge_offline_payment_and_fulfilment_fields_are_escaped"
ACCOUNTABILITY_TEST = "test_milestone_expense_and_grant_fields_are_escaped"

# (form, field) -> the test that types a payload into it and reads its pages
# (a field stored but shown on no page is checked not to appear raw there).
TESTED = {
    ("ParticipantForm", "pseudonym"): "test_roster_fields_are_escaped",
    ("ParticipantForm", "legal_name"): "test_roster_fields_are_escaped",
    ("ProcessForm", "title"): "test_process_fields_are_escaped",
    ("ProcessForm", "description"): "test_process_fields_are_escaped",
    ("ProposalForm", "title"): "test_online_proposal_fields_are_escaped",
    ("ProposalForm", "description"): "test_online_proposal_fields_are_escaped",
    ("PaperProposalForm", "title"): "test_assembly_and_paper_proposal_are_escaped",
    ("PaperProposalForm", "description"): (
        "test_assembly_and_paper_proposal_are_escaped"
    ),
    ("AssemblyForm", "place"): "test_assembly_and_paper_proposal_are_escaped",
    ("AssemblyForm", "notes"): "test_assembly_and_paper_proposal_are_escaped",
    ("ProjectForm", "code"): "test_codesign_fields_are_escaped",
    ("ProjectForm", "title"): "test_codesign_fields_are_escaped",
    ("ProjectForm", "description"): "test_codesign_fields_are_escaped",
    ("ProjectForm", "reward_plan"): "test_codesign_fields_are_escaped",
    ("AssessForm", "reason"): "test_codesign_fields_are_escaped",
    ("SignUpForm", "email"): "test_sign_up_fields_are_escaped",
    ("SignUpForm", "display_name"): "test_sign_up_fields_are_escaped",
    ("EmailAuthenticationForm", "username"): "test_login_echoes_the_email_escaped",
    ("CampaignForm", "title"): "test_campaign_tier_and_update_fields_are_escaped",
    ("CampaignForm", "story"): "test_campaign_tier_and_update_fields_are_escaped",
    ("TierForm", "title"): "test_campaign_tier_and_update_fields_are_escaped",
    ("TierForm", "description"): "test_campaign_tier_and_update_fields_are_escaped",
    ("TierForm", "made_by"): "test_campaign_tier_and_update_fields_are_escaped",
    ("UpdateForm", "title"): "test_campaign_tier_and_update_fields_are_escaped",
    ("UpdateForm", "body"): "test_campaign_tier_and_update_fields_are_escaped",
    **{
        ("OfflinePledgeForm", name): PLEDGE_TEST
        for name in (
            "backer_name",
            "backer_email",
            "place",
            "reference",
            "donor_address",
            "donor_tax_code",
            "ship_name",
            "ship_address",
            "ship_postcode",
            "ship_city",
        )
    },
    **{
        ("PledgeForm", name): PLEDGE_TEST
        for name in ("ship_name", "ship_address", "ship_postcode", "ship_city")
    },
    ("FulfilForm", "tracking"): PLEDGE_TEST,
    ("RefundForm", "reason"): PLEDGE_TEST,
    ("PaymentFilterForm", "q"): PLEDGE_TEST,
    ("MatchRoundForm", "title"): "test_match_round_fields_are_escaped",
    ("MatchRoundForm", "sponsor"): "test_match_round_fields_are_escaped",
    ("MatchRoundForm", "description"): "test_match_round_fields_are_escaped",
    ("MatchRoundForm", "reference"): "test_match_round_fields_are_escaped",
    ("MilestoneForm", "title"): ACCOUNTABILITY_TEST,
    ("MilestoneForm", "description"): ACCOUNTABILITY_TEST,
    ("ExpenseForm", "supplier"): ACCOUNTABILITY_TEST,
    ("ExpenseForm", "description"): ACCOUNTABILITY_TEST,
    ("ExpenseActionForm", "reason"): ACCOUNTABILITY_TEST,
    ("GrantForm", "grantor"): ACCOUNTABILITY_TEST,
    ("GrantForm", "reference"): ACCOUNTABILITY_TEST,
    ("PeriodDeclareForm", "label"): "test_period_label_and_notes_are_escaped",
    ("PeriodDeclareForm", "notes"): "test_period_label_and_notes_are_escaped",
    **{
        ("OfflinePaymentForm", name): "test_offline_payment_fields_are_escaped"
        for name in ("purpose", "purpose_id", "credit_account", "place", "reference")
    },
    **{
        ("ProductReviewForm", name): "test_a_product_review_is_escaped"
        for name in ("title", "body", "name", "email")
    },
    **{
        ("UserAddressForm", name): "test_an_address_in_the_shop_is_escaped"
        for name in (
            "first_name",
            "last_name",
            "line1",
            "line2",
            "line3",
            "line4",
            "state",
            "notes",
        )
    },  # fmt: skip
    ("ProfileForm", "first_name"): "test_the_shop_profile_names_are_escaped",
    ("ProfileForm", "last_name"): "test_the_shop_profile_names_are_escaped",
    ("ProfileForm", "email"): "test_the_shop_profile_names_are_escaped",
}

AMOUNT = "an amount: parsed to integer cents, a wrong one is refused"
SECRET = "a password: never rendered back (PasswordInput)"
SLUG = "a slug: SlugField refuses anything but letters, digits and hyphens"
PARSED = "parsed and matched, never rendered as typed"

# (form, field) -> why no payload test is needed.
NOT_SHOWN = {
    ("SignUpForm", "password1"): SECRET,
    ("SignUpForm", "password2"): SECRET,
    ("EmailAuthenticationForm", "password"): SECRET,
    ("ProposalForm", "estimated_cost_cents"): AMOUNT,
    ("PaperProposalForm", "estimated_cost_cents"): AMOUNT,
    ("ProjectForm", "cost_cents"): AMOUNT,
    ("AssessForm", "cost_cents"): AMOUNT,
    ("ProcessForm", "budget_cents"): AMOUNT,
    ("ProcessForm", "slug"): SLUG,
    ("PaperEntryForm", "voter_code"): PARSED + " (looked up by its digest)",
    ("PaperEntryForm", "choices"): PARSED + " (project codes and points)",
    ("CampaignForm", "slug"): SLUG,
    ("CampaignForm", "goal_cents"): AMOUNT,
    ("CampaignForm", "stretch_goal_cents"): AMOUNT,
    ("TierForm", "min_pledge_cents"): AMOUNT,
    ("PledgeForm", "amount"): AMOUNT,
    ("PledgeForm", "donor_address"): "same fields as OfflinePledgeForm's, same receipt",
    (
        "PledgeForm",
        "donor_tax_code",
    ): "same fields as OfflinePledgeForm's, same receipt",
    ("OfflinePledgeForm", "amount"): AMOUNT,
    ("MatchRoundForm", "pool_cents"): AMOUNT,
    ("MatchRoundForm", "cap_per_pledge_cents"): AMOUNT,
    ("MatchRoundForm", "cap_per_campaign_cents"): AMOUNT,
    ("ExpenseForm", "amount"): AMOUNT,
    ("GrantForm", "amount"): AMOUNT,
    ("PeriodCommitForm", "amount"): AMOUNT,
    ("RefundForm", "amount"): AMOUNT,
    ("OfflinePaymentForm", "amount"): AMOUNT,
    ("PeriodAllocateForm", "fingerprint"): (
        "a hidden digest compared with the proposal's, never shown as typed"
    ),
    ("UserAddressForm", "postcode"): "validated against the country's format",
    ("UserAddressForm", "phone_number"): "a phone number: parsed and normalised",
}


def _forms():
    for module in FORM_MODULES:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, forms.BaseForm)
                and cls.__module__ == module.__name__
                and not name.startswith("_")
            ):
                yield name, cls
    yield from OSCAR_FORMS.items()


def _dynamic_text_fields():
    """Fields our forms add in ``__init__``: the shipping and donor fields."""

    class Probe(campaigns.forms.ShippingFieldsMixin, forms.Form):
        """A bare form with the mixin's fields only."""

    probe = Probe()
    probe.add_shipping_fields(required=True)
    probe.add_donor_fields()
    names = set(probe.fields)
    return {
        (form, name) for form in ("PledgeForm", "OfflinePledgeForm") for name in names
    }


def _text_fields() -> set[tuple[str, str]]:
    return {
        (name, field_name)
        for name, cls in _forms()
        for field_name, field in cls.base_fields.items()
        if isinstance(field, forms.CharField)
    } | _dynamic_text_fields()


def test_every_text_field_of_our_forms_is_tested_or_explained():
    text_fields = _text_fields()
    # One of ours at least in each module: the introspection sees them.
    assert ("SignUpForm", "display_name") in text_fields
    assert ("ExpenseForm", "supplier") in text_fields
    assert ("OfflinePledgeForm", "ship_name") in text_fields

    listed = set(TESTED) | set(NOT_SHOWN)

    assert sorted(text_fields - listed) == []
    assert sorted(listed - text_fields) == []
    assert set(TESTED) & set(NOT_SHOWN) == set()
    tests = {name for name, _obj in globals().items() if name.startswith("test_")}
    assert set(TESTED.values()) <= tests


def test_a_new_text_field_would_be_found_unlisted(monkeypatch):
    class NoteForm(forms.Form):
        note = forms.CharField()
        amount = forms.IntegerField()

    NoteForm.__module__ = participation.forms.__name__
    monkeypatch.setattr(participation.forms, "NoteForm", NoteForm, raising=False)

    assert _text_fields() - set(TESTED) - set(NOT_SHOWN) == {("NoteForm", "note")}


# --- participation -------------------------------------------------------------


@pytest.fixture
def prison():
    return CommunityFactory(kind="prison", is_public=True)


@pytest.fixture
def facilitator(prison):
    return member(prison, Role.FACILITATOR)


def _process_url(name, process, **kwargs):
    return reverse(
        f"participation:{name}",
        kwargs={"slug": process.community.slug, "process": process.slug, **kwargs},
    )


def test_process_fields_are_escaped(prison, facilitator):
    client = login(facilitator)
    title, description = payload("process.title", 200), payload("process.description")

    response = client.post(
        reverse("participation:process-create", args=[prison.slug]),
        {
            "title": title,
            "slug": "secure",
            "description": description,
            "budget_cents": "1000",
            "proposals_enabled": "on",
            "ballot_kind": "approval",
            "approval_min": "1",
            "approval_max": "3",
            "points_total": "10",
            "points_max_per_project": "5",
            "outcome_rule": "greedy",
            "support_max_per_voter": "3",
            "support_pass_mode": "count",
            "support_threshold": "1",
            "market_vote_weight": "1",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert_not_raw(response.content.decode(), title, description)
    process = Process.objects.get(community=prison, slug="secure")
    assert (process.title, process.description) == (title, description)
    Process.objects.filter(pk=process.pk).update(phase="proposals")
    anonymous = Client()
    assert_escaped(anonymous, _process_url("process-detail", process), title)
    assert_escaped(client, _process_url("process-manage", process), title)
    assert_escaped(
        anonymous, reverse("participation:community-detail", args=[prison.slug]), title
    )
    body = anonymous.get(_process_url("process-detail", process)).content.decode()
    assert_not_raw(body, description)
    assert escape(description) in body or escape(description)[:60] in body


def test_roster_fields_are_escaped(prison, facilitator):
    client = login(facilitator)
    pseudonym = payload("roster.pseudonym", 60)
    legal_name = payload("roster.legal_name", 160)
    roster = reverse("participation:community-roster", args=[prison.slug])

    response = client.post(
        roster, {"pseudonym": pseudonym, "legal_name": legal_name}, follow=True
    )

    assert response.status_code == 200
    participant = Participant.objects.get(community=prison)
    assert (participant.pseudonym, participant.legal_name) == (pseudonym, legal_name)
    assert_escaped(client, roster, pseudonym, legal_name)
    # The pseudonym appears publicly next to the proposals it wrote.
    process = ProcessFactory(community=prison, phase="proposals")
    ProposalFactory(process=process, author_participant=participant)
    body = assert_escaped(Client(), _process_url("proposal-list", process), pseudonym)
    assert legal_name not in body and escape(legal_name) not in body
    # The printed voter-code sheet (a PDF) prints the pseudonym as typed.
    section = SectionFactory(community=prison)
    Participant.objects.filter(pk=participant.pk).update(section=section)
    sheet = client.post(
        _process_url("voter-code-sheet", process), {"section": section.pk}
    )
    assert sheet.status_code == 200
    assert_pdf_shows_as_text(sheet.content, pseudonym)
    assert re.sub(r"\s+", "", legal_name) not in re.sub(
        r"\s+", "", _pdf_text(sheet.content)
    )


def test_online_proposal_fields_are_escaped(prison):
    process = ProcessFactory(community=prison, phase="proposals")
    client = login(member(prison, Role.PARTICIPANT))
    title = payload("proposal.title", 200)
    description = payload("proposal.description")

    response = client.post(
        _process_url("proposal-create", process),
        {"title": title, "description": description},
        follow=True,
    )

    assert response.status_code == 200
    assert_not_raw(response.content.decode(), title, description)
    assert Proposal.objects.get(process=process).title == title
    assert_escaped(Client(), _process_url("proposal-list", process), title, description)


def test_assembly_and_paper_proposal_are_escaped(prison, facilitator):
    process = ProcessFactory(community=prison, phase="proposals")
    client = login(facilitator)
    place, notes = payload("assembly.place", 120), payload("assembly.notes")

    response = client.post(
        _process_url("assembly-create", process),
        {"held_on": "2026-03-02", "place": place, "attendance": "12", "notes": notes},
        follow=True,
    )

    assert response.status_code == 200
    assembly = Assembly.objects.get(process=process)
    assert (assembly.place, assembly.notes) == (place, notes)
    detail = _process_url("assembly-detail", process, assembly_id=assembly.pk)
    assert_escaped(client, detail, place, notes)
    title = payload("paper.title", 200)
    description = payload("paper.description")

    response = client.post(
        detail, {"title": title, "description": description}, follow=True
    )

    assert response.status_code == 200
    # The message "Proposal “…” recorded." carries the title, escaped.
    assert_not_raw(response.content.decode(), title, description)
    assert escape(title) in response.content.decode()
    assert_escaped(client, detail, title)
    assert_escaped(Client(), _process_url("proposal-list", process), title, description)
    assert_escaped(client, _process_url("process-manage", process), place)


def test_codesign_fields_are_escaped(prison, facilitator):
    process = ProcessFactory(community=prison, phase="codesign", support_enabled=False)
    proposal = ProposalFactory(process=process)
    client = login(facilitator)
    code = payload("code", 20)
    title = payload("project.title", 200)
    description = payload("project.description")
    reward_plan = payload("project.reward_plan")

    response = client.post(
        _process_url("codesign", process),
        {
            "code": code,
            "title": title,
            "description": description,
            "cost_cents": "300",
            "proposals": [proposal.pk],
            "reward_plan": reward_plan,
        },
        follow=True,
    )

    assert response.status_code == 200
    project = process.projects.get()
    assert (project.code, project.title) == (code, title)
    reason = payload("assess.reason")
    response = client.post(
        _process_url("project-assess", process, project_id=project.pk),
        {"feasibility": "feasible", "reason": reason},
        follow=True,
    )
    assert response.status_code == 200
    assert_not_raw(response.content.decode(), code, title, reason)
    assert_escaped(client, _process_url("codesign", process), code, title)
    Process.objects.filter(pk=process.pk).update(phase="vote")
    assert_escaped(
        Client(),
        _process_url("project-list", process),
        code,
        title,
        description,
        reason,
    )


# --- accounts ------------------------------------------------------------------


def test_sign_up_fields_are_escaped():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    display_name = payload("display_name", 80)
    email = email_payload("signup")

    response = client.post(
        reverse("accounts:signup"),
        {
            "email": email,
            "display_name": display_name,
            "password1": "a long enough phrase 42",
            "password2": "a long enough phrase 42",
        },
        follow=True,
    )

    assert response.status_code == 200
    # The login page that follows is prefilled with the address, escaped.
    assert_not_raw(response.content.decode(), display_name, email)
    assert escape(email) in response.content.decode()
    user = User.objects.get(display_name=display_name)
    client.force_login(user)
    body = assert_escaped(client, reverse("accounts:dashboard"), display_name)
    assert_not_raw(body, email)


def test_login_echoes_the_email_escaped():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    email = email_payload("login")

    response = client.post(
        reverse("accounts:login"), {"username": email, "password": "wrong password"}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert email not in body
    assert escape(email) in body
    response = client.get(reverse("accounts:login"), {"email": email})
    assert email not in response.content.decode()
    assert escape(email) in response.content.decode()


NEXT = 'javascript:alert(1)//"><script>alert(2)</script>'
NEXT_RAW = "<script>alert(2)</script>"


def test_a_javascript_next_address_is_not_followed_after_login():
    user = UserFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login_url = reverse("accounts:login") + "?" + urlencode({"next": NEXT})

    page = client.get(login_url).content.decode()
    response = client.post(
        login_url, {"username": user.email, "password": TEST_PASSWORD, "next": NEXT}
    )

    assert NEXT_RAW not in page
    assert response.status_code == 302
    assert not response["Location"].lower().startswith("javascript")
    assert response["Location"] == reverse("accounts:dashboard")


# --- campaigns, rewards, payments ----------------------------------------------


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-q", "-", "-"],  # noqa: S607 - poppler-utils, a test dependency
        input=data,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout.decode()


def assert_pdf_shows_as_text(data: bytes, *values: str) -> None:
    """Escaped markup prints as the characters typed; markup that reached the
    HTML would be parsed away. Line breaks of the PDF are ignored."""
    text = re.sub(r"\s+", "", _pdf_text(data))
    for value in values:
        assert re.sub(r"\s+", "", value) in text, value


def _download(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def campaign_people():
    community = CommunityFactory(
        kind="prison",
        is_public=True,
        nonprofit=True,
        legal_name="Associazione ETS",
        tax_code="97000000017",
        address="Via dei Mille 12, Bologna",
    )
    project = winning_project(community)
    return {
        "project": project,
        "community": community,
        "facilitator": member(community, Role.FACILITATOR),
        "staff": UserFactory(is_staff=True),
    }


def _campaign_post(client, project, **values):
    return client.post(
        reverse("campaigns:create", args=[project.pk]),
        {
            "slug": "secure-campaign",
            "goal_cents": "1.500",
            "stretch_goal_cents": "",
            "starts_on": (
                datetime.date.today() - datetime.timedelta(days=1)
            ).isoformat(),
            "deadline_on": (
                datetime.date.today() + datetime.timedelta(days=30)
            ).isoformat(),
            "funding_model": "keep_it_all",
            **values,
        },
        follow=True,
    )


def test_campaign_tier_and_update_fields_are_escaped(campaign_people):
    project = campaign_people["project"]
    client = login(campaign_people["facilitator"])
    title, story = payload("campaign.title", 200), payload("campaign.story")

    response = _campaign_post(client, project, title=title, story=story)

    assert response.status_code == 200
    assert_not_raw(response.content.decode(), title, story)
    campaign = Campaign.objects.get(project=project)
    assert (campaign.title, campaign.story) == (title, story)
    manage = reverse("campaigns:manage", args=[campaign.slug])
    tier = {
        "title": payload("tier.title", 120),
        "description": payload("tier.description"),
        "made_by": payload("tier.made_by", 160),
    }
    response = client.post(
        manage,
        {
            "action": "tier",
            "tier-min_pledge_cents": "20",
            "tier-delivery": "pickup",
            **{f"tier-{name}": value for name, value in tier.items()},
        },
        follow=True,
    )
    # "Reward “…” added." names the title, escaped.
    assert escape(tier["title"]) in response.content.decode()
    assert_not_raw(response.content.decode(), *tier.values())
    client.post(manage, {"action": "publish"})
    update = {"title": payload("update.title", 200), "body": payload("update.body")}
    client.post(
        manage,
        {"action": "update", **{f"update-{k}": v for k, v in update.items()}},
    )
    assert campaign.updates.get().title == update["title"]

    detail = reverse("campaigns:detail", args=[campaign.slug])
    assert_escaped(Client(), detail, title, story, *tier.values(), *update.values())
    assert_escaped(client, detail, title, story, *tier.values(), *update.values())
    # The body comes from the cache the second time (the view marks it safe).
    assert_escaped(Client(), detail, title, story, *tier.values(), *update.values())
    assert_escaped(client, manage, title, tier["title"])
    assert_escaped(Client(), reverse("campaigns:list"), title)
    # The pledge form repeats the reward.
    assert_escaped(
        login(UserFactory()),
        reverse("campaigns:pledge-create", args=[campaign.slug])
        + f"?tier={campaign.tiers.get().pk}",
        tier["title"],
    )


def test_pledge_offline_payment_and_fulfilment_fields_are_escaped(
    campaign_people, media, django_capture_on_commit_callbacks
):
    project = campaign_people["project"]
    facilitator = campaign_people["facilitator"]
    campaign = live_campaign(project=project, model="keep_it_all", slug="offline")
    shipped = tier_create(
        campaign=campaign,
        title="Box",
        description="",
        min_pledge_cents=1_000,
        quantity=None,
        estimated_delivery=None,
        delivery="shipping",
        made_by="",
    )
    client = login(facilitator)
    manage = reverse("campaigns:manage", args=[campaign.slug])
    offline = {
        "backer_name": payload("offline.backer_name", 160),
        "place": payload("offline.place", 120),
        "reference": payload("offline.reference", 120),
        "donor_address": payload("offline.donor_address", 250),
        "donor_tax_code": payload("tax", 20),
    }
    email = email_payload("offline")

    response = client.post(
        manage,
        {
            "action": "offline",
            "offline-amount": "40",
            "offline-method": "cash",
            "offline-backer_email": email,
            **{f"offline-{name}": value for name, value in offline.items()},
        },
        follow=True,
    )

    assert response.status_code == 200
    assert_not_raw(response.content.decode(), email, *offline.values())
    pledge = Pledge.objects.get(campaign=campaign)
    assert (pledge.backer_name, pledge.backer_email) == (offline["backer_name"], email)
    staff = login(campaign_people["staff"])
    payment = reverse("payments:staff-payment", args=[pledge.payment.pk])
    # Where and the reference are stored with the payment; no page shows them.
    assert_not_raw(staff.get(payment).content.decode(), *offline.values())
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("payments:staff-confirm", args=[pledge.payment.pk]))
    pledge.refresh_from_db()
    assert pledge.status == "paid"
    assert_escaped(
        Client(),
        reverse("campaigns:detail", args=[campaign.slug]),
        offline["backer_name"],
    )
    # The donation receipt's PDF prints them as typed.
    receipt = pledge.receipts.get(kind="donation")
    pdf = _download(
        client.get(reverse("campaigns:receipt", args=[pledge.pk, receipt.pk]))
    )
    assert_pdf_shows_as_text(
        pdf,
        offline["backer_name"],
        offline["donor_address"],
        offline["donor_tax_code"].upper(),
    )
    # A refund's reason, on the staff's payment page.
    reason = payload("refund.reason", 200)
    staff.post(
        reverse("payments:staff-refund", args=[pledge.payment.pk]),
        {"amount": "5", "reason": reason},
    )
    assert_escaped(staff, payment, reason)

    # A backer's shipped reward: the address, then the facilitator's tracking note.
    backer = UserFactory(display_name=payload("backer.display_name", 80))
    ship = {
        "ship_name": payload("ship_name", 160),
        "ship_address": payload("ship_address", 200),
        "ship_postcode": payload("pc", 12),
        "ship_city": payload("ship_city", 80),
    }
    backer_client = login(backer)
    response = backer_client.post(
        reverse("campaigns:pledge-create", args=[campaign.slug])
        + f"?tier={shipped.pk}",
        {"amount": "20", "tier": shipped.pk, **ship},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mine = Pledge.objects.get(backer=backer)
    assert mine.reward_claim.ship_name == ship["ship_name"]
    pledge_page = reverse("campaigns:pledge", args=[mine.pk])
    assert_not_raw(backer_client.get(pledge_page).content.decode(), *ship.values())
    tracking = payload("tracking", 120)
    # Paid (the card flow is not what this test is about); the page learns it.
    with django_capture_on_commit_callbacks(execute=True):
        Pledge.objects.filter(pk=mine.pk).update(status="paid")
        page_cache.campaign_changed(campaign.pk)
    client.post(
        manage,
        {
            "action": "fulfil",
            "claim": mine.reward_claim.pk,
            "status": "shipped",
            "tracking": tracking,
        },
    )
    assert RewardClaim.objects.get(pk=mine.reward_claim.pk).tracking == tracking
    assert_escaped(client, manage, *ship.values(), backer.display_name)
    # The campaign's public list of backers names the account's display name.
    assert_escaped(
        Client(), reverse("campaigns:detail", args=[campaign.slug]), backer.display_name
    )
    assert_escaped(backer_client, pledge_page, tracking)
    # The staff's payment list reflects its search box.
    query = payload("q", 100)
    assert_escaped(
        staff, reverse("payments:staff-payments") + "?" + urlencode({"q": query}), query
    )


def test_match_round_fields_are_escaped(campaign_people):
    project, community = campaign_people["project"], campaign_people["community"]
    campaign = live_campaign(project=project, model="keep_it_all", slug="matched")
    client = login(campaign_people["facilitator"])
    values = {
        "title": payload("round.title", 200),
        "sponsor": payload("round.sponsor", 200),
        "description": payload("round.description"),
        "reference": payload("round.reference", 120),
    }

    response = client.post(
        reverse("campaigns:match-round-create", args=[community.slug]),
        {
            "pool_cents": "100",
            "mode": "ratio",
            "factor_percent": "100",
            "campaigns": [campaign.pk],
            **values,
        },
        follow=True,
    )

    assert response.status_code == 200
    assert_not_raw(response.content.decode(), *values.values())
    match_round = MatchRound.objects.get(community=community)
    assert match_round.sponsor == values["sponsor"]
    page = reverse("campaigns:match-round", args=[match_round.pk])
    assert_escaped(
        Client(), page, values["title"], values["sponsor"], values["description"]
    )
    staff = login(campaign_people["staff"])
    body = staff.get(reverse("payments:staff-payments")).content.decode()
    assert_not_raw(body, *values.values())


# --- accountability -------------------------------------------------------------


def test_milestone_expense_and_grant_fields_are_escaped(media):
    community = CommunityFactory(is_public=True)
    process = ProcessFactory(community=community, phase="results")
    project = ProjectFactory(process=process, code="P01", title="Orto")
    facilitator = member(community, Role.FACILITATOR)
    manager = member(community, Role.MANAGER)
    admin = member(community, Role.ADMIN)
    fund(project, 100_000)
    manage = reverse("accountability:project-manage", args=[project.pk])
    public = reverse("accountability:project", args=[project.pk])
    by_facilitator, by_manager = login(facilitator), login(manager)
    milestone = {"title": payload("milestone.title", 200)}
    milestone["description"] = payload("milestone.description")
    response = by_facilitator.post(
        manage,
        {
            "action": "milestone_create",
            "new-status": "in_progress",
            "new-progress_percent": "10",
            "new-position": "0",
            **{f"new-{name}": value for name, value in milestone.items()},
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert project.milestones.get().title == milestone["title"]
    expense = {
        "supplier": payload("expense.supplier", 200),
        "description": payload("expense.description"),
    }
    for _n in range(2):
        response = by_facilitator.post(
            manage,
            {
                "action": "expense_submit",
                "amount": "12,34",
                "spent_on": "2026-11-20",
                "receipt": pdf_upload(),
                **expense,
            },
        )
        assert response.status_code == 302
    paid, rejected = project.expenses.order_by("pk")
    by_manager.post(manage, {"action": "expense_approve", "expense": paid.pk})
    by_manager.post(manage, {"action": "expense_pay", "expense": paid.pk})
    reason = payload("reject.reason", 500)
    by_manager.post(
        manage, {"action": "expense_reject", "expense": rejected.pk, "reason": reason}
    )
    paid.refresh_from_db()
    rejected.refresh_from_db()
    assert (paid.status, rejected.status) == ("paid", "rejected")
    grant = {
        "grantor": payload("grant.grantor", 200),
        "reference": payload("grant.reference", 200),
    }
    response = login(admin).post(
        manage, {"action": "grant_record", "amount": "100", **grant}
    )
    assert response.status_code == 302

    # The public page: milestones, the paid expense, the flow chart (SVG).
    body = assert_escaped(Client(), public, *milestone.values(), *expense.values())
    assert "<svg" in body
    chart = body[body.index("<svg") : body.index("</svg>")]
    assert escape(expense["supplier"])[:40] in chart
    # The grant's giver and act are kept for the admin and the ledger's memo.
    assert_not_raw(body, *expense.values(), *grant.values())
    assert_escaped(by_manager, manage, milestone["title"], expense["supplier"], reason)
    community_page = reverse("accountability:community", args=[community.slug])
    body = assert_escaped(Client(), community_page, expense["supplier"])
    assert_not_raw(body, *grant.values())


def test_period_label_and_notes_are_escaped(media):
    consortium = CommunityFactory(kind="enterprise", is_public=True)
    partner = SectionFactory(community=consortium, kind="partner", name="Cascina")
    process = ProcessFactory(community=consortium, phase="results")
    client = login(member(consortium, Role.MANAGER))
    declare = reverse("accountability:period-declare", kwargs={"slug": consortium.slug})
    notes = payload("period.notes")
    data = {
        "start": "2026-01-01",
        "end": "2026-12-31",
        "process": process.pk,
        f"revenue_{partner.pk}": "1.000",
        f"costs_{partner.pk}": "400",
        "notes": notes,
    }
    label = payload("label", 40)

    refused = client.post(declare, {**data, "label": label})

    # A label goes into addresses: one with markup is refused, and echoed escaped.
    assert refused.status_code == 200
    assert_not_raw(refused.content.decode(), label, notes)
    assert escape(label) in refused.content.decode()
    assert escape(notes) in refused.content.decode()
    assert not ResultsPeriod.objects.exists()

    response = client.post(declare, {**data, "label": "2026"})

    assert response.status_code == 302
    period = ResultsPeriod.objects.get()
    assert period.notes == notes
    # Public once allocated; its manager reads it (and its PDF) before.
    assert_escaped(client, period.get_absolute_url(), notes)
    assert_escaped(
        client,
        reverse(
            "accountability:period-manage",
            kwargs={"slug": consortium.slug, "label": "2026"},
        ),
        notes,
    )
    statement = client.get(
        reverse(
            "accountability:period-statement",
            kwargs={"slug": consortium.slug, "label": "2026"},
        )
    )
    assert statement.status_code == 200
    data = (
        b"".join(statement.streaming_content)
        if statement.streaming
        else statement.content
    )
    assert_pdf_shows_as_text(data, notes)


def test_offline_payment_fields_are_escaped():
    staff = login(UserFactory(is_staff=True))
    values = {
        "purpose": payload("purpose", 40),
        "purpose_id": payload("purpose_id", 80),
        "credit_account": payload("credit", 80),
        "place": payload("payment.place", 120),
        "reference": payload("payment.reference", 120),
    }

    response = staff.post(
        reverse("payments:staff-offline-new"),
        {"amount": "10", "method": "cash", **values},
        follow=True,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert_not_raw(body, *values.values())
    # Refused (no such purpose or account) or recorded: either page shows
    # what was typed escaped.
    for name in ("purpose", "purpose_id", "credit_account"):
        assert escape(values[name]) in body, name


# --- the shop (Oscar) -------------------------------------------------------------


@pytest.fixture
def shop_product():
    consortium = CommunityFactory(kind="enterprise", is_public=True)
    shop = shop_partner_create(
        community=consortium,
        name=payload("partner.name", 128),
        pickup_place=payload("pickup_place", 200),
    )
    return shop_product_create(
        shop=shop,
        title=payload("product.title", 255),
        price_cents=450,
        stock=10,
        sku="secure-1",
        category=category_path("Conserve"),
    )


def test_shop_names_typed_by_staff_are_escaped(shop_product):
    partner = shop_product.stockrecords.get().partner

    body = assert_escaped(Client(), shop_product.get_absolute_url(), shop_product.title)

    assert_not_raw(body, partner.name)


def test_only_signed_in_buyers_review_and_staff_approve_first(shop_product):
    add = reverse(
        "catalogue:reviews-add",
        kwargs={"product_slug": shop_product.slug, "product_pk": shop_product.pk},
    )
    form = {"score": "4", "title": "Buona", "body": "Ottima passata"}

    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en").post(add, form)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == shop_product.get_absolute_url()
    assert shop_product.reviews.count() == 0

    buyer = login(UserFactory())
    assert buyer.post(add, form).status_code == 302
    review = shop_product.reviews.get()
    assert review.status == review.FOR_MODERATION
    assert (
        "Ottima passata"
        not in buyer.get(shop_product.get_absolute_url()).content.decode()
    )


def test_a_product_review_is_escaped(shop_product):
    client = login(UserFactory())
    review = {
        "title": payload("review.title", 255),
        "body": payload("review.body"),
        "name": payload("review.name", 255),
    }
    email = email_payload("review")
    add = reverse(
        "catalogue:reviews-add",
        kwargs={"product_slug": shop_product.slug, "product_pk": shop_product.pk},
    )

    response = client.post(add, {"score": "5", "email": email, **review}, follow=True)

    assert response.status_code == 200
    assert_not_raw(response.content.decode(), email, *review.values())
    made = shop_product.reviews.get()
    assert made.title == review["title"]
    made.status = made.APPROVED  # as staff do in the dashboard
    made.save(update_fields=["status"])
    product_page = assert_escaped(
        client, shop_product.get_absolute_url(), review["title"]
    )
    assert_not_raw(product_page, email, *review.values())
    detail = reverse(
        "catalogue:reviews-detail",
        kwargs={
            "product_slug": shop_product.slug,
            "product_pk": shop_product.pk,
            "pk": made.pk,
        },
    )
    body = assert_escaped(client, detail, review["title"])
    assert_not_raw(body, email, *review.values())


def test_an_address_in_the_shop_is_escaped():
    client = login(UserFactory())
    address = {
        "first_name": payload("address.first", 255),
        "last_name": payload("address.last", 255),
        "line1": payload("address.line1", 255),
        "line2": payload("address.line2", 255),
        "line3": payload("address.line3", 255),
        "line4": payload("address.city", 255),
        "state": payload("address.state", 255),
        "notes": payload("address.notes"),
    }
    Country = get_model("address", "Country")
    Country.objects.get_or_create(
        iso_3166_1_a2="IT",
        defaults={
            "name": "Italy",
            "printable_name": "Italia",
            "is_shipping_country": True,
        },
    )

    response = client.post(
        reverse("customer:address-create"),
        {"country": "IT", "postcode": "40121", **address},
        follow=True,
    )

    assert response.status_code == 200
    assert_not_raw(response.content.decode(), *address.values())
    assert get_model("address", "UserAddress").objects.get().line1 == address["line1"]
    assert_escaped(
        client,
        reverse("customer:address-list"),
        address["first_name"],
        address["line1"],
    )


def test_the_shop_profile_names_are_escaped():
    user = UserFactory()
    client = login(user)
    names = {
        "first_name": payload("profile.first", 150),
        "last_name": payload("profile.last", 150),
    }
    email = email_payload("profile")

    response = client.post(
        reverse("customer:profile-update"), {"email": email, **names}, follow=True
    )

    assert response.status_code == 200
    assert_not_raw(response.content.decode(), email, *names.values())
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == (
        names["first_name"],
        names["last_name"],
    )
    assert_escaped(client, reverse("customer:profile-view"), *names.values(), email)


def test_a_paper_batch_label_is_escaped(prison, facilitator):
    """The label is read from the POST without a form class: listed here by hand."""
    process = ProcessFactory(community=prison, phase="vote")
    assembly = AssemblyFactory(process=process)
    client = login(facilitator)
    label = payload("batch.label", 120)

    response = client.post(
        _process_url("paper-batch-create", process),
        {"assembly": assembly.pk, "label": label},
        follow=True,
    )

    assert response.status_code == 200
    batch = process.paper_batches.get()
    assert batch.label == label
    assert_not_raw(response.content.decode(), label)
    assert escape(label) in response.content.decode()
    assert_escaped(client, _process_url("process-manage", process), label)


# --- what bypasses autoescaping ---------------------------------------------------

OUR_CODE = (
    "accounts", "accountability", "campaigns", "config", "core", "demo",
    "documents", "marketplace", "opendata", "participation", "payments",
    "rewards", "templates",
)  # fmt: skip
UNESCAPING = re.compile(
    r"\|\s*safe\b|\|\s*safeseq\b|mark_safe|format_html|SafeString|"
    r"autoescape\s+off|json_script|is_safe\s*=\s*True|needs_autoescape|"
    r"\|\s*escapejs\b"
)
# Every use (how many times it occurs), with why it is safe and the test
# that shows it.
REVIEWED = {
    ("campaigns/views/public.py", "mark_safe", 2): (
        "the campaign body is our own template rendered with autoescaping, then "
        "cached as a string: test_campaign_tier_and_update_fields_are_escaped "
        "reads it fresh and from the cache"
    ),
    ("templates/campaigns/pledge_pay.html", "|escapejs", 1): (
        "a translated message put in a JavaScript string: escapejs is the right "
        "escaping there, and no user data goes in"
    ),
}


def _unescaping_uses():
    found = []
    for top in OUR_CODE:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix not in {".py", ".html", ".txt", ".svg", ".xml"}:
                continue
            if "migrations" in path.parts:
                continue
            for match in UNESCAPING.finditer(path.read_text(errors="replace")):
                token = re.sub(r"\s+", "", match.group(0))
                found.append((str(path.relative_to(ROOT)), token))
    return found


def test_every_bypass_of_autoescaping_is_reviewed():
    uses = Counter(_unescaping_uses())

    # The import and the call of mark_safe, one escapejs: a new one (or
    # another one in the same file) must be reviewed and listed.
    assert sorted((*use, n) for use, n in uses.items()) == sorted(REVIEWED)


def test_the_money_filters_return_text_that_gets_escaped():
    from django.utils.safestring import SafeData

    from core.templatetags.money import money_decimal_filter, money_filter

    assert not isinstance(money_filter(123_45), SafeData)
    assert not isinstance(money_decimal_filter("123.45"), SafeData)
    # A currency code is data too: whatever it holds is escaped on the page.
    template = engines["django"].from_string("{% load money %}{{ cents|money:code }}")
    rendered = template.render({"cents": 100, "code": '<b>"'})
    assert "<b>" not in rendered
    assert "&lt;b&gt;&quot;" in rendered
