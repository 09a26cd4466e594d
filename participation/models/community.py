from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Community(models.Model):
    """A group that decides together on common resources."""

    class Kind(models.TextChoices):
        PRISON = "prison", _("Prison")
        ENTERPRISE = "enterprise", _("Enterprise or consortium")
        MUNICIPALITY = "municipality", _("Municipality")
        SCHOOL = "school", _("School")
        ASSOCIATION = "association", _("Association")

    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=120, blank=True)
    is_public = models.BooleanField(
        _("listed publicly"),
        default=True,
        help_text=_("Shown on the home page and to people who are not members."),
    )
    open_membership = models.BooleanField(
        _("anyone may join"),
        default=False,
        help_text=_("People can join as participants when they sign up."),
    )
    # For donation receipts: a registered non-profit (ente del Terzo settore).
    nonprofit = models.BooleanField(
        _("registered non-profit"),
        default=False,
        help_text=_(
            "Registered as a non-profit (ente del Terzo settore): pledges without "
            "a reward get a donation receipt."
        ),
    )
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    address = models.CharField(_("registered address"), max_length=250, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("participation:community-detail", kwargs={"slug": self.slug})


class Section(models.Model):
    """A part of a community: a prison ward, a consortium partner, a district."""

    class Kind(models.TextChoices):
        WARD = "ward", _("Ward")
        PARTNER = "partner", _("Partner")
        DISTRICT = "district", _("District")
        CLASS = "class", _("Class")
        GROUP = "group", _("Group")

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="sections"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["community", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="section_name_unique_in_community"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    FACILITATOR = "facilitator", _("Facilitator")
    MANAGER = "manager", _("Enterprise manager")
    ADMIN = "admin", _("Community admin")


class Membership(models.Model):
    """A user's role in a community; a person may hold several roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["community", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.community} · {self.get_role_display()}"


class Participant(models.Model):
    """A pseudonymous participant without an account (an inmate, for instance).

    Owned by the community. Public pages show only ``pseudonym``; ``legal_name``
    is kept for the facilitators' own roster and never rendered elsewhere. The
    one-time voter code is stored as a keyed digest, never in clear.
    """

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="participants"
    )
    section = models.ForeignKey(
        Section,
        on_delete=models.PROTECT,
        related_name="participants",
        null=True,
        blank=True,
        verbose_name=_("section"),
    )
    pseudonym = models.CharField(_("pseudonym"), max_length=60)
    legal_name = models.CharField(
        _("real name (private)"),
        max_length=160,
        blank=True,
        help_text=_("Visible only to the community's facilitators. Never public."),
    )
    voter_code_digest = models.CharField(max_length=64, blank=True, editable=False)
    voter_code_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    voter_code_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pseudonymous participant")
        verbose_name_plural = _("pseudonymous participants")
        ordering = ["community", "pseudonym"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "pseudonym"],
                name="participant_pseudonym_unique_in_community",
            ),
            models.UniqueConstraint(
                fields=["voter_code_digest"],
                condition=~Q(voter_code_digest=""),
                name="participant_voter_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(voter_code_used_at__isnull=True)
                | Q(voter_code_issued_at__isnull=False),
                name="participant_code_used_only_if_issued",
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def voter_code_status(self) -> str:
        if not self.voter_code_digest:
            return "none"
        return "used" if self.voter_code_used_at else "unused"
