"""The demo shop: the consortium's partners and their products, goods made in
the prison listed for its winning projects, and orders in every state, paid
at pickup (recorded by the desk, confirmed by a second operator) and counted
as purchase votes in the consortium's process.

Everything goes through the services; run it after the processes exist and
outside a transaction (payments tell the shop what happened after commit).
"""

from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from accounts.models import User
from marketplace import services as shop
from marketplace import votes
from marketplace.catalogue import (
    category_path,
    shop_partner_create,
    shop_product_create,
)
from marketplace.models import ShopPartner
from participation.models import Community, Role
from participation.services import membership_grant
from participation.services.purchase_votes import purchase_vote_cast
from payments import services as payments

from .campaigns import _quiet
from .processes import PRISON_PROCESS

NO_EMAIL = "django.core.mail.backends.locmem.EmailBackend"

# partner -> [(product, category, price in cents, stock)]
CONSORTIUM_PRODUCTS = {
    "Cooperativa Terra Viva": [
        ("Cassetta di verdure di stagione (5 kg)", "Verdure", 1_800, 40),
        ("Pomodori cuore di bue (1 kg)", "Verdure", 450, 60),
    ],
    "Cascina del Sole": [
        ("Farina di grano antico macinata a pietra (1 kg)", "Farine", 380, 80),
    ],
    "Orti di Comunità": [("Insalata mista (300 g)", "Verdure", 250, 50)],
    "Le Erbe Spontanee": [
        ("Tisana di erbe spontanee (50 g)", "Erbe spontanee", 650, 30),
        ("Pesto di erbe selvatiche (180 g)", "Erbe spontanee", 590, 25),
    ],
    "Conserve Solidali": [
        ("Passata di pomodoro (700 g)", "Conserve", 420, 70),
        ("Confettura di fichi (350 g)", "Conserve", 550, 35),
    ],
    "Apicoltura Ape Libera": [("Miele millefiori (500 g)", "Miele", 900, 20)],
    "Frutteto Antico": [("Mele di varietà antiche (2 kg)", "Frutta", 600, 30)],
    "Mulino Sociale": [("Pane di grani antichi (1 kg)", "Forno", 500, 15)],
    "Bottega Equa": [("Borsa per la spesa in cotone", "Bottega", 800, 40)],
    "Associazione Consumo Consapevole": [
        ("Guida al consumo consapevole (opuscolo)", "Bottega", 300, 100),
    ],
    "Vivaio Inclusivo": [("Piantine aromatiche (6 vasetti)", "Piantine", 700, 30)],
    "Fattoria Didattica Il Ponte": [
        ("Visita in fattoria per una famiglia", "Esperienze", 1_500, 12),
    ],
}
# goods made inside the prison, each listed for a winning project (its code)
PRISON_GOODS = [
    ("Basilico dell'orto del cortile (vaso)", "P03", 350, 30, 100),
    ("Borsa di stoffa cucita a mano", "P10", 1_800, 20, 100),
    ("Segnalibri della legatoria (set di 5)", "P01", 600, 50, 100),
]

DESK_EMAIL = "cassa@sostenibilita.example.org"
PRISON_DESK_PARTNER = "Laboratori della Casa circondariale"

# customer, [(product title, quantity)], what happens, the projects voted
ORDERS = [
    ("cliente@sostenibilita.example.org", [("Passata di pomodoro (700 g)", 4),
     ("Miele millefiori (500 g)", 1)], "paid", ["C03", "C04"]),
    ("cliente2@example.org", [("Cassetta di verdure di stagione (5 kg)", 2)],
     "paid", ["C01"]),
    ("cliente3@example.org", [("Pane di grani antichi (1 kg)", 3)],
     "collected", ["C04", "C05"]),
    ("cliente4@example.org", [("Tisana di erbe spontanee (50 g)", 2)],
     "paid", ["C06"]),
    ("cliente5@example.org", [("Confettura di fichi (350 g)", 2)],
     "refunded", ["C02"]),
    ("cliente6@example.org", [("Borsa di stoffa cucita a mano", 1),
     ("Insalata mista (300 g)", 2)], "paid", ["C01", "C04"]),
    ("cliente7@example.org", [("Mele di varietà antiche (2 kg)", 1)],
     "pending", []),
    ("cliente2@example.org", [("Piantine aromatiche (6 vasetti)", 1)],
     "paid", ["C01"]),
]  # fmt: skip


def seed_shop(*, consortium: Community, prison: Community, user_factory) -> str:
    """Create the shop once (skipped when the consortium's partners are in it)."""
    if transaction.get_connection().in_atomic_block:
        return "Negozio non creato: il seed deve girare fuori da una transazione."
    if ShopPartner.objects.filter(community=consortium).exists():
        return _summary(consortium)
    desk = user_factory(DESK_EMAIL, "Luca (cassa del consorzio)")
    membership_grant(user=desk, community=consortium, role=Role.FACILITATOR)
    manager = consortium.memberships.filter(role=Role.MANAGER).first().user
    with (
        override_settings(EMAIL_BACKEND=NO_EMAIL),
        _quiet("oscar.alerts"),
        _quiet("celery.app.trace"),
    ):
        products = _catalogue(consortium, prison)
        # the shop's search reads its own index (Whoosh): build it afresh
        call_command("update_index", remove=True, verbosity=0)
        for email, items, outcome, codes in ORDERS:
            buyer = User.objects.filter(email=email).first() or user_factory(
                email, email.split("@")[0].capitalize()
            )
            order = shop.order_place(
                buyer=buyer,
                items=[(products[title], quantity) for title, quantity in items],
            )
            if outcome == "pending":
                continue
            payment = shop.order_pickup_payment_record(order=order, recorded_by=desk)
            payments.offline_confirm(payment=payment, confirmed_by=manager)
            order.refresh_from_db()
            for vote in votes.order_votes(order):
                projects = list(vote.process.projects.filter(code__in=codes))
                if projects:
                    purchase_vote_cast(vote=vote, buyer=buyer, projects=projects)
            if outcome == "collected":
                shop.order_collect(order=order, by=desk)
            if outcome == "refunded":
                payments.refund_create(
                    payment=payment,
                    amount_cents=payment.amount_cents,
                    reason="prodotto arrivato rovinato",
                    requested_by=manager,
                )
    return _summary(consortium)


def _catalogue(consortium: Community, prison: Community) -> dict:
    products = {}
    sections = {s.name: s for s in consortium.sections.all()}
    for partner, items in CONSORTIUM_PRODUCTS.items():
        seller = shop_partner_create(
            community=consortium,
            name=partner,
            section=sections.get(partner),
            pickup_place="Bottega Equa, via dei Campi 3 (sabato 9-13)",
        )
        for n, (title, category, price, stock) in enumerate(items, start=1):
            products[title] = shop_product_create(
                shop=seller,
                title=title,
                price_cents=price,
                stock=stock,
                sku=f"{seller.partner.code[:20]}-{n}",
                category=category_path("Consorzio", category),
                description=f"Prodotto da {partner}.",
            )
    workshop = shop_partner_create(
        community=prison,
        name=PRISON_DESK_PARTNER,
        pickup_place="Sportello della Casa circondariale (martedì 10-12)",
    )
    process = (
        prison.processes.select_related("result").filter(slug=PRISON_PROCESS).first()
    )
    winners = set(getattr(getattr(process, "result", None), "winners", []) or [])
    for n, (title, code, price, stock, share) in enumerate(PRISON_GOODS, start=1):
        project = process.projects.filter(code=code).first() if process else None
        products[title] = shop_product_create(
            shop=workshop,
            title=title,
            price_cents=price,
            stock=stock,
            sku=f"carcere-{n}",
            category=category_path("Fatto in carcere"),
            description="Fatto nei laboratori della Casa circondariale.",
            project=project if code in winners else None,
            share_percent=share,
        )
    return products


def _summary(consortium: Community) -> str:
    from oscar.core.loading import get_model

    order_model = get_model("order", "Order")
    orders = order_model.objects.filter(
        lines__partner__shop__community=consortium
    ).distinct()
    by_status = {
        status: orders.filter(status=status).count()
        for status in ("pending", "paid", "collected", "refunded")
    }
    return (
        "Negozio: "
        + ", ".join(f"{count} {status}" for status, count in by_status.items())
        + " (ordini del consorzio)"
    )
