"""The two seed cases, as far as the built features go.

Run through ``manage.py seed_demo``; running it again changes nothing but
restores the demo passwords. Every later feature extends this module so that
``make run`` always shows everything that works.
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sites.models import Site
from django.db import transaction

from accounts.models import User
from participation.models import Community, Participant, Role, Section
from participation.services import membership_grant

from .accountability import seed_accountability
from .campaigns import seed_prison_campaigns
from .processes import seed_consortium_process, seed_prison_process
from .shop import DESK_EMAIL, seed_shop

DEMO_PASSWORD = "demo-civica-2026"  # noqa: S105 - published demo logins, never production

PRISON_SLUG = "idee-in-fuga"
CONSORTIUM_SLUG = "la-sostenibilita-che-include"

CONSORTIUM_PARTNERS = [
    ("Cooperativa Terra Viva", "Orticoltura biologica e inserimenti lavorativi."),
    ("Cascina del Sole", "Cereali antichi e farine macinate a pietra."),
    ("Orti di Comunità", "Verdure di stagione coltivate con persone fragili."),
    ("Le Erbe Spontanee", "Raccolta e trasformazione di erbe spontanee."),
    ("Conserve Solidali", "Laboratorio di conserve, sughi e confetture."),
    ("Apicoltura Ape Libera", "Miele e prodotti dell'alveare."),
    ("Frutteto Antico", "Varietà di frutta recuperate."),
    ("Fattoria Didattica Il Ponte", "Visite e laboratori per le scuole."),
    ("Mulino Sociale", "Pane e prodotti da forno."),
    ("Associazione Consumo Consapevole", "Sensibilizzazione al consumo consapevole."),
    ("Bottega Equa", "Punto vendita e gruppi di acquisto."),
    ("Vivaio Inclusivo", "Piantine da orto e aromatiche."),
]

PSEUDONYM_WORDS = [
    "Quercia", "Gabbiano", "Ulivo", "Rondine", "Castagno", "Airone", "Betulla",
    "Cervo", "Delfino", "Edera", "Falco", "Gelso", "Girasole", "Lince",
    "Mandorlo", "Nibbio", "Ontano", "Pettirosso", "Pioppo", "Riccio", "Salice",
    "Tasso", "Tiglio", "Upupa", "Volpe", "Allodola", "Cedro", "Ginepro",
]  # fmt: skip
FIRST_NAMES = ["Marco", "Luca", "Giovanni", "Antonio", "Salvatore", "Giuseppe", "Paolo"]
FIRST_NAMES_F = ["Maria", "Anna", "Giulia", "Francesca", "Rosa", "Lucia", "Elena"]
SURNAMES = ["Esposito", "Colombo", "Ferrara", "Greco", "Marino", "Lombardi", "Caruso"]
MEN_WARD_SIZE = 120
WOMEN_WARD_SIZE = 60


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    community: str


@functools.cache
def _demo_password_hash(hashers: tuple[str, ...]) -> str:
    # Hashed once per process and hasher setting: a hash takes a third of a second.
    return make_password(DEMO_PASSWORD)


def _user(email: str, display_name: str, *, superuser: bool = False) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(email=email)
    user.display_name = display_name
    user.is_staff = superuser
    user.is_superuser = superuser
    user.is_active = True
    user.password = _demo_password_hash(tuple(settings.PASSWORD_HASHERS))
    user.save()
    return user


def _fake_legal_name(index: int, *, female: bool) -> str:
    first = (FIRST_NAMES_F if female else FIRST_NAMES)[index % 7]
    return f"{first} {SURNAMES[(index // 7) % 7]}"


def seed_prison() -> list[DemoLogin]:
    prison, _ = Community.objects.update_or_create(
        slug=PRISON_SLUG,
        defaults={
            "name": "Idee in fuga",
            "kind": Community.Kind.PRISON,
            "place": "Casa circondariale",
            "tagline": "Il primo bilancio partecipativo dentro un carcere italiano.",
            "description": (
                "I detenuti e le detenute decidono insieme quali interventi fare "
                "dentro le mura; i cittadini liberi li realizzano finanziandoli "
                "e ricevono ricompense fatte nei laboratori del carcere.\n\n"
                "Prima edizione: 20 assemblee nei reparti maschile e femminile, "
                "547 partecipanti, 58 proposte raccolte, 10 proposte progettate."
            ),
            "is_public": True,
            "open_membership": False,
            # Fictitious registration, so that gifts without a reward get a
            # donation receipt.
            "nonprofit": True,
            "legal_name": "Associazione Idee in fuga ETS",
            "tax_code": "97000000017",
            "address": "Via dei Mille 12, 40121 Bologna (BO)",
        },
    )
    men, _ = Section.objects.update_or_create(
        community=prison,
        name="Reparto maschile",
        defaults={"kind": Section.Kind.WARD, "description": "Assemblee del lunedì."},
    )
    women, _ = Section.objects.update_or_create(
        community=prison,
        name="Reparto femminile",
        defaults={"kind": Section.Kind.WARD, "description": "Assemblee del giovedì."},
    )
    for index in range(MEN_WARD_SIZE + WOMEN_WARD_SIZE):
        female = index >= MEN_WARD_SIZE
        word = PSEUDONYM_WORDS[index % len(PSEUDONYM_WORDS)]
        Participant.objects.update_or_create(
            community=prison,
            pseudonym=f"{word} {index + 1:02d}",
            defaults={
                "section": women if female else men,
                "legal_name": _fake_legal_name(index, female=female),
            },
        )

    facilitator = _user(
        "facilitatrice@idee-in-fuga.example.org", "Chiara (facilitatrice)"
    )
    second = _user("facilitatore@idee-in-fuga.example.org", "Davide (facilitatore)")
    admin = _user(
        "coordinamento@idee-in-fuga.example.org", "Coordinamento Idee in fuga"
    )
    membership_grant(user=facilitator, community=prison, role=Role.FACILITATOR)
    membership_grant(user=second, community=prison, role=Role.FACILITATOR)
    membership_grant(user=admin, community=prison, role=Role.ADMIN)
    return [
        DemoLogin(facilitator.email, "facilitator", prison.name),
        DemoLogin(second.email, "facilitator (second operator)", prison.name),
        DemoLogin(admin.email, "community admin", prison.name),
    ]


def seed_consortium() -> list[DemoLogin]:
    consortium, _ = Community.objects.update_or_create(
        slug=CONSORTIUM_SLUG,
        defaults={
            "name": "La sostenibilità che include",
            "kind": Community.Kind.ENTERPRISE,
            "place": "Consorzio di agricoltura sociale",
            "tagline": "Chi compra i nostri prodotti vota come reinvestire gli utili.",
            "description": (
                "Un consorzio di 12 partner, 6 ettari di terra e 6 inserimenti "
                "lavorativi di persone fragili: coltivazione, trasformazione e "
                "vendita dei prodotti, e sensibilizzazione al consumo consapevole. "
                "Ogni acquisto è anche un voto sui progetti in cui reinvestire "
                "gli utili."
            ),
            "is_public": True,
            "open_membership": True,
        },
    )
    for name, description in CONSORTIUM_PARTNERS:
        Section.objects.update_or_create(
            community=consortium,
            name=name,
            defaults={"kind": Section.Kind.PARTNER, "description": description},
        )
    manager = _user("gestione@sostenibilita.example.org", "Sara (gestione consorzio)")
    customer = _user("cliente@sostenibilita.example.org", "Giorgio (cliente)")
    membership_grant(user=manager, community=consortium, role=Role.MANAGER)
    membership_grant(user=manager, community=consortium, role=Role.ADMIN)
    membership_grant(user=customer, community=consortium, role=Role.PARTICIPANT)
    return [
        DemoLogin(
            manager.email, "enterprise manager, community admin", consortium.name
        ),
        DemoLogin(customer.email, "customer (participant)", consortium.name),
    ]


def seed_demo() -> list[DemoLogin]:
    """Seed everything; the campaigns come after the rest has committed, since
    payments tell campaigns what happened after each commit."""
    logins = seed_cases()
    prison = Community.objects.get(slug=PRISON_SLUG)
    print(
        seed_shop(
            consortium=Community.objects.get(slug=CONSORTIUM_SLUG),
            prison=prison,
            user_factory=_user,
        )
    )
    seed_prison_campaigns(prison, password=DEMO_PASSWORD)
    if not transaction.get_connection().in_atomic_block:
        print(
            seed_accountability(
                prison=prison, consortium=Community.objects.get(slug=CONSORTIUM_SLUG)
            )
        )
    return logins + backer_logins(prison) + shop_logins()


@transaction.atomic
def seed_cases() -> list[DemoLogin]:
    Site.objects.update_or_create(
        pk=1, defaults={"domain": "127.0.0.1:8000", "name": "Civic marketplace"}
    )
    staff = _user("admin@example.org", "Amministrazione piattaforma", superuser=True)
    logins = [
        DemoLogin(staff.email, "platform staff (Django admin, shop dashboard)", "—")
    ]
    logins += seed_prison()
    logins += seed_consortium()
    seed_prison_process(Community.objects.get(slug=PRISON_SLUG))
    seed_consortium_process(Community.objects.get(slug=CONSORTIUM_SLUG))
    return logins


def shop_logins() -> list[DemoLogin]:
    desk = User.objects.filter(email=DESK_EMAIL).first()
    if desk is None:
        return []
    return [DemoLogin(desk.email, "shop desk (pickup payments)", "—")]


def backer_logins(prison: Community) -> list[DemoLogin]:
    """Two of the demo backers, if the campaigns are there: one with receipts,
    one whose card payment needs them."""
    backers = User.objects.filter(
        pledges__campaign__community=prison, email__endswith="@example.org"
    )
    logins = []
    waiting = (
        backers.filter(pledges__status="action_required").order_by("email").first()
    )
    paid = backers.filter(pledges__receipts__isnull=False).order_by("email").first()
    if paid is not None:
        logins.append(DemoLogin(paid.email, "backer (pledges, receipts)", prison.name))
    if waiting is not None:
        logins.append(
            DemoLogin(waiting.email, "backer who must complete a payment", prison.name)
        )
    return logins
