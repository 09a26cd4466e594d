"""Rate limits: the request past the limit gets our 429 page with Retry-After
and changes nothing; other addresses and users go on; the window resets. The
clock is ours (``core.ratelimit.clock``), never a sleep."""

import logging
import threading

import pytest
import redis
from django.core.cache import caches
from django.test import Client, RequestFactory
from django.urls import reverse

from campaigns.models import Pledge
from core import ratelimit
from core.ratelimit import Rate, client_ip, hit
from marketplace.catalogue import shop_partner_create
from participation.models import Ballot, Participant, Proposal, Role, Support
from participation.services import voter_code_issue
from rewards.models import RewardTier
from tests.campaigns.test_views import SHIPPING, make_campaign, tier
from tests.factories import (
    TEST_PASSWORD,
    CommunityFactory,
    MembershipFactory,
    ParticipantFactory,
    ProcessFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
)
from tests.marketplace.conftest import Order, checkout, product

pytestmark = pytest.mark.django_db

# A minute boundary: 1_800_000_000 is 30_000_000 whole minutes.
MINUTE = 1_800_000_000
REDIS_URL = "redis://127.0.0.1:6379/8"


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fixed = Clock(MINUTE + 15)
    monkeypatch.setattr(ratelimit, "clock", fixed)
    return fixed


def _login(client, email, password, ip):
    return client.post(
        reverse("accounts:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=ip,
    )


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- rates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/m", Rate(10, 60)),
        ("100/h", Rate(100, 3600)),
        ("5/10m", Rate(5, 600)),
        (" 3 / s ", Rate(3, 1)),
        ("1/d", Rate(1, 86400)),
    ],
)
def test_a_rate_reads_as_a_count_per_window(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "10", "0/m", "10/0m", "10/w", "ten/m", "-1/m"])
def test_a_bad_rate_is_refused_with_what_to_write(text):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="<count>/<unit>"):
        Rate.parse(text)


# --- login -------------------------------------------------------------------


def test_login_past_the_limit_is_refused_with_retry_after_and_nobody_logs_in(
    client, settings, clock, caplog
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}
    user = UserFactory(email="anna@example.org")

    tries = [_login(client, user.email, "wrong-password", "10.0.0.1") for _ in range(3)]
    with caplog.at_level(logging.WARNING, logger="security.ratelimit"):
        refused = _login(client, user.email, TEST_PASSWORD, "10.0.0.1")

    assert [r.status_code for r in tries] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert not _logged_in(client)
    user.refresh_from_db()
    assert user.last_login is None
    records = [r for r in caplog.records if r.name == "security.ratelimit"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "rate limit login exceeded by ip: ip=10.0.0.1" in message
    assert TEST_PASSWORD not in message and "wrong-password" not in message


def test_login_from_another_address_for_another_account_still_passes(
    client, settings, clock
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}
    other = UserFactory(email="bruno@example.org")
    for _ in range(4):
        _login(Client(), "anna@example.org", "wrong-password", "10.0.0.1")

    response = _login(client, other.email, TEST_PASSWORD, "10.0.0.2")

    assert response.status_code == 302
    assert _logged_in(client)


def test_login_limit_resets_with_the_next_window(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}
    user = UserFactory(email="anna@example.org")
    for _ in range(3):
        _login(client, user.email, "wrong-password", "10.0.0.1")
    assert _login(client, user.email, TEST_PASSWORD, "10.0.0.1").status_code == 429

    clock.now = MINUTE + 59.5
    assert _login(client, user.email, TEST_PASSWORD, "10.0.0.1").status_code == 429
    clock.now = MINUTE + 60
    response = _login(client, user.email, TEST_PASSWORD, "10.0.0.1")

    assert response.status_code == 302
    assert _logged_in(client)


def test_one_account_cannot_be_tried_from_many_addresses(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}
    user = UserFactory(email="anna@example.org")
    tries = [
        _login(Client(), "Anna@Example.org ", "guess", f"10.0.1.{n}").status_code
        for n in range(3)
    ]

    refused = _login(client, user.email, TEST_PASSWORD, "10.0.1.99")
    other_account = _login(Client(), "bruno@example.org", "guess", "10.0.1.99")

    assert tries == [200, 200, 200]  # the same account, however it is typed
    assert refused.status_code == 429
    assert not _logged_in(client)
    assert other_account.status_code == 200  # this address has tried once before


@pytest.mark.parametrize("door", ["/admin/login/", "/shop/dashboard/login/"])
def test_the_staff_login_forms_count_with_the_sites_own(client, settings, clock, door):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "2/m"}
    staff = UserFactory(email="staff@example.org", is_staff=True)
    for n in range(2):
        _login(Client(), staff.email, "guess", f"10.0.6.{n}")

    refused = client.post(
        door,
        {"username": staff.email, "password": TEST_PASSWORD},
        REMOTE_ADDR="10.0.6.9",
    )

    assert refused.status_code == 429
    assert not _logged_in(client)
    assert client.get(door).status_code == 200  # the form itself is still shown


def test_the_shops_own_login_address_only_leads_to_ours(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "1/m"}
    user = UserFactory()
    _login(Client(), user.email, "guess", "10.0.7.1")

    response = client.post(
        "/shop/accounts/login/?next=/shop/",
        {"username": user.email, "password": TEST_PASSWORD},
        REMOTE_ADDR="10.0.7.2",
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/shop/"
    assert not _logged_in(client)


def test_showing_the_login_form_is_free(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "2/m"}
    user = UserFactory()

    pages = [client.get(reverse("accounts:login")) for _ in range(5)]
    response = _login(client, user.email, TEST_PASSWORD, "127.0.0.1")

    assert [p.status_code for p in pages] == [200] * 5
    assert response.status_code == 302


def test_the_refusal_page_says_what_happened_and_when_to_retry(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "1/m"}
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    _login(client, "anna@example.org", "guess", "10.0.0.1")

    refused = _login(client, "anna@example.org", "guess", "10.0.0.1")

    text = refused.content.decode()
    assert refused.status_code == 429
    assert refused.templates[0].name == "429.html"
    assert "base.html" in [t.name for t in refused.templates]
    assert "<h1>Too many attempts</h1>" in text
    assert "nothing was saved" in text
    assert "Please wait 45 seconds and try again." in text


def test_limits_can_be_switched_off(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "1/m"}
    settings.RATE_LIMIT_ENABLED = False

    codes = [
        _login(client, "a@example.org", "x", "10.0.0.1").status_code for _ in range(4)
    ]

    assert codes == [200] * 4


# --- sign-up and password reset ----------------------------------------------


def test_sign_up_past_the_limit_creates_no_account(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/m"}
    from accounts.models import User

    def sign_up(n):
        return client.post(
            reverse("accounts:signup"),
            {
                "email": f"new{n}@example.org",
                "display_name": f"New {n}",
                "password1": "a-long-new-password-7",
                "password2": "a-long-new-password-7",
            },
        )

    codes = [sign_up(n).status_code for n in range(3)]

    assert codes == [302, 302, 429]
    assert sorted(User.objects.values_list("email", flat=True)) == [
        "new0@example.org",
        "new1@example.org",
    ]


def test_password_reset_requests_for_one_address_are_limited_across_addresses(
    settings, clock, mailoutbox
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "2/m"}
    UserFactory(email="anna@example.org")
    url = reverse("accounts:password_reset")

    codes = [
        Client()
        .post(url, {"email": "anna@example.org"}, REMOTE_ADDR=f"10.0.2.{n}")
        .status_code
        for n in range(3)
    ]

    assert codes == [302, 302, 429]
    assert len(mailoutbox) == 2


# --- voting, proposals, support -----------------------------------------------


@pytest.fixture
def open_vote():
    process = ProcessFactory(phase="vote", approval_min=1, approval_max=2)
    projects = [ProjectFactory(process=process, code=f"P0{n}") for n in (1, 2)]
    return process, projects


def test_code_ballots_past_the_limit_from_one_address_add_no_ballot(
    settings, clock, open_vote
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": "2/m"}
    process, (first, _second) = open_vote
    url = reverse(
        "participation:ballot-code", args=[process.community.slug, process.slug]
    )
    people = [ParticipantFactory(community=process.community) for _ in range(3)]
    codes = [voter_code_issue(participant=p) for p in people]

    def vote(code, ip):
        return Client().post(
            url, {"voter_code": code, f"project_{first.pk}": "on"}, REMOTE_ADDR=ip
        )

    answers = [vote(code, "10.0.3.1").status_code for code in codes]

    assert answers == [302, 302, 429]
    assert Ballot.objects.count() == 2
    assert Participant.objects.get(pk=people[2].pk).voter_code_used_at is None

    assert vote(codes[2], "10.0.3.2").status_code == 302
    assert Ballot.objects.count() == 3


def test_a_member_changing_a_ballot_past_the_limit_keeps_the_last_one_recorded(
    client, settings, clock, open_vote
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": "2/m"}
    process, (first, second) = open_vote
    voter = MembershipFactory(community=process.community, role=Role.PARTICIPANT).user
    client.force_login(voter)
    url = reverse("participation:ballot", args=[process.community.slug, process.slug])

    answers = [
        client.post(url, {f"project_{project.pk}": "on"}, REMOTE_ADDR=ip).status_code
        for project, ip in [
            (first, "10.0.4.1"),
            (second, "10.0.4.2"),
            (first, "10.0.4.3"),
        ]
    ]

    assert answers == [302, 302, 429]  # a new address each time: the user's key
    ballot = Ballot.objects.get()
    assert list(ballot.items.values_list("project_id", flat=True)) == [second.pk]
    assert client.get(url).status_code == 200  # the page itself stays readable


def test_proposals_past_the_limit_are_not_published(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "proposal": "1/m"}
    process = ProcessFactory(phase="proposals")
    client.force_login(MembershipFactory(community=process.community).user)
    url = reverse(
        "participation:proposal-create", args=[process.community.slug, process.slug]
    )

    answers = [
        client.post(url, {"title": title, "description": "Nel cortile"}).status_code
        for title in ("Orto", "Panchine")
    ]

    assert answers == [302, 429]
    assert list(Proposal.objects.values_list("title", flat=True)) == ["Orto"]


def test_support_past_the_limit_is_not_counted(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "support": "1/m"}
    process = ProcessFactory(phase="support", support_max_per_voter=5)
    first, second = ProposalFactory(process=process), ProposalFactory(process=process)
    client.force_login(MembershipFactory(community=process.community).user)

    def support(proposal):
        return client.post(
            reverse(
                "participation:support-toggle",
                args=[process.community.slug, process.slug, proposal.pk],
            )
        ).status_code

    assert [support(first), support(second)] == [302, 429]
    assert list(Support.objects.values_list("proposal_id", flat=True)) == [first.pk]


# --- pledges, pay pages, shop -------------------------------------------------


def test_a_pledge_past_the_limit_is_not_recorded_and_claims_no_reward(
    client, settings, clock
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "pledge": "1/m"}
    campaign = make_campaign()
    bowl = tier(campaign, quantity=5, delivery="shipping")
    backer = UserFactory()
    client.force_login(backer)
    url = reverse("campaigns:pledge-create", args=[campaign.slug]) + f"?tier={bowl.pk}"
    data = {"amount": "30", **SHIPPING}

    answers = [client.post(url, data).status_code for _ in range(2)]

    assert answers == [302, 429]
    assert Pledge.objects.filter(backer=backer).count() == 1
    assert RewardTier.objects.get(pk=bowl.pk).claimed == 1

    other = Client()
    other.force_login(UserFactory())
    assert other.post(url, data, REMOTE_ADDR="10.0.5.2").status_code == 302
    assert Pledge.objects.count() == 2


def test_every_load_of_a_pay_page_counts(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "pay": "2/m"}
    url = reverse("payments:pay", args=["not-a-token"])

    answers = [client.get(url).status_code for _ in range(3)]

    assert answers == [404, 404, 429]


def test_an_order_past_the_checkout_limit_is_not_placed(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkout": "1/m"}
    farm = shop_partner_create(
        community=CommunityFactory(kind="enterprise"), name="Orto", pickup_place="Via 3"
    )
    jar = product(farm, stock=5)
    client.force_login(UserFactory())
    assert checkout(client, jar).status_code == 302

    refused = checkout(client, jar)

    assert refused.status_code == 429
    assert Order.objects.count() == 1
    record = jar.stockrecords.get()
    assert (record.num_in_stock, record.num_allocated) == (5, 1)


def test_a_purchase_vote_page_past_the_limit_is_refused(client, settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "purchase_vote": "1/m"}
    client.force_login(UserFactory())
    url = reverse("participation:purchase-votes")

    # POSTs to the list redirect (a vote is cast on its own page); they count.
    answers = [client.post(url).status_code for _ in range(2)]

    assert answers == [302, 429]
    assert client.get(url).status_code == 200


def test_a_subclass_decorated_again_counts_once_under_its_own_scope(settings, clock):
    from django.http import HttpResponse
    from django.views import View

    from core.ratelimit import rate_limited

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": "1/m", "support": "3/m"}

    @rate_limited("vote")
    class Parent(View):
        def post(self, request):
            return HttpResponse("ok")

    @rate_limited("support")
    class Child(Parent):
        """Inherits the parent's post; decorated again under its own scope."""

    request = RequestFactory().post("/", REMOTE_ADDR="10.0.8.1")
    request.user = None
    child = Child.as_view()
    answers = [child(request).status_code for _ in range(4)]
    parent = Parent.as_view()(request).status_code

    assert answers == [200, 200, 200, 429]  # support's 3, not vote's 1, nor twice
    assert parent == 200  # the parent's vote count was never touched


# --- who is the client ----------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        (0, "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # header not believed
        (1, "10.0.0.1", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # spoofed left
        (2, "10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "10.0.0.1", "198.51.100.1", "198.51.100.1"),  # fewer hops than proxies
        (1, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "not-an-ip", "10.0.0.1"),
        (0, "2001:db8:1:2:3:4:5:6", "", "2001:db8:1:2::/64"),
        (0, "::ffff:198.51.100.9", "", "198.51.100.9"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    settings, proxies, remote, forwarded, client
):
    settings.RATE_LIMIT_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded

    assert client_ip(request) == client


def test_behind_one_proxy_each_forwarded_client_has_its_own_count(settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "1/m"}
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1

    def attempt(forwarded):
        return (
            Client()
            .post(
                reverse("accounts:login"),
                {"username": f"{forwarded}@example.org", "password": "x"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=forwarded,
            )
            .status_code
        )

    assert [attempt("198.51.100.1"), attempt("198.51.100.2")] == [200, 200]
    assert attempt("6.6.6.6, 198.51.100.1") == 429


# --- counting under concurrency ------------------------------------------------


def _hammer(scope: str, *, threads: int, each: int) -> list[bool]:
    """``threads`` threads each sending ``each`` requests from one address;
    whether each request was let through."""
    passed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work():
        start.wait()
        for _ in range(each):
            allowed = hit(scope, [("ip", "192.0.2.1")]) is None
            with lock:
                passed.append(allowed)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return passed


@pytest.fixture
def redis_cache(settings):
    """The limits counted in the real Redis (database 8 of the local server),
    through the cache backend production uses (one client for all threads)."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "core.cache.ReusedClientRedisCache",  # as in production
            "LOCATION": REDIS_URL,
        },
    }
    settings.RATE_LIMIT_CACHE = "ratelimit"
    settings.RATE_LIMIT_KEY_PREFIX = "rl-test"
    caches["ratelimit"].clear()
    yield caches["ratelimit"]
    caches["ratelimit"].clear()


def test_concurrent_requests_are_counted_exactly_in_redis(settings, clock, redis_cache):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": "50/m"}

    passed = _hammer("vote", threads=8, each=25)

    assert len(passed) == 200
    assert passed.count(True) == 50
    server = redis.Redis.from_url(REDIS_URL)
    (name,) = server.keys("*rl-test:vote:ip:*")
    assert name.decode().endswith(f":{MINUTE // 60}")
    assert int(server.get(name)) == 200
    assert 0 < server.ttl(name) <= 45


def test_a_new_window_in_redis_starts_from_zero(settings, clock, redis_cache):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": "2/m"}
    first = [hit("vote", [("ip", "192.0.2.1")]) for _ in range(3)]
    clock.now = MINUTE + 60
    second = hit("vote", [("ip", "192.0.2.1")])

    assert [r is None for r in first] == [True, True, False]
    assert first[2].retry_after == 45
    assert first[2].key_kind == "ip"
    assert second is None


def test_every_key_of_a_request_is_counted_in_one_redis_transaction(
    settings, clock, redis_cache
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "2/m"}
    server = redis.Redis.from_url(REDIS_URL)

    answers = [
        hit("login", [("ip", f"192.0.2.{n}"), ("username", "anna@example.org")])
        for n in range(3)
    ]

    assert [a is None for a in answers] == [True, True, False]
    assert answers[2].key_kind == "username"
    counts = sorted(int(server.get(name)) for name in server.keys("*rl-test:login:*"))
    assert counts == [1, 1, 1, 3]  # three addresses once, one e-mail thrice


def test_concurrent_requests_are_counted_exactly_in_local_memory(settings, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": "50/m"}

    passed = _hammer("vote", threads=8, each=25)

    assert (len(passed), passed.count(True)) == (200, 50)
