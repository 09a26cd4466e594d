"""A "world" for the security tests, built once per test module.

Two public communities (``alpha``, ``beta``) with the same things in each, and
a private one (``hidden``). People hold roles in ``alpha`` only; ``beta``'s
objects are "another community's" to them. ``customer`` backs, buys, votes with
purchases and keeps addresses and wish lists in ``alpha``; ``customer2`` owns
the same things in ``beta``.

The world is built inside one transaction that stays open for the module and
is rolled back at its end; each test runs in a savepoint inside it (the
``django_db`` mark), and ``as_role`` runs each request in a savepoint of its
own, so what an allowed request writes is undone before the next one.
"""

import datetime
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from accountability import services as accountability
from campaigns import services as campaigns
from campaigns.models import Pledge, Receipt
from marketplace.catalogue import (
    category_path,
    shop_partner_create,
    shop_product_create,
)
from marketplace.models import OrderReceipt
from participation import services as participation
from participation.models import (
    Community,
    ProcessResult,
    PurchaseVote,
    Role,
    Section,
)
from payments import services as payments
from payments.models import Payment
from tests.factories import (
    TEST_PASSWORD,
    CommunityFactory,
    MembershipFactory,
    ParticipantFactory,
    ProcessFactory,
    ProjectFactory,
    ProposalFactory,
    SectionFactory,
    UserFactory,
)

Order = get_model("order", "Order")
UserAddress = get_model("address", "UserAddress")
Country = get_model("address", "Country")
WishList = get_model("wishlists", "WishList")
Notification = get_model("communication", "Notification")
Email = get_model("communication", "Email")
ProductAlert = get_model("customer", "ProductAlert")
ProductReview = get_model("reviews", "ProductReview")
Range = get_model("offer", "Range")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Benefit = get_model("offer", "Benefit")
Condition = get_model("offer", "Condition")
Basket = get_model("basket", "Basket")
Selector = get_class("partner.strategy", "Selector")

ANON = "anonymous"
ROLES = [
    ANON,
    "customer",  # a citizen with an account and no role: backer, buyer
    "participant",
    "facilitator",
    "manager",
    "admin",  # community admin of alpha
    "staff",  # is_staff without any community role
    "superuser",
]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
SPENT_ON = datetime.date(2026, 11, 20)


@dataclass
class Place:
    """One community and one of everything in it."""

    community: Community
    vote: object = None  # process in the vote phase
    results: object = None  # process in the results phase
    objects: dict = field(default_factory=dict)


@dataclass
class World:
    people: dict
    alpha: Place
    beta: Place
    hidden: Place
    sessions: dict = field(default_factory=dict)

    def place(self, target: str) -> Place:
        return {"own": self.alpha, "other": self.beta, "private": self.hidden}[target]


# --- building ---------------------------------------------------------------------


def _winner(process, code, **kw):
    return ProjectFactory(process=process, code=code, cost_cents=50_000, **kw)


def _campaign(project, slug, *, publish=True):
    now = timezone.now()
    campaign = campaigns.campaign_create(
        project=project,
        title=f"Campaign {slug}",
        story="A story.",
        slug=slug,
        goal_cents=10_000,
        starts_at=now - datetime.timedelta(minutes=1),
        deadline=now + datetime.timedelta(days=30),
        funding_model="keep_it_all",
    )
    return campaigns.campaign_publish(campaign=campaign) if publish else campaign


def _committed_pledge(campaign, backer, amount_cents):
    """A backer's pledge whose card is saved (the emulator's part is tested in
    tests/campaigns), with a stored pledge receipt."""
    pledge = campaigns.pledge_create(
        campaign=campaign, amount_cents=amount_cents, backer=backer
    )
    Pledge.objects.filter(pk=pledge.pk).update(status=Pledge.Status.COMMITTED)
    Payment.objects.filter(pk=pledge.payment_id).update(status=Payment.Status.SUCCEEDED)
    receipt = Receipt(pledge=pledge, kind=Receipt.Kind.PLEDGE)
    receipt.file.save(f"pledge-{pledge.pk}.pdf", ContentFile(PDF), save=True)
    pledge.refresh_from_db()
    return pledge, receipt


def _place(slug, *, people, is_public=True, shop_customer=None):
    community = CommunityFactory(
        slug=slug,
        name=f"Community {slug}",
        kind=Community.Kind.ENTERPRISE,
        is_public=is_public,
        nonprofit=True,
    )
    place = Place(community=community)
    objects = place.objects
    ward = SectionFactory(community=community, kind=Section.Kind.WARD, name="Ward")
    partner = SectionFactory(
        community=community, kind=Section.Kind.PARTNER, name=f"Partner {slug}"
    )
    objects["participant"] = ParticipantFactory(community=community, section=ward)
    objects["ward"] = ward

    # A process in the vote phase: proposals, projects, an assembly, a paper batch.
    vote = ProcessFactory(
        community=community,
        slug="vote",
        phase="vote",
        ballot_kind="approval",
        purchase_votes="order",
    )
    place.vote = vote
    objects["draft_process"] = ProcessFactory(
        community=community, slug="draft", phase="draft"
    )
    objects["proposal"] = ProposalFactory(process=vote)
    objects["vote_project"] = ProjectFactory(process=vote, code="V01")
    ProjectFactory(process=vote, code="V02")
    objects["assembly"] = participation.assembly_record(
        process=vote,
        held_on=datetime.date(2026, 3, 2),
        attendance=12,
        facilitators=[people["facilitator"]],
        section=ward,
    )
    objects["batch"] = participation.paper_batch_open(
        process=vote,
        assembly=objects["assembly"],
        label="Urna 1",
        actor=people["facilitator"],
    )

    # A counted process: two winners, one crowdfunded, one not yet.
    results = ProcessFactory(
        community=community, slug="results", phase="results", outcome_rule="greedy"
    )
    place.results = results
    funded = _winner(results, "R01")
    objects["winner_without_campaign"] = _winner(results, "R02")
    ProcessResult.objects.create(
        process=results,
        rule="greedy",
        winners=["R01", "R02"],
        explanation={"rows": []},
        ballots_counted=10,
    )
    objects["project"] = funded
    objects["campaign"] = _campaign(funded, f"{slug}-campaign")
    draft_process = ProcessFactory(community=community, phase="results")
    draft_project = _winner(draft_process, "D1")
    ProcessResult.objects.create(
        process=draft_process,
        rule="greedy",
        winners=["D1"],
        explanation={"rows": []},
        ballots_counted=1,
    )
    objects["draft_campaign"] = _campaign(draft_project, f"{slug}-draft", publish=False)
    objects["round"] = campaigns.match_round_create(
        community=community,
        title=f"Match {slug}",
        sponsor="A sponsor",
        pool_cents=5_000,
        mode="ratio",
        campaigns=[objects["campaign"]],
        recorded_by=people["superuser"],
    )
    objects["pool_payment"] = Payment.objects.filter(
        status=Payment.Status.AWAITING_CONFIRMATION
    ).latest("pk")

    # Expenses: one approved (public receipt), one only submitted (staff only).
    submitter = MembershipFactory(community=community, role=Role.FACILITATOR).user
    approver = MembershipFactory(community=community, role=Role.MANAGER).user

    def expense(supplier):
        return accountability.expense_submit(
            project=funded,
            supplier=supplier,
            description="Piantine",
            amount_cents=1_200,
            spent_on=SPENT_ON,
            receipt=ContentFile(PDF, name="ricevuta.pdf"),
            submitted_by=submitter,
        )

    objects["public_expense"] = accountability.expense_approve(
        expense=expense("Vivaio"), approved_by=approver
    )
    objects["private_expense"] = expense("Ferramenta")

    # Results periods: one declared (managers only), one allocated (public).
    figures = [{"section": partner, "revenue_cents": 10_000, "costs_cents": 4_000}]
    declared = accountability.period_declare(
        community=community,
        label="2026",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
        process=results,
        figures=figures,
        by=approver,
    )
    published = accountability.period_declare(
        community=community,
        label="2025",
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2025, 12, 31),
        process=results,
        figures=figures,
        by=approver,
    )
    published = accountability.period_commit(
        period=published, share_percent=10, by=approver
    )
    proposal = accountability.period_allocation_propose(period=published)
    published = accountability.period_allocate(
        period=published, fingerprint=proposal.fingerprint, by=approver
    )
    objects["declared_period"] = declared
    objects["published_period"] = published

    # The shop: a partner of this community and one product.
    shop = shop_partner_create(
        community=community, name=f"Bottega {slug}", pickup_place="Via Roma 1"
    )
    objects["product"] = shop_product_create(
        shop=shop,
        title=f"Passata {slug}",
        price_cents=450,
        stock=50,
        sku=f"sku-{slug}",
        category=category_path(f"Conserve {slug}"),
        project=funded,
    )
    return place


def _paid_order(customer, product):
    """Oscar's checkout as the buyer, paid at pickup (recorded, confirmed)."""
    from marketplace import services as shop

    client = Client()
    client.force_login(customer)
    response = client.post(f"/shop/basket/add/{product.pk}/", {"quantity": 1})
    assert response.status_code == 302, response.status_code
    response = client.get("/shop/checkout/", follow=True)
    assert response.status_code == 200, response.status_code
    response = client.post("/shop/checkout/payment-method/", {"method": "pickup"})
    assert response.status_code == 302, response.content[:1000]
    response = client.post("/shop/checkout/preview/", {"action": "place_order"})
    assert response.status_code == 302, response.content[:1000]
    order = Order.objects.filter(user=customer).latest("pk")
    payment = shop.order_pickup_payment_record(order=order, recorded_by=UserFactory())
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        payments.offline_confirm(payment=payment, confirmed_by=UserFactory())
    # Run the payment hooks (the order is paid, purchase votes granted) but
    # not the receipt's rendering: a stored PDF stands in for it.
    for callback in callbacks:
        with TestCase.captureOnCommitCallbacks(execute=False):
            callback()
    order.refresh_from_db()
    assert order.status == "paid", order.status
    receipt = OrderReceipt(order=order)
    receipt.file.save(f"order-{order.number}.pdf", ContentFile(PDF), save=True)
    return order, receipt


def _customer_things(customer, place, *, country, key, shared_with):
    """What Oscar keeps for one customer: an order, an address, a wish list,
    a notification, an e-mail, a product alert."""
    objects = place.objects
    product = objects["product"]
    objects["pledge"], objects["receipt"] = _committed_pledge(
        objects["campaign"], customer, 2_500
    )
    objects["order"], objects["order_receipt"] = _paid_order(customer, product)
    objects["order_line"] = objects["order"].lines.get()
    objects["purchase_vote"] = PurchaseVote.objects.get(
        buyer=customer, process=place.vote
    )
    objects["address"] = UserAddress.objects.create(
        user=customer,
        first_name="Anna",
        last_name=f"Buyer {key}",
        line1="Via Roma 1",
        line4="Roma",
        postcode="00100",
        country=country,
    )
    objects["wishlist"] = WishList.objects.create(
        owner=customer, name=f"List {key}", key=f"wish{key}", visibility="Private"
    )
    objects["wishlist_line"] = objects["wishlist"].lines.create(
        product=product, title=product.title
    )
    objects["wishlist2"] = WishList.objects.create(
        owner=customer,
        name=f"Other list {key}",
        key=f"more{key}",
        visibility="Shared",
    )
    objects["wishlist2"].shared_emails.create(email=shared_with.email)
    objects["notification"] = Notification.objects.create(
        recipient=customer, subject=f"Hello {key}", body="A message."
    )
    objects["email"] = Email.objects.create(
        user=customer, subject=f"Order {key}", body_text="Thank you."
    )
    objects["alert"] = ProductAlert.objects.create(
        user=customer, product=product, status=ProductAlert.ACTIVE
    )
    objects["unconfirmed_alert"] = ProductAlert.objects.create(
        email=f"someone-{key}@example.org",
        product=product,
        status=ProductAlert.UNCONFIRMED,
        key=f"alertkey{key}",
    )
    objects["review"] = ProductReview.objects.create(
        product=product,
        user=customer,
        score=4,
        title=f"Good {key}",
        body="Good.",
        status=ProductReview.APPROVED,
    )
    order = objects["order"]
    objects["order_hash"] = order.verification_hash()


def build_world() -> World:
    people = {ANON: None}
    people["customer"] = UserFactory(display_name="Customer One")
    people["customer2"] = UserFactory(display_name="Customer Two")
    people["staff"] = UserFactory(is_staff=True)
    people["superuser"] = UserFactory(is_staff=True, is_superuser=True)
    # alpha's roles exist before alpha (its assembly names its facilitator)
    for role in ("participant", "facilitator", "manager", "admin"):
        people[role] = UserFactory(display_name=role.title())
    alpha = _place("alpha", people=people)
    for role, value in [
        ("participant", Role.PARTICIPANT),
        ("facilitator", Role.FACILITATOR),
        ("manager", Role.MANAGER),
        ("admin", Role.ADMIN),
    ]:
        MembershipFactory(community=alpha.community, role=value, user=people[role])
    beta = _place("beta", people=people)
    hidden = _place("hidden", people=people, is_public=False)
    MembershipFactory(
        community=hidden.community, role=Role.PARTICIPANT, user=people["participant"]
    )
    country, _ = Country.objects.get_or_create(
        iso_3166_1_a2="IT",
        defaults={
            "name": "Italia",
            "printable_name": "Italia",
            "is_shipping_country": True,
        },
    )
    for customer, place, key in [("customer", alpha, "a"), ("customer2", beta, "b")]:
        _customer_things(
            people[customer],
            place,
            country=country,
            key=key,
            shared_with=people["participant"],
        )

    shop_range = Range.objects.create(name="Tutto", slug="tutto", is_public=True)
    shop_range.add_product(alpha.objects["product"])
    condition = Condition.objects.create(
        range=shop_range, type=Condition.COUNT, value=1
    )
    benefit = Benefit.objects.create(
        range=shop_range, type=Benefit.PERCENTAGE, value=Decimal("10")
    )
    ConditionalOffer.objects.create(
        name="Sconto",
        slug="sconto",
        offer_type=ConditionalOffer.SITE,
        condition=condition,
        benefit=benefit,
    )
    # The customer's basket holds a product, so Oscar's checkout pages get
    # past their "your basket is empty" guard and reach their own checks.
    basket = Basket.objects.create(owner=people["customer"])
    basket.strategy = Selector().strategy()
    basket.add_product(alpha.objects["product"])
    return World(people=people, alpha=alpha, beta=beta, hidden=hidden)


def _session_for(user) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, for every test of the module (read-only for them: each test
    and each request is rolled back)."""
    media = tempfile.mkdtemp(prefix="security-media-")
    overrides = override_settings(
        MEDIA_ROOT=media,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Hundreds of requests from one address: rate limits are tested apart.
        RATE_LIMIT_ENABLED=False,
    )
    overrides.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            world.sessions = {
                who: _session_for(user)
                for who, user in world.people.items()
                if user is not None
            }
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            overrides.disable()
            raise
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        overrides.disable()
        shutil.rmtree(media, ignore_errors=True)


def client_for(world, who, *, cookies=None, **kwargs) -> Client:
    """A fresh client logged in as ``who`` (a session made once per module)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **kwargs)
    for name, value in (cookies or {}).items():
        client.cookies[name] = value
    if who != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[who]
    return client


def as_role(world, who, method, url, data=None, *, after=None, **kwargs):
    """One request as ``who``, in a savepoint rolled back afterwards;
    ``after(response)`` runs inside it, before the rollback (to look at what
    the request wrote)."""
    client = client_for(world, who, **kwargs)
    with transaction.atomic():
        response = getattr(client, method)(url, data or {})
        if after is not None:
            after(response)
        transaction.set_rollback(True)
    return response


# --- what the database holds, to see that a refused request changed nothing ------

MAIN_MODELS = [
    "accounts.User",
    "participation.Community",
    "participation.Membership",
    "participation.Participant",
    "participation.Process",
    "participation.Proposal",
    "participation.Support",
    "participation.Project",
    "participation.Assembly",
    "participation.Ballot",
    "participation.PaperBatch",
    "participation.PaperEntry",
    "participation.PurchaseVote",
    "campaigns.Campaign",
    "campaigns.Pledge",
    "campaigns.Receipt",
    "campaigns.MatchRound",
    "rewards.RewardTier",
    "payments.Payment",
    "payments.LedgerTransaction",
    "payments.Entry",
    "accountability.Expense",
    "accountability.Milestone",
    "accountability.ResultsPeriod",
    "order.Order",
    "address.UserAddress",
    "wishlists.WishList",
    "wishlists.Line",
    "customer.ProductAlert",
    "reviews.ProductReview",
    "reviews.Vote",
    "communication.Notification",
]
# The field whose value a refused request could change, per model.
STATUS_FIELDS = {
    "participation.Process": "phase",
    "participation.Participant": "voter_code_digest",
    "participation.PurchaseVote": "status",
    "campaigns.Campaign": "status",
    "campaigns.Pledge": "status",
    "campaigns.MatchRound": "status",
    "payments.Payment": "status",
    "accountability.Expense": "status",
    "accountability.ResultsPeriod": "status",
    "order.Order": "status",
    "customer.ProductAlert": "status",
}


def snapshot() -> dict:
    """Rows per main table (one query) and each row's status."""
    from django.apps import apps
    from django.db import connection

    models = [apps.get_model(label) for label in MAIN_MODELS]
    quote = connection.ops.quote_name
    # table names come from the models, not from any input
    tables = [quote(model._meta.db_table) for model in models]
    counts = ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in tables)  # noqa: S608
    sql = f"SELECT {counts}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        state = dict(zip(MAIN_MODELS, cursor.fetchone(), strict=True))
    for label, name in STATUS_FIELDS.items():
        model = apps.get_model(label)
        state[f"{label}.{name}"] = sorted(model.objects.values_list("pk", name))
    return state


__all__ = [
    "ANON",
    "ROLES",
    "TEST_PASSWORD",
    "World",
    "as_role",
    "client_for",
    "snapshot",
]
