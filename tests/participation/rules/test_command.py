"""manage.py pb_outcome FILE.pb --rule ... [--json]"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

TIE = (
    "META\nkey;value\nbudget;100\nvote_type;approval\n"
    "PROJECTS\nproject_id;cost;name\n"
    '9;50;"nine; with semicolon"\n10;50;ten\n11;60;eleven\n12;10;zero votes\n'
    "VOTES\nvoter_id;vote\n1;9,10\n2;9,10\n3;11\n4;11\n"
)


@pytest.fixture
def tie_file(tmp_path):
    path = tmp_path / "tie.pb"
    path.write_text(TIE, encoding="utf-8")
    return path


def run(*args):
    out = StringIO()
    call_command("pb_outcome", *args, stdout=out)
    return out.getvalue()


def test_json_output_is_exactly_the_winners_in_selection_order(tie_file):
    assert run(str(tie_file), "--rule", "greedy", "--json") == (
        '{"winners": ["10", "9"]}\n'
    )
    assert run(str(tie_file), "--rule", "mes", "--json") == '{"winners": ["10"]}\n'
    assert run(str(tie_file), "--rule", "mes-add1", "--json") == (
        '{"winners": ["10", "9"]}\n'
    )


def test_text_output_lists_winners_with_cost_and_name_then_the_total(tie_file):
    assert run(str(tie_file), "--rule", "greedy") == (
        "10  50  ten\n"
        "9   50  nine; with semicolon\n"
        "2 projects, total cost 100 of budget 100\n"
    )


def test_a_malformed_file_gives_a_command_error_naming_the_line(tmp_path):
    path = tmp_path / "bad.pb"
    path.write_text(TIE.replace("10;50;ten", "10;fifty;ten"), encoding="utf-8")

    with pytest.raises(CommandError) as error:
        run(str(path), "--rule", "mes")

    assert str(error.value) == f"{path}: line 8: cost 'fifty' is not a number"


def test_a_missing_file_gives_a_command_error(tmp_path):
    path = tmp_path / "nowhere.pb"

    with pytest.raises(CommandError) as error:
        run(str(path), "--rule", "mes")

    assert str(error.value) == f"cannot read {path}: No such file or directory"


def test_an_unknown_rule_is_refused(tie_file):
    with pytest.raises(CommandError) as error:
        run(str(tie_file), "--rule", "phragmen")

    assert str(error.value) == (
        "Error: argument --rule: invalid choice: 'phragmen' "
        "(choose from 'greedy', 'mes', 'mes-add1')"
    )
