from django.db import transaction

from participation.models import Community
from participation.services import membership_join

from .models import User


@transaction.atomic
def user_sign_up(
    *, email: str, display_name: str, password: str, community: Community | None = None
) -> User:
    """Create an account and, when asked, join an open community as participant.

    Raises ``participation.exceptions.MembershipClosed`` (nothing is created) if
    the community does not accept self sign-up.
    """
    user = User.objects.create_user(
        email=User.objects.normalize_email(email).lower(),
        password=password,
        display_name=display_name.strip(),
    )
    if community is not None:
        membership_join(user=user, community=community)
    return user
