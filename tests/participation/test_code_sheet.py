import re
import subprocess

import pytest
from django.urls import reverse

from participation.models import Role
from participation.services import voter_code_redeem
from tests.factories import (
    MembershipFactory,
    ParticipantFactory,
    ProcessFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_a_ward_code_sheet_prints_one_working_code_per_pseudonym_and_no_real_name(
    client,
):
    process = ProcessFactory(phase="vote", title="Bilancio del carcere")
    ward = SectionFactory(community=process.community, name="Reparto femminile")
    inmates = [
        ParticipantFactory(
            community=process.community,
            section=ward,
            pseudonym=f"Rondine {n}",
            legal_name=f"Anna Verdi{n}",
        )
        for n in range(3)
    ]
    ParticipantFactory(community=process.community, pseudonym="Altro reparto")
    client.force_login(
        MembershipFactory(community=process.community, role=Role.FACILITATOR).user
    )

    response = client.post(
        reverse(
            "participation:voter-code-sheet",
            args=[process.community.slug, process.slug],
        ),
        {"section": ward.pk},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Bilancio del carcere" in text and "Reparto femminile" in text
    assert [f"Rondine {n}" in text for n in range(3)] == [True, True, True]
    assert "Altro reparto" not in text
    assert "Verdi" not in text
    codes = re.findall(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b", text)
    assert len(set(codes)) == 3
    redeemed = {
        voter_code_redeem(community=process.community, code=code).pk for code in codes
    }
    assert redeemed == {i.pk for i in inmates}


def test_only_facilitators_print_code_sheets(client):
    process = ProcessFactory(phase="vote")
    ward = SectionFactory(community=process.community)
    ParticipantFactory(community=process.community, section=ward)
    client.force_login(
        MembershipFactory(community=process.community, role=Role.PARTICIPANT).user
    )

    response = client.post(
        reverse(
            "participation:voter-code-sheet",
            args=[process.community.slug, process.slug],
        ),
        {"section": ward.pk},
    )

    assert response.status_code == 403
    assert not ward.participants.exclude(voter_code_digest="").exists()
