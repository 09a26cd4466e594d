from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from oscar.apps.customer.abstract_models import AbstractUser


class User(AbstractUser):
    """A person who logs in with an e-mail address.

    Inmates never have a User: they are pseudonymous ``participation.Participant``
    records kept by their community. ``display_name`` is what other people see;
    first and last name stay private (receipts, shipping).
    """

    display_name = models.CharField(
        _("display name"),
        max_length=80,
        help_text=_("Shown to other people instead of your name."),
    )

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="accounts_user_email_ci_unique"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]

    def get_short_name(self) -> str:
        return str(self)

    def get_full_name(self) -> str:
        return super().get_full_name() or str(self)
