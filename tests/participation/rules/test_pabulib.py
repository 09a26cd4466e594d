"""Reading pabulib files: the quirks of real files, and clear errors."""

from fractions import Fraction

import pytest

from participation.rules import Election, PabulibError, Project, parse_pb
from participation.rules.pabulib import format_number, parse_number

QUIRKY = (
    "\ufeffmeta\r\n"
    "Key;Value\r\n"
    "description;quirks\r\n"
    "budget;126189987/100\r\n"
    "vote_type;Approval\r\n"
    "num_votes;3\r\n"
    "\r\n"
    "Projects\r\n"
    "Project_ID;Cost;Name;Category\r\n"
    'P1;1019940.37;"Park; with a semicolon";None\r\n'
    "P2;25000,5;None;culture,sport\r\n"
    "P3; 7 ;Plain;\r\n"
    "VOTES\r\n"
    "voter_id;vote\r\n"
    "v1;P1,P2,P2\r\n"
    "v2;None\r\n"
    "v3; P3 , P1 \r\n"
)


def test_a_quirky_real_world_file_is_read_exactly():
    election = parse_pb(QUIRKY)

    assert election == Election(
        budget=Fraction(126189987, 100),
        projects=[
            Project("P1", Fraction(101994037, 100), "Park; with a semicolon", None),
            Project("P2", Fraction(50001, 2), "", "culture,sport"),
            Project("P3", 7, "Plain", None),
        ],
        approvals=[{"P1", "P2"}, set(), {"P1", "P3"}],
        ballot_kind="approval",
        meta={"description": "quirks"},
    )
    assert election.voter_ids == ("v1", "v2", "v3")


def test_the_same_file_reads_the_same_from_text_bytes_and_path(tmp_path):
    path = tmp_path / "quirky.pb"
    path.write_bytes(QUIRKY.encode("utf-8"))

    from_text = parse_pb(QUIRKY)

    assert parse_pb(path) == from_text
    assert parse_pb(str(path)) == from_text
    assert parse_pb(QUIRKY.encode("utf-8")) == from_text


def test_cumulative_ballots_keep_the_last_points_of_a_repeated_project():
    text = (
        "META\nkey;value\nbudget;10\nvote_type;cumulative\n"
        "PROJECTS\nproject_id;cost\nA;1\nB;2\n"
        "VOTES\nvoter_id;vote;points\n1;A,B,A;3,2,5\n2;B;1.5\n"
    )

    election = parse_pb(text)

    assert election.ballot_kind == "cumulative"
    assert election.points == ({"A": 5, "B": 2}, {"B": Fraction(3, 2)})
    assert election.approvals == (frozenset({"A", "B"}), frozenset({"B"}))


def test_ordinal_ballots_keep_the_first_position_of_a_repeated_project():
    text = (
        "META\nkey;value\nbudget;10\nvote_type;ordinal\n"
        "PROJECTS\nproject_id;cost\nA;1\nB;2\nC;3\n"
        "VOTES\nvoter_id;vote\n1;B,A,B,C\n"
    )

    election = parse_pb(text)

    assert election.rankings == (("B", "A", "C"),)
    assert election.approvals == (frozenset({"A", "B", "C"}),)


def test_a_weight_column_gives_voter_weights():
    text = (
        "META\nkey;value\nbudget;10\n"
        "PROJECTS\nproject_id;cost\nA;1\n"
        "VOTES\nvoter_id;vote;weight\n1;A;2\n2;A;None\n3;A;1/2\n"
    )

    assert parse_pb(text).weights == (2, 1, Fraction(1, 2))


def test_a_missing_vote_type_means_approval_and_voter_ids_are_optional():
    text = "META\nkey;value\nbudget;5\nPROJECTS\nproject_id;cost\nA;1\nVOTES\nvote\nA\n"

    election = parse_pb(text)

    assert (election.ballot_kind, election.voter_ids) == ("approval", None)
    assert election.approvals == (frozenset({"A"}),)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("25000.0", 25000),
        ("1019940.37", Fraction(101994037, 100)),
        ("100,5", Fraction(201, 2)),
        ("126189987/100", Fraction(126189987, 100)),
        (" 3 / 4 ", Fraction(3, 4)),
        ("1e3", 1000),
        ("-2", -2),
    ],
)
def test_numbers_are_read_exactly(text, value):
    assert parse_number(text, "cost") == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12, "12"),
        (Fraction(201, 2), "100.5"),
        (Fraction(101994037, 100), "1019940.37"),
        (Fraction(1, 3), "1/3"),
        (Fraction(-1, 8), "-0.125"),
    ],
)
def test_numbers_are_written_as_decimals_when_they_have_one(value, text):
    assert format_number(value) == text


HEAD = "META\nkey;value\nbudget;100\n"
PROJECTS = "PROJECTS\nproject_id;cost;name\nA;10;Alpha\nB;20;Beta\n"
VOTES = "VOTES\nvoter_id;vote\n1;A\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\ufeff \n\n", "the file is empty"),
        (
            "project_id;cost\n" + HEAD + PROJECTS + VOTES,
            "line 1: expected the META section title, got 'project_id'",
        ),
        (HEAD + VOTES, "the file has no PROJECTS section"),
        (HEAD + PROJECTS, "the file has no VOTES section"),
        (
            HEAD + PROJECTS + VOTES + "META\nkey;value\n",
            "line 11: second META section (the first starts on line 1)",
        ),
        (HEAD + PROJECTS + "VOTES\n", "line 8: VOTES has no line naming its columns"),
        (
            "META\nkey;value\nvote_type;approval\n" + PROJECTS + VOTES,
            "line 1: META has no 'budget' (the total budget)",
        ),
        (
            "META\nkey;value\nbudget;lots\n" + PROJECTS + VOTES,
            "line 3: budget 'lots' is not a number",
        ),
        (
            "META\nkey;value\nbudget;-5\n" + PROJECTS + VOTES,
            "line 3: budget '-5' is negative",
        ),
        (
            "META\nkey;value\nbudget;10\nbudget;20\n" + PROJECTS + VOTES,
            "line 4: META gives budget twice ('10' on line 3, then '20')",
        ),
        (
            HEAD + "vote_type;approvals\n" + PROJECTS + VOTES,
            "line 4: vote_type 'approvals' is not one of approval, choose-1, "
            "cumulative, scoring, ordinal",
        ),
        (
            HEAD + "PROJECTS\nid;cost\nA;1\n" + VOTES,
            "line 5: the PROJECTS header has no 'project_id' column (it names id;cost)",
        ),
        (
            HEAD + "PROJECTS\nproject_id;price\nA;1\n" + VOTES,
            "line 5: the PROJECTS header has no 'cost' column "
            "(it names project_id;price)",
        ),
        (
            HEAD + "PROJECTS\nproject_id;cost;name\nA;abc;Alpha\n" + VOTES,
            "line 6: cost 'abc' is not a number",
        ),
        (
            HEAD + "PROJECTS\nproject_id;cost;name\nA;-3;Alpha\n" + VOTES,
            "line 6: cost '-3' is negative",
        ),
        (
            HEAD + "PROJECTS\nproject_id;cost;name\nA;None;Alpha\n" + VOTES,
            "line 6: project 'A' has no cost",
        ),
        (
            HEAD + "PROJECTS\nproject_id;cost;name\n;5;Alpha\n" + VOTES,
            "line 6: project_id is missing",
        ),
        (
            HEAD + PROJECTS + "A;30;Again\n" + VOTES,
            "line 8: project 'A' is listed twice (first on line 6)",
        ),
        (
            HEAD + "PROJECTS\nproject_id;cost;name\nA;10;Park; trees\n" + VOTES,
            "line 6: 4 cells but the header names 3 columns (an unquoted ';'?)",
        ),
        (
            HEAD + PROJECTS + "VOTES\nvoter_id;vote\n1;A\n2;A,Z\n",
            "line 11: vote names unknown project 'Z'",
        ),
        (
            HEAD + "VOTES\nvote\n1\n" + PROJECTS,
            "line 6: vote names unknown project '1'",
        ),
        (
            "META\nkey;value\nbudget;100\nvote_type;cumulative\n"
            + PROJECTS
            + "VOTES\nvoter_id;vote;points\n1;A,B;3\n",
            "line 11: 2 projects but 1 points",
        ),
        (
            "META\nkey;value\nbudget;100\nvote_type;cumulative\n"
            + PROJECTS
            + "VOTES\nvoter_id;vote;points\n1;A,B;3,x\n",
            "line 11: points 'x' is not a number",
        ),
        (
            HEAD + PROJECTS + "VOTES\nvoter_id;vote;weight\n1;A;0\n",
            "line 10: weight '0' is not positive",
        ),
        (
            HEAD + PROJECTS + 'VOTES\nvoter_id;vote\n1;"A\n',
            "line 10: unexpected end of data (a quoted cell is never closed)",
        ),
        (
            HEAD + 'PROJECTS\nproject_id;cost;name\nA;10;"Park" trees\n' + VOTES,
            "line 6: ';' expected after '\"' (text after a closing quote?)",
        ),
    ],
)
def test_a_malformed_file_raises_an_error_naming_the_line(text, message):
    with pytest.raises(PabulibError) as error:
        parse_pb(text)

    assert str(error.value) == message


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_message():
    with pytest.raises(PabulibError) as error:
        parse_pb(b"META\nkey;value\nbudget;1\xff0\n")

    assert str(error.value) == "the file is not UTF-8 text (byte 23 cannot be decoded)"


def test_a_parse_error_is_a_value_error():
    assert issubclass(PabulibError, ValueError)
