"""Every pabulib instance in ../shared/pabulib x every rule gives the winners
pabutools 1.2.3 computes (expected.json), in the same selection order."""

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from participation.rules import RULES, parse_pb, winners
from tests.reference_data import PABULIB_DIR

DATA = PABULIB_DIR
EXPECTED_FILE = DATA / "expected.json"
EXPECTED = json.loads(EXPECTED_FILE.read_text()) if EXPECTED_FILE.is_file() else {}
CASES = [(name, rule) for name in EXPECTED for rule in RULES] or [("missing", "-")]


def require_data() -> None:
    if not EXPECTED:
        pytest.fail(
            f"reference data not found: {EXPECTED_FILE} is missing. The reference "
            "test needs the pabulib files and expected.json in ../shared/pabulib "
            "next to the repository."
        )


@cache
def election(name):
    return parse_pb(DATA / f"{name}.pb")


def test_every_reference_file_has_expected_winners_for_every_rule():
    require_data()
    files = {path.stem for path in DATA.glob("*.pb")}
    assert files == set(EXPECTED)
    assert all(set(rules) == set(RULES) for rules in EXPECTED.values())


@pytest.mark.parametrize(("name", "rule"), CASES)
def test_rule_gives_the_pabutools_winners_on_the_real_instance(name, rule):
    require_data()
    expected = EXPECTED[name][rule]

    got = winners(election(name), rule)

    assert set(got) == set(expected)
    assert got == expected  # same selection order too


def test_wola_add1_picks_fewer_projects_than_plain_mes():
    require_data()
    wola = election("Poland_Warszawa_2022_Wola")

    assert (len(winners(wola, "mes")), len(winners(wola, "mes-add1"))) == (37, 36)


def test_rules_package_imports_neither_django_nor_pabutools():
    code = (
        "import sys, participation.rules\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'pabutools'))\n"
        "print(bad)\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True
    )

    assert result.stdout.strip() == "[]", result.stderr
