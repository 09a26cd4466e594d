"""Per-project explanations for a results page."""

from fractions import Fraction

from participation.rules import Election, Project, explain

TIE = Election(
    budget=100,
    projects=[
        Project("9", 50, "nine"),
        Project("10", 50, "ten"),
        Project("11", 60, "eleven"),
        Project("12", 10, "nobody"),
    ],
    approvals=[{"9", "10"}, {"9", "10"}, {"11"}, {"11"}],
)


def reasons(explanation):
    return [
        (p.project_id, p.selected, p.position, p.reason) for p in explanation.projects
    ]


def test_greedy_says_selected_or_the_remaining_budget_it_did_not_fit_in():
    result = explain(TIE, "greedy")

    assert (result.winners, result.spent, result.budget) == (["10", "9"], 100, 100)
    assert reasons(result) == [
        ("10", True, 1, "selected"),
        ("9", True, 2, "selected"),
        ("11", False, None, "did not fit in the remaining budget 50"),
        ("12", False, None, "did not fit in the remaining budget 0"),
    ]
    assert [(p.votes, p.remaining_budget) for p in result.projects] == [
        (2, 100),
        (2, 50),
        (2, 50),
        (0, 0),
    ]


def test_mes_says_what_supporters_paid_in_which_round_and_why_others_lost():
    result = explain(TIE, "mes")

    assert result.share == 25
    assert reasons(result) == [
        (
            "10",
            True,
            1,
            "selected in round 1: 2 supporters paid 50.00 of its cost 50, "
            "none more than 25.00",
        ),
        (
            "11",
            False,
            None,
            "its supporters could not afford it: they had 50.00 left in total, "
            "less than its cost 60",
        ),
        (
            "9",
            False,
            None,
            "its supporters could not afford it: they had 0.00 left in total, "
            "less than its cost 50",
        ),
        ("12", False, None, "nobody supports it"),
    ]
    first = result.projects[0]
    assert (first.round, first.paid_by_supporters, first.max_payment, first.payers) == (
        1,
        50.0,
        25.0,
        2,
    )
    assert [p.supporters_money for p in result.projects[1:]] == [50.0, 0.0, None]


def test_mes_add1_explains_the_raised_share_and_the_greedy_completion():
    result = explain(TIE, "mes-add1")

    assert (result.winners, result.increase, result.share) == (["10", "9"], 4, 29)
    assert [(p.project_id, p.stage) for p in result.projects] == [
        ("10", "equal shares"),
        ("9", "greedy completion"),
        ("11", "greedy completion"),
        ("12", "greedy completion"),
    ]
    assert result.projects[1].reason == (
        "selected by the greedy completion: it fitted in the remaining budget 50"
    )
    assert result.projects[2].reason == (
        "its supporters could not afford it (each voter's share raised by 4): they "
        "had 58.00 left in total, less than its cost 60, and it did not fit in the "
        "remaining budget 50 of the greedy completion"
    )


def test_votes_are_summed_weights():
    election = Election(
        budget=10,
        projects=[Project("A", 4)],
        approvals=[{"A"}, {"A"}],
        weights=[Fraction(1, 2), 2],
    )

    assert explain(election, "greedy").projects[0].votes == Fraction(5, 2)
