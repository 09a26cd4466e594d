from django.db import transaction
from django.utils.translation import gettext as _

from participation.models import Project
from payments.ledger import Line, account_get, ledger_post
from payments.models import Account

from .. import ledger, permissions
from ..exceptions import AccountabilityError, NotAllowed
from ..models import Grant


def grant_record(
    *,
    project: Project,
    grantor: str,
    amount_cents: int,
    reference: str,
    recorded_by,
) -> Grant:
    """Record public budget given to a project and put it in the project's fund:
    one ledger transaction (kind ``grant``): debit ``external:grant:<community>``,
    credit ``project_fund:<project>``. Community admins only."""
    community = project.process.community
    if not permissions.can_record_grant(recorded_by, community):
        raise NotAllowed(_("Only an admin of the community can record a grant."))
    if amount_cents < 1:
        raise AccountabilityError(_("A grant is at least one cent."))
    with transaction.atomic():
        grant = Grant.objects.create(
            project=project,
            grantor=grantor,
            amount_cents=amount_cents,
            reference=reference,
            recorded_by=recorded_by,
        )
        external = account_get(
            ledger.grant_code(community.pk),
            kind=Account.Kind.EXTERNAL,
            name=f"Public budget · {community.name}"[:200],
        )
        fund = account_get(
            ledger.fund_code(project.pk),
            kind=Account.Kind.PROJECT_FUND,
            name=str(project)[:200],
        )
        ledger_post(
            kind=ledger.GRANT,
            source_type="grant",
            source_id=grant.pk,
            lines=[Line(external, amount_cents), Line(fund, -amount_cents)],
            memo=f"grant {grant.pk} from {grantor} to project {project.pk}"[:255],
        )
    return grant
