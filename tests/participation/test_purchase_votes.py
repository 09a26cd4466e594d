"""Purchase votes: each paid order gives its buyer a say, weighted by the mode.

The shop is not needed: its calls are made here with a source string, as the
shop makes them when an order is paid (grant) or refunded (withdraw).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.money import format_money
from participation import selectors, services
from participation.exceptions import (
    ProcessError,
    PurchaseVoteClosed,
    PurchaseVoteConflict,
    PurchaseVoteError,
    PurchaseVoteInvalid,
    PurchaseVoteNotYours,
    PurchaseVotesOff,
    PurchaseVoteWithdrawn,
    RulesFrozen,
)
from participation.forms import RulesForm
from participation.models import (
    Ballot,
    BallotItem,
    Process,
    ProcessEvent,
    PurchaseVote,
    PurchaseVoteEvent,
)
from participation.services.results import process_to_pb, results_compute
from tests.factories import ProcessFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _process(mode="order", **options):
    options.setdefault("budget_cents", 30_000)
    options.setdefault("outcome_rule", "greedy")
    return ProcessFactory(phase="vote", purchase_votes=mode, **options)


def _ballots(process, *approvals):
    """One online ballot per set of projects."""
    for projects in approvals:
        ballot = Ballot.objects.create(
            process=process, user=UserFactory(), channel="online"
        )
        for project in projects:
            BallotItem.objects.create(ballot=ballot, project=project)


_orders = iter(range(1, 10_000))


def _bought(process, buyer, projects, cents=1_000):
    """A paid order whose buyer chose ``projects``."""
    vote = services.purchase_vote_grant(
        process=process,
        buyer=buyer,
        source=f"order:{next(_orders)}",
        amount_cents=cents,
    )
    if projects:
        services.purchase_vote_cast(vote=vote, buyer=buyer, projects=list(projects))
    return vote


def _votes(result) -> dict[str, int]:
    return {row["code"]: row["votes"] for row in result.explanation["rows"]}


def _nothing_written():
    return (PurchaseVote.objects.count(), PurchaseVoteEvent.objects.count()) == (0, 0)


# --- grant ------------------------------------------------------------------------


def test_granting_the_same_order_twice_grants_one_vote():
    process = _process()
    buyer = UserFactory()

    first = services.purchase_vote_grant(
        process=process, buyer=buyer, source="order:42", amount_cents=1_250
    )
    again = services.purchase_vote_grant(
        process=process, buyer=buyer, source="order:42", amount_cents=1_250
    )

    assert again.pk == first.pk
    assert PurchaseVote.objects.count() == 1
    vote = PurchaseVote.objects.get()
    assert (vote.buyer, vote.process, vote.amount_cents) == (buyer, process, 1_250)
    assert vote.status == "active"
    assert vote.cast_at is None and vote.withdrawn_at is None
    assert list(vote.events.values_list("kind", flat=True)) == ["granted"]


def test_an_order_key_used_by_another_buyer_is_refused_and_the_vote_kept():
    process = _process()
    buyer = UserFactory()
    services.purchase_vote_grant(
        process=process, buyer=buyer, source="order:7", amount_cents=500
    )

    with pytest.raises(PurchaseVoteConflict):
        services.purchase_vote_grant(
            process=process, buyer=UserFactory(), source="order:7", amount_cents=900
        )

    vote = PurchaseVote.objects.get()
    assert (vote.buyer, vote.amount_cents) == (buyer, 500)
    assert PurchaseVoteEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"mode": "off"}, PurchaseVotesOff),
        ({"phase": "codesign"}, PurchaseVoteClosed),
        ({"phase": "results"}, PurchaseVoteClosed),
        ({"vote_ends_on": datetime.date(2020, 1, 31)}, PurchaseVoteClosed),
    ],
)
def test_a_process_that_does_not_take_purchase_votes_now_refuses_and_writes_nothing(
    options, error
):
    options = dict(options)
    process = _process(options.pop("mode", "order"))
    Process.objects.filter(pk=process.pk).update(**options)

    with pytest.raises(error):
        services.purchase_vote_grant(
            process=process, buyer=UserFactory(), source="order:1", amount_cents=100
        )

    assert _nothing_written()


@pytest.mark.parametrize(
    ("source", "cents"), [("order:1", -1), ("", 100), ("order:1", 1.5)]
)
def test_a_bad_amount_or_key_is_refused_and_writes_nothing(source, cents):
    with pytest.raises(PurchaseVoteError):
        services.purchase_vote_grant(
            process=_process(), buyer=UserFactory(), source=source, amount_cents=cents
        )
    assert _nothing_written()


def test_the_database_refuses_a_negative_amount():
    from django.db import IntegrityError, transaction

    process = _process()
    with pytest.raises(IntegrityError), transaction.atomic():
        PurchaseVote.objects.create(
            process=process, buyer=UserFactory(), source="x", amount_cents=-5
        )


# --- cast -------------------------------------------------------------------------


def test_only_the_buyer_casts_their_vote_and_can_change_it_until_the_vote_closes():
    process = _process()
    a = ProjectFactory(process=process, code="A")
    b = ProjectFactory(process=process, code="B")
    buyer = UserFactory()
    vote = services.purchase_vote_grant(
        process=process, buyer=buyer, source="order:1", amount_cents=100
    )

    with pytest.raises(PurchaseVoteNotYours):
        services.purchase_vote_cast(vote=vote, buyer=UserFactory(), projects=[a])
    vote.refresh_from_db()
    assert list(vote.projects.all()) == [] and vote.cast_at is None

    services.purchase_vote_cast(vote=vote, buyer=buyer, projects=[a])
    services.purchase_vote_cast(vote=vote, buyer=buyer, projects=[b])

    vote.refresh_from_db()
    assert list(vote.projects.values_list("code", flat=True)) == ["B"]
    assert vote.cast_at is not None
    assert [(e.kind, e.detail) for e in vote.events.all()] == [
        ("granted", {"cents": 100}),
        ("cast", {"projects": ["A"]}),
        ("cast", {"projects": ["B"]}),
    ]

    Process.objects.filter(pk=process.pk).update(phase="results")
    with pytest.raises(PurchaseVoteClosed):
        services.purchase_vote_cast(vote=vote, buyer=buyer, projects=[a])
    assert list(vote.projects.values_list("code", flat=True)) == ["B"]


def test_a_cast_breaking_the_rules_changes_nothing():
    process = _process(approval_max=2)
    a, b, c = (ProjectFactory(process=process, code=code) for code in "ABC")
    elsewhere = ProjectFactory(code="Z")
    not_feasible = ProjectFactory(
        process=process, code="N", feasibility="pending", cost_cents=100
    )
    buyer = UserFactory()
    vote = _bought(process, buyer, [a])
    cast_at = PurchaseVote.objects.get().cast_at

    for projects in ([a, b, c], [elsewhere], [not_feasible], []):
        with pytest.raises(PurchaseVoteInvalid):
            services.purchase_vote_cast(vote=vote, buyer=buyer, projects=projects)

    with translation.override("en"), pytest.raises(PurchaseVoteInvalid) as error:
        services.purchase_vote_cast(vote=vote, buyer=buyer, projects=[a, b, c])
    assert error.value.errors == ["Choose at most 2 projects (you chose 3)."]
    vote.refresh_from_db()
    assert list(vote.projects.values_list("code", flat=True)) == ["A"]
    assert vote.cast_at == cast_at
    assert vote.events.filter(kind="cast").count() == 1


def test_a_refunded_vote_cannot_be_cast():
    process = _process()
    a = ProjectFactory(process=process, code="A")
    buyer = UserFactory()
    vote = _bought(process, buyer, [], cents=100)
    services.purchase_vote_withdraw(source=vote.source, reason="refund")

    with pytest.raises(PurchaseVoteWithdrawn):
        services.purchase_vote_cast(vote=vote, buyer=buyer, projects=[a])
    assert list(vote.projects.all()) == []


# --- withdraw ---------------------------------------------------------------------


def test_withdrawing_is_idempotent_and_an_unknown_order_is_none():
    process = _process()
    vote = _bought(process, UserFactory(), [ProjectFactory(process=process)])

    first = services.purchase_vote_withdraw(source=vote.source, reason="refunded")
    again = services.purchase_vote_withdraw(source=vote.source, reason="twice")

    assert first.status == again.status == "withdrawn"
    assert again.withdrawn_at == first.withdrawn_at
    assert again.withdraw_reason == "refunded"
    assert vote.events.filter(kind="withdrawn").count() == 1
    assert services.purchase_vote_withdraw(source="order:nope", reason="x") is None
    # a grant retried after the refund does not bring the vote back
    regrant = services.purchase_vote_grant(
        process=process, buyer=vote.buyer, source=vote.source, amount_cents=1_000
    )
    assert regrant.status == "withdrawn"


# --- counting ---------------------------------------------------------------------


def test_one_vote_per_order_and_refunds_change_the_ranking_greedy():
    process = _process("order")
    a = ProjectFactory(process=process, code="A", cost_cents=20_000)
    b = ProjectFactory(process=process, code="B", cost_cents=20_000)
    _ballots(process, [a], [a], [a], [b], [b])
    buyer = UserFactory()
    orders = [_bought(process, buyer, [b]) for _ in range(3)]
    _bought(process, UserFactory(), [])  # granted, never cast: does not count

    result = results_compute(process=process)
    assert result.winners == ["B"]  # 2 ballots + 3 orders against 3 ballots
    assert _votes(result) == {"A": 3, "B": 5}
    assert result.ballots_counted == 5
    assert result.explanation["purchase_votes"] == {
        "mode": "order",
        "ballots": 3,
        "buyers": 1,
        "orders": 3,
        "total_weight": 3,
        "weight": 1,
        "cap": 50,
    }

    services.purchase_vote_withdraw(source=orders[0].source, reason="refund")
    result = results_compute(process=process)
    assert (result.winners, _votes(result)) == (["B"], {"A": 3, "B": 4})

    services.purchase_vote_withdraw(source=orders[1].source, reason="refund")
    result = results_compute(process=process)
    assert (result.winners, _votes(result)) == (["A"], {"A": 3, "B": 3})  # tie: A
    assert result.explanation["purchase_votes"]["orders"] == 1


def test_one_buyer_one_vote_joins_the_buyers_choices_with_the_channel_weight():
    process = _process("buyer", purchase_vote_weight=2)
    a = ProjectFactory(process=process, code="A", cost_cents=20_000)
    b = ProjectFactory(process=process, code="B", cost_cents=20_000)
    _ballots(process, [a], [a], [a], [b], [b])
    x, y = UserFactory(), UserFactory()
    for _ in range(3):
        _bought(process, x, [b])  # three orders, one buyer: one vote
    _bought(process, y, [a])
    _bought(process, y, [b])  # y approves A and B
    refunded = _bought(process, UserFactory(), [a])
    services.purchase_vote_withdraw(source=refunded.source, reason="refund")

    result = results_compute(process=process)

    assert _votes(result) == {"A": 3 + 2, "B": 2 + 2 + 2}
    assert result.winners == ["B"]
    stored = result.explanation["purchase_votes"]
    assert (stored["ballots"], stored["buyers"], stored["orders"]) == (2, 2, 5)
    assert stored["total_weight"] == 4


def test_votes_per_euro_add_the_buyers_euros_then_floor_and_cap_greedy():
    process = _process("euro", purchase_votes_per_euro_cap=30)
    a = ProjectFactory(process=process, code="A", cost_cents=20_000)
    b = ProjectFactory(process=process, code="B", cost_cents=20_000)
    _ballots(process, [a], [a], [a], [b], [b])
    x, y = UserFactory(), UserFactory()
    _bought(process, x, [b], cents=1_250)
    _bought(process, x, [b], cents=799)  # 20.49 euro together: 20 votes
    _bought(process, y, [a], cents=4_500)  # 45 euro: capped at 30
    _bought(process, UserFactory(), [b], cents=99)  # under one euro: nothing

    result = results_compute(process=process)
    assert _votes(result) == {"A": 3 + 30, "B": 2 + 20}
    assert result.winners == ["A"]
    stored = result.explanation["purchase_votes"]
    assert (stored["ballots"], stored["buyers"], stored["orders"]) == (2, 2, 3)
    assert stored["total_weight"] == 50

    # the channel weight multiplies the capped votes
    Process.objects.filter(pk=process.pk).update(purchase_vote_weight=3)
    process.refresh_from_db()
    result = results_compute(process=process)
    assert _votes(result) == {"A": 3 + 90, "B": 2 + 60}
    assert result.explanation["purchase_votes"]["total_weight"] == 150


def _mes_process(mode, **options):
    """Budget 300: A costs 200, B and C 100; four ballots approve A and C."""
    process = _process(mode, outcome_rule="mes", **options)
    a = ProjectFactory(process=process, code="A", cost_cents=20_000)
    b = ProjectFactory(process=process, code="B", cost_cents=10_000)
    c = ProjectFactory(process=process, code="C", cost_cents=10_000)
    _ballots(process, *([[a, c]] * 4))
    return process, a, b, c


def test_equal_shares_give_two_orders_their_own_project_and_not_one():
    process, _a, b, _c = _mes_process("order")
    buyer = UserFactory()
    first = _bought(process, buyer, [b])
    _bought(process, buyer, [b])

    # 6 voters, 50 each: A (its 4 supporters pay 50 each, tie with C broken by
    # id), then C is out of money and B is paid by its 2 orders (50 each).
    result = results_compute(process=process)
    assert result.winners == ["A", "B"]
    assert _votes(result) == {"A": 4, "B": 2, "C": 4}

    # refunded: 5 voters, 60 each; after A the order has 60 < 100 for B
    services.purchase_vote_withdraw(source=first.source, reason="refund")
    result = results_compute(process=process)
    assert result.winners == ["A"]
    assert _votes(result) == {"A": 4, "B": 1, "C": 4}


def test_equal_shares_weigh_the_euros_exactly_and_the_cap_holds():
    process, _a, b, _c = _mes_process("euro", purchase_votes_per_euro_cap=5)
    _bought(process, UserFactory(), [b], cents=275)  # 2 votes: weight 2

    result = results_compute(process=process)
    assert result.winners == ["A", "B"]  # B's buyer has 2 x 50 = its cost
    assert _votes(result) == {"A": 4, "B": 2, "C": 4}

    Process.objects.filter(pk=process.pk).update(purchase_votes_per_euro_cap=1)
    process.refresh_from_db()
    result = results_compute(process=process)
    assert result.winners == ["A"]  # capped at 1: 60 < 100
    assert _votes(result) == {"A": 4, "B": 1, "C": 4}


def test_the_pb_export_carries_the_weighted_purchase_ballots():
    process = _process("euro")
    a = ProjectFactory(process=process, code="A")
    _ballots(process, [a])
    _bought(process, UserFactory(), [a], cents=300)

    text = process_to_pb(process)

    assert "num_votes;2" in text
    assert "voter_id;vote;weight" in text
    assert text.rstrip().endswith(";A;3")


def test_purchase_votes_off_count_nothing():
    process = _process("order")
    a = ProjectFactory(process=process, code="A")
    b = ProjectFactory(process=process, code="B")
    _ballots(process, [a])
    _bought(process, UserFactory(), [b])
    Process.objects.filter(pk=process.pk).update(purchase_votes="off")
    process.refresh_from_db()

    result = results_compute(process=process)
    assert _votes(result) == {"A": 1, "B": 0}
    assert result.explanation["purchase_votes"]["total_weight"] == 0


# --- rules ------------------------------------------------------------------------


def test_the_purchase_rules_freeze_with_the_first_purchase_vote():
    process = _process("order")
    actor = UserFactory()
    services.process_rules_update(process=process, actor=actor, purchase_votes="euro")
    _bought(process, UserFactory(), [])
    events = ProcessEvent.objects.count()

    with pytest.raises(RulesFrozen):
        services.process_rules_update(
            process=process, actor=actor, purchase_votes="buyer"
        )

    process.refresh_from_db()
    assert process.purchase_votes == "euro"
    assert ProcessEvent.objects.count() == events


def test_inconsistent_purchase_rules_are_refused():
    process = _process("off")
    with pytest.raises(ProcessError):
        services.process_rules_update(
            process=process, actor=UserFactory(), purchase_votes="sometimes"
        )
    with pytest.raises(ProcessError):
        services.process_rules_update(
            process=process, actor=UserFactory(), purchase_votes_per_euro_cap=0
        )
    process.refresh_from_db()
    assert (process.purchase_votes, process.purchase_votes_per_euro_cap) == ("off", 50)

    form = RulesForm(
        {
            "ballot_kind": "approval",
            "approval_min": 1,
            "approval_max": 3,
            "points_total": 10,
            "points_max_per_project": 5,
            "outcome_rule": "greedy",
            "market_vote_weight": 1,
            "purchase_votes": "euro",
            "purchase_votes_per_euro_cap": 0,
            "purchase_vote_weight": 1,
        },
        instance=process,
    )
    assert not form.is_valid()
    assert "purchase_votes_per_euro_cap" in form.errors


# --- pages ------------------------------------------------------------------------


def test_the_votes_page_needs_a_login(client):
    response = client.get(reverse("participation:purchase-votes"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_buyer_sees_each_vote_and_casts_it_with_checkboxes(client):
    process = _process("euro", title="Orto <b>sociale</b>")
    a = ProjectFactory(process=process, code="A", title="<script>alert(1)</script>")
    ProjectFactory(process=process, code="B", title="Serra")
    buyer = UserFactory()
    vote = services.purchase_vote_grant(
        process=process, buyer=buyer, source="order:<i>9</i>", amount_cents=1_250
    )
    client.force_login(buyer)

    page = client.get(vote.get_absolute_url(), **EN).content.decode()

    assert vote.get_absolute_url() == f"/communities/purchase-votes/{vote.pk}/"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "Orto &lt;b&gt;sociale&lt;/b&gt;" in page
    assert "order:&lt;i&gt;9&lt;/i&gt;" in page
    with translation.override("en"):
        assert format_money(1_250, "EUR") in page
    assert "Not cast yet" in page
    assert f'name="projects" value="{a.pk}"' in page

    response = client.post(vote.get_absolute_url(), {"projects": [a.pk]}, **EN)

    assert response.status_code == 302
    assert response["Location"] == f"/communities/purchase-votes/#vote-{vote.pk}"
    assert list(vote.projects.all()) == [a]
    page = client.get(response["Location"], **EN).content.decode()
    assert "Your purchase vote is recorded" in page
    assert "<dt>Weight it carries</dt><dd>12</dd>" in page


def test_an_empty_choice_shows_an_error_and_changes_nothing(client):
    process = _process("order")
    a = ProjectFactory(process=process, code="A")
    buyer = UserFactory()
    vote = _bought(process, buyer, [a])
    client.force_login(buyer)

    response = client.post(vote.get_absolute_url(), {}, **EN)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your purchase vote was not recorded." in page
    assert "Choose at least one project." in page
    assert list(vote.projects.all()) == [a]


def test_someone_elses_vote_is_not_found_and_not_cast(client):
    process = _process("order")
    a = ProjectFactory(process=process, code="A")
    vote = _bought(process, UserFactory(), [])
    client.force_login(UserFactory())

    assert client.get(vote.get_absolute_url()).status_code == 404
    assert client.post(vote.get_absolute_url(), {"projects": [a.pk]}).status_code == 404
    assert list(vote.projects.all()) == []


def test_a_refunded_vote_shows_as_withdrawn_without_a_form(client):
    process = _process("order")
    a = ProjectFactory(process=process, code="A")
    buyer = UserFactory()
    vote = _bought(process, buyer, [a])
    services.purchase_vote_withdraw(source=vote.source, reason="refund")
    client.force_login(buyer)

    page = client.get(reverse("participation:purchase-votes"), **EN).content.decode()

    assert "Withdrawn: the order was refunded" in page
    assert 'name="projects"' not in page


def test_the_votes_page_makes_as_many_queries_for_one_vote_as_for_many(client):
    process = _process("euro")
    other = _process("buyer")
    projects = [ProjectFactory(process=process, code=c) for c in "AB"]
    other_project = ProjectFactory(process=other, code="Z")
    buyer = UserFactory()
    _bought(process, buyer, projects[:1])
    client.force_login(buyer)
    url = reverse("participation:purchase-votes")
    client.get(url)  # session and user cached like any later request

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(4):
        _bought(process, buyer, projects)
        _bought(other, buyer, [other_project])
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, **EN).content.decode()

    assert page.count('class="card purchase-vote"') == 9
    assert len(many) == len(one)


def test_the_results_page_says_how_much_each_channel_counted(client):
    process = _process("order")
    a = ProjectFactory(process=process, code="A", cost_cents=20_000)
    _ballots(process, [a], [a])
    buyer = UserFactory()
    _bought(process, buyer, [a])
    _bought(process, buyer, [a])
    services.process_advance(process=process, actor=UserFactory())

    page = client.get(
        reverse("participation:results", args=[process.community.slug, process.slug]),
        **EN,
    ).content.decode()

    assert "Ballots: 2 voters." in page
    assert "2 orders" in page
    assert "total weight 2." in page


def test_the_selectors_list_the_buyers_votes_and_the_process_ballots():
    process = _process("order")
    a = ProjectFactory(process=process, code="A")
    buyer = UserFactory()
    older = _bought(process, buyer, [a])
    newer = _bought(process, buyer, [])
    _bought(process, UserFactory(), [a])

    assert list(selectors.purchase_votes_of(buyer)) == [newer, older]
    ballots = selectors.purchase_vote_ballots(process)
    assert [(sorted(b.approved), b.weight) for b in ballots] == [(["A"], 1)] * 2


# --- at the same moment (PostgreSQL) ----------------------------------------------


def _race(count, attempt):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connections

    barrier = Barrier(count)

    def run(index):
        barrier.wait()
        try:
            return attempt(index)
        except Exception as error:  # noqa: BLE001 - the outcome is what we count
            return type(error).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_paid_order_granted_by_many_workers_at_once_grants_once():
    process = _process("order")
    buyer = UserFactory()

    outcomes = _race(
        6,
        lambda _i: (
            services.purchase_vote_grant(
                process=process, buyer=buyer, source="order:race", amount_cents=700
            ).pk
        ),
    )

    vote = PurchaseVote.objects.get()
    assert outcomes == [vote.pk] * 6
    assert PurchaseVoteEvent.objects.filter(kind="granted").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_delivered_many_times_at_once_withdraws_once():
    process = _process("order")
    vote = _bought(process, UserFactory(), [ProjectFactory(process=process)])

    outcomes = _race(
        6,
        lambda _i: (
            services.purchase_vote_withdraw(source=vote.source, reason="refund").status
        ),
    )

    assert outcomes == ["withdrawn"] * 6
    assert vote.events.filter(kind="withdrawn").count() == 1


def test_a_facilitator_sets_purchase_votes_on_the_manage_page(client):
    from participation.models import Role
    from tests.factories import MembershipFactory

    process = ProcessFactory(phase="codesign")
    client.force_login(
        MembershipFactory(community=process.community, role=Role.FACILITATOR).user
    )
    url = reverse(
        "participation:process-manage", args=[process.community.slug, process.slug]
    )
    page = client.get(url, **EN).content.decode()
    assert 'name="purchase_votes"' in page
    assert 'name="purchase_votes_per_euro_cap"' in page

    client.post(
        url,
        {
            "action": "rules",
            "ballot_kind": "approval",
            "approval_min": 1,
            "approval_max": 3,
            "points_total": 10,
            "points_max_per_project": 5,
            "outcome_rule": "mes-add1",
            "market_vote_weight": 1,
            "purchase_votes": "euro",
            "purchase_votes_per_euro_cap": 20,
            "purchase_vote_weight": 2,
        },
    )

    process.refresh_from_db()
    assert (
        process.purchase_votes,
        process.purchase_votes_per_euro_cap,
        process.purchase_vote_weight,
    ) == ("euro", 20, 2)
    event = ProcessEvent.objects.get(process=process, kind="rules_changed")
    assert event.detail["before"]["purchase_votes"] == "off"
    assert event.detail["after"]["purchase_votes_per_euro_cap"] == 20


def test_the_process_page_says_purchases_count_and_links_to_the_votes(client):
    process = _process("buyer")
    client.force_login(UserFactory())
    url = reverse(
        "participation:process-detail", args=[process.community.slug, process.slug]
    )

    page = client.get(url, **EN).content.decode()

    assert "Purchases in the shop count as votes too: One buyer, one vote." in page
    assert f'href="{reverse("participation:purchase-votes")}"' in page


def test_the_vote_of_an_order_is_found_by_its_key():
    process = _process("order")
    vote = _bought(process, UserFactory(), [])

    assert selectors.purchase_vote_by_source(vote.source) == vote
    assert selectors.purchase_vote_by_source("order:0") is None
