import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from PIL import Image

from accountability import services
from participation.models import Role
from payments.ledger import Line, account_get, ledger_post
from payments.models import Account, Entry
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)

SPENT_ON = datetime.date(2026, 11, 20)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def community():
    return CommunityFactory(is_public=True)


@pytest.fixture
def project(community):
    process = ProcessFactory(community=community, phase="results")
    return ProjectFactory(process=process, code="P01", title="Orto in cortile")


def member(community, role):
    return MembershipFactory(community=community, role=role).user


@pytest.fixture
def facilitator(community):
    return member(community, Role.FACILITATOR)


@pytest.fixture
def manager(community):
    return member(community, Role.MANAGER)


@pytest.fixture
def admin(community):
    return member(community, Role.ADMIN)


@pytest.fixture
def participant(community):
    return member(community, Role.PARTICIPANT)


@pytest.fixture
def outsider():
    return UserFactory()


def fund(project, cents, *, kind="campaign_sweep", source="campaign:900", n=None):
    """Put money in the project's fund the way the other apps do: one ledger
    transaction crediting ``project_fund:<pk>`` from ``source``."""
    kinds = {
        "campaign": Account.Kind.CAMPAIGN,
        "external": Account.Kind.EXTERNAL,
        "shop_sales": Account.Kind.SHOP_SALES,
        "reinvestment_pool": Account.Kind.REINVESTMENT_POOL,
    }
    source_account = account_get(source, kind=kinds[source.split(":", 1)[0]])
    fund_account = account_get(
        f"project_fund:{project.pk}", kind=Account.Kind.PROJECT_FUND
    )
    fund.counter += 1
    txn, _ = ledger_post(
        kind=kind,
        source_type="test",
        source_id=n or fund.counter,
        lines=[Line(source_account, cents), Line(fund_account, -cents)],
    )
    return txn


fund.counter = 0


def pdf_upload(data=PDF, name="ricevuta.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type)


def image_bytes(kind="JPEG", *, with_exif=True) -> bytes:
    picture = Image.new("RGB", (40, 30), (200, 120, 40))
    out = io.BytesIO()
    extra = {}
    if with_exif:
        exif = Image.Exif()
        exif[0x010F] = "Camera maker"  # Make
        exif[0x013B] = "Owner name"  # Artist
        extra["exif"] = exif.tobytes()
    picture.save(out, format=kind, **extra)
    return out.getvalue()


def submitted(project, by, *, amount_cents=1200, supplier="Vivaio Rossi"):
    return services.expense_submit(
        project=project,
        supplier=supplier,
        description="Piantine e terriccio",
        amount_cents=amount_cents,
        spent_on=SPENT_ON,
        receipt=pdf_upload(),
        submitted_by=by,
    )


def approved(project, by, approver, **kw):
    return services.expense_approve(
        expense=submitted(project, by, **kw), approved_by=approver
    )


def assert_books_balance():
    """Every transaction sums to zero, and so do all the entries together."""
    assert (Entry.objects.aggregate(total=Sum("amount_cents"))["total"] or 0) == 0
    unbalanced = (
        Entry.objects.values("transaction_id")
        .annotate(total=Sum("amount_cents"))
        .exclude(total=0)
    )
    assert list(unbalanced) == []
