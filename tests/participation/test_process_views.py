import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from participation.models import Ballot, Proposal, Role
from participation.services import ballot_cast
from tests.factories import MembershipFactory, ProcessFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _jpeg_with_gps() -> bytes:
    picture = Image.new("RGB", (64, 48), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (45.0, 28.0, 0.0)}  # GPS position
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_proposal_image_is_stored_without_location_or_camera_data(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    process = ProcessFactory(phase="proposals")
    client.force_login(MembershipFactory(community=process.community).user)
    upload = SimpleUploadedFile("orto.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    assert Image.open(io.BytesIO(_jpeg_with_gps())).getexif()  # the fixture has EXIF

    response = client.post(
        reverse(
            "participation:proposal-create", args=[process.community.slug, process.slug]
        ),
        {
            "title": "Orto",
            "description": "Un orto in cortile",
            "estimated_cost_cents": "1.200,50",
            "image": upload,
        },
    )

    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.estimated_cost_cents == 120050
    with Image.open(proposal.image.path) as stored:
        assert dict(stored.getexif()) == {}
        assert stored.size == (64, 48)


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_created(client):
    process = ProcessFactory(phase="proposals")
    client.force_login(MembershipFactory(community=process.community).user)

    response = client.post(
        reverse(
            "participation:proposal-create", args=[process.community.slug, process.slug]
        ),
        {
            "title": "Orto",
            "description": "Un orto",
            "image": SimpleUploadedFile(
                "x.jpg", b"not an image", content_type="image/jpeg"
            ),
        },
    )

    assert response.status_code == 200
    assert 'value="Orto"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_a_rule_change_after_the_first_ballot_is_refused_on_the_manage_page(client):
    process = ProcessFactory(phase="vote", approval_max=2)
    project = ProjectFactory(process=process)
    ballot_cast(
        process=process,
        user=MembershipFactory(community=process.community).user,
        choices={project.pk: 1},
    )
    client.force_login(
        MembershipFactory(community=process.community, role=Role.FACILITATOR).user
    )
    url = reverse(
        "participation:process-manage", args=[process.community.slug, process.slug]
    )

    response = client.post(
        url,
        {
            "action": "rules",
            "ballot_kind": "approval",
            "approval_min": 1,
            "approval_max": 5,
            "points_total": 10,
            "points_max_per_project": 5,
            "outcome_rule": "greedy",
            "market_vote_weight": 1,
        },
        follow=True,
    )

    assert (
        "Le regole del voto non possono cambiare: 1 scheda è già stata votata"
        in response.content.decode()
    )
    process.refresh_from_db()
    assert (process.approval_max, process.outcome_rule) == (2, "mes-add1")


def test_the_ballot_page_never_shows_totals_while_the_vote_is_open(client):
    process = ProcessFactory(phase="vote")
    project = ProjectFactory(process=process, title="Biblioteca")
    for _ in range(3):
        ballot_cast(
            process=process,
            user=MembershipFactory(community=process.community).user,
            choices={project.pk: 1},
        )

    results = client.get(
        reverse("participation:results", args=[process.community.slug, process.slug])
    )
    projects = client.get(
        reverse(
            "participation:project-list", args=[process.community.slug, process.slug]
        )
    )

    assert results.status_code == 200 and "<svg" not in results.content.decode()
    assert "Biblioteca" in projects.content.decode()
    assert Ballot.objects.count() == 3


def test_support_is_given_and_taken_back_from_the_proposal_list(client):
    process = ProcessFactory(phase="support", support_max_per_voter=1)
    proposal = Proposal.objects.create(
        process=process, title="Cineforum", description="Film"
    )
    client.force_login(MembershipFactory(community=process.community).user)
    url = reverse(
        "participation:support-toggle",
        args=[process.community.slug, process.slug, proposal.pk],
    )

    client.post(url)
    assert proposal.supports.count() == 1
    client.post(url)
    assert proposal.supports.count() == 0


def test_a_facilitator_records_the_supports_counted_in_an_assembly(client):
    from tests.factories import AssemblyFactory, ProposalFactory

    process = ProcessFactory(phase="support")
    assembly = AssemblyFactory(process=process)
    first, second = ProposalFactory.create_batch(2, process=process)
    client.force_login(
        MembershipFactory(community=process.community, role=Role.FACILITATOR).user
    )
    url = reverse(
        "participation:assembly-detail",
        args=[process.community.slug, process.slug, assembly.pk],
    )

    client.post(
        url, {"action": "tallies", f"tally_{first.pk}": "12", f"tally_{second.pk}": ""}
    )
    refused = client.post(
        url, {"action": "tallies", f"tally_{first.pk}": "-3"}, follow=True
    )

    assert dict(assembly.tallies.values_list("proposal_id", "count")) == {first.pk: 12}
    assert "Scrivi ogni conteggio come numero intero." in refused.content.decode()


def test_a_facilitator_opens_a_process_with_phases_switched_off(client):
    from tests.factories import CommunityFactory

    community = CommunityFactory(slug="scuola")
    client.force_login(
        MembershipFactory(community=community, role=Role.FACILITATOR).user
    )
    url = reverse("participation:process-create", args=["scuola"])
    data = {
        "title": "Bilancio della scuola",
        "slug": "bilancio",
        "budget_cents": "5.000",
        "proposals_enabled": "on",
        "codesign_enabled": "on",
        "support_max_per_voter": 3,
        "support_pass_mode": "count",
        "support_threshold": 5,
        "ballot_kind": "approval",
        "approval_min": 1,
        "approval_max": 3,
        "points_total": 10,
        "points_max_per_project": 5,
        "outcome_rule": "mes-add1",
        "market_vote_weight": 1,
        "vote_starts_on": "2026-12-10",
        "vote_ends_on": "2026-12-01",
    }

    refused = client.post(url, data)
    created = client.post(url, {**data, "vote_ends_on": "2026-12-20"})

    assert refused.status_code == 200
    assert "La fine viene prima dell" in refused.content.decode()
    assert created.status_code == 302
    process = community.processes.get()
    assert (process.budget_cents, process.support_enabled, process.phase) == (
        500_000,
        False,
        "draft",
    )
    assert process.enabled_phases == [
        "draft",
        "proposals",
        "codesign",
        "vote",
        "results",
    ]


def test_only_facilitators_open_processes(client):
    from tests.factories import CommunityFactory

    community = CommunityFactory(slug="scuola")
    client.force_login(
        MembershipFactory(community=community, role=Role.PARTICIPANT).user
    )

    response = client.get(reverse("participation:process-create", args=["scuola"]))

    assert response.status_code == 403
