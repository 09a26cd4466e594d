"""Orders and their money: paid through ``payments``, split to the projects
their products fund, counted as purchase votes.

An order's money is a ``payments.Payment`` (purpose ``order``, id the order's
pk) crediting ``shop_sales:<community>``: card orders get it when placed (the
buyer pays on the pay page), pay-at-pickup orders when staff record the cash
at pickup (a second operator confirms, as for every offline payment). The
payments app tells us what happened through the ``order`` hook
(``order_payment_sync``), after its commit; the sync is idempotent.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oscar.core.loading import get_model

from core.money import cents_from_decimal
from payments import services as payments
from payments.ledger import Line, account_get, ledger_post
from payments.models import Payment

from .exceptions import OrderStateError
from .models import OrderEvent, ProductListing, ShopPartner

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")

PURPOSE = "order"


class Status:
    """Oscar order statuses of this shop (OSCAR_ORDER_STATUS_PIPELINE)."""

    PENDING = "pending"  # placed, money not yet in
    PAID = "paid"
    COLLECTED = "collected"  # picked up (stock consumed)
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


STATUS_LABELS = {
    Status.PENDING: gettext_lazy("Waiting for payment"),
    Status.PAID: gettext_lazy("Paid: ready to collect"),
    Status.COLLECTED: gettext_lazy("Collected"),
    Status.CANCELLED: gettext_lazy("Cancelled"),
    Status.REFUNDED: gettext_lazy("Refunded"),
}


def order_pay_url(order, payment: Payment | None) -> str | None:
    """The pay page of a card order still waiting for its money, else None
    (``payment`` is ``order_payment(order)``)."""
    if (
        payment is None
        or order.status != Status.PENDING
        or payment.method != payment.Method.STRIPE
    ):
        return None
    return reverse("payments:pay", args=[payments.pay_link_token(payment)])


class Method:
    CARD = "card"
    PICKUP = "pickup"  # pay at pickup: cash or card at the farm's desk


def to_cents(amount: Decimal) -> int:
    """Oscar's Decimal prices into our integer cents (the only crossing)."""
    return cents_from_decimal(amount)


def _event(order, kind: str, **detail) -> None:
    OrderEvent.objects.create(order=order, kind=kind, detail=detail)


SHOP_ACCOUNT = "shop_sales:shop"


def sales_account_code(community_id: int) -> str:
    return f"shop_sales:{community_id}"


@dataclass
class OrderShares:
    """Who an order's money belongs to, in cents: what was spent with each
    community's partners, and each listed project's share of it."""

    spent: dict[int | None, int] = field(default_factory=dict)
    projects: dict[int, int] = field(default_factory=dict)
    project_community: dict[int, int | None] = field(default_factory=dict)

    def kept(self, community_id) -> int:
        """What the community keeps once its listed projects have their share."""
        given = sum(
            cents
            for project_id, cents in self.projects.items()
            if self.project_community[project_id] == community_id
        )
        return self.spent[community_id] - given


def order_shares(order) -> OrderShares:
    listings = {
        listing.product_id: listing
        for listing in ProductListing.objects.filter(
            product_id__in=order.lines.values("product_id")
        )
    }
    community_of = dict(
        ShopPartner.objects.filter(
            partner_id__in=order.lines.values("partner_id")
        ).values_list("partner_id", "community_id")
    )
    shares = OrderShares()
    for line in order.lines.order_by("pk"):
        cents = to_cents(line.line_price_incl_tax)
        community_id = community_of.get(line.partner_id)
        shares.spent[community_id] = shares.spent.get(community_id, 0) + cents
        listing = listings.get(line.product_id)
        share = cents * listing.share_percent // 100 if listing else 0
        if share:
            project_id = listing.project_id
            shares.projects[project_id] = shares.projects.get(project_id, 0) + share
            shares.project_community[project_id] = community_id
    return shares


def order_payment(order) -> Payment | None:
    return (
        Payment.objects.filter(purpose=PURPOSE, purpose_id=str(order.pk))
        .order_by("-pk")
        .first()
    )


def order_payment_open(*, order, method: str) -> Payment | None:
    """Called in the transaction that places the order: a card order gets its
    payment now (the buyer pays it on the pay page); a pay-at-pickup order
    gets it when staff record the money (``order_pickup_payment_record``)."""
    _event(order, "placed", method=method, total_cents=to_cents(order.total_incl_tax))
    if method != Method.CARD:
        return None
    return payments.payment_create(
        purpose=PURPOSE,
        purpose_id=order.pk,
        amount_cents=to_cents(order.total_incl_tax),
        credit_account=SHOP_ACCOUNT,
        currency=order.currency,
        description=_("Order %(number)s") % {"number": order.number},
        payer_email=order.email or (order.user.email if order.user_id else ""),
    )


def order_place(*, buyer, items: list[tuple], method: str = Method.PICKUP):
    """Place an order for ``buyer`` of ``items`` (``(product, quantity)``)
    outside the web checkout (a sale at the market stall, the demo): the same
    basket, prices, stock allocation and payment as the checkout. Raises
    InsufficientStock (nothing written) when a product ran out."""
    from oscar.apps.partner.strategy import Selector
    from oscar.core.loading import get_class

    basket_model = get_model("basket", "Basket")
    creator = get_class("order.utils", "OrderCreator")()
    no_shipping = get_class("shipping.methods", "NoShippingRequired")()
    totals = get_class("checkout.calculators", "OrderTotalCalculator")()
    numbers = get_class("order.utils", "OrderNumberGenerator")()
    with transaction.atomic():
        basket = basket_model.objects.create(owner=buyer)
        basket.strategy = Selector().strategy(user=buyer)
        for product, quantity in items:
            basket.add_product(product, quantity)
        charge = no_shipping.calculate(basket)
        order = creator.place_order(
            basket=basket,
            total=totals.calculate(basket, charge),
            shipping_method=no_shipping,
            shipping_charge=charge,
            user=buyer,
            order_number=numbers.order_number(basket),
        )
        order_payment_open(order=order, method=method)
        basket.submit()
    return order


def order_pickup_payment_record(
    *, order, recorded_by, method: str = Payment.Method.CASH, reference: str = ""
) -> Payment:
    """Staff record the money paid at pickup; it counts once a second operator
    confirms it (``payments.services.offline_confirm``)."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Status.PENDING:
            raise OrderStateError(_("This order is not waiting for its payment."))
        current = order_payment(locked)
        if current is not None and current.status not in {
            Payment.Status.CANCELED,
            Payment.Status.FAILED,
            Payment.Status.GIVEN_UP,
        }:
            raise OrderStateError(_("This order's payment is already recorded."))
        payment = payments.offline_record(
            purpose=PURPOSE,
            purpose_id=locked.pk,
            amount_cents=to_cents(locked.total_incl_tax),
            credit_account=SHOP_ACCOUNT,
            method=method,
            recorded_by=recorded_by,
            place=_("pickup"),
            reference=reference or locked.number,
            description=_("Order %(number)s") % {"number": locked.number},
        )
        _event(locked, "pickup_payment_recorded", payment=payment.pk)
    return payment


def _sale_lines(shares: OrderShares, total_cents: int) -> list[Line]:
    """The order's money from the shop's account to each community's sales
    account and each listed project's fund. What the lines do not cover (a
    shipping charge, were there one) stays with the first community."""
    credits: dict[str, int] = {}
    for community_id in shares.spent:
        code = sales_account_code(community_id) if community_id else SHOP_ACCOUNT
        credits[code] = credits.get(code, 0) + shares.kept(community_id)
    for project_id, cents in sorted(shares.projects.items()):
        credits[f"project_fund:{project_id}"] = cents
    if credits:
        first = next(iter(credits))
        credits[first] += total_cents - sum(credits.values())
    credits[SHOP_ACCOUNT] = credits.get(SHOP_ACCOUNT, 0) - total_cents
    lines = []
    for code, cents in credits.items():
        if cents:
            kind = code.split(":", 1)[0]
            lines.append(Line(account_get(code, kind=kind), -cents))
    return lines


def _stock_tracked_lines(order):
    """The order's lines whose stock record counts allocations."""
    for line in order.lines.select_related("stockrecord", "product"):
        if line.stockrecord_id and line.product.get_product_class().track_stock:
            yield line


def _release_stock(order) -> None:
    for line in _stock_tracked_lines(order):
        line.stockrecord.cancel_allocation(line.quantity)


def order_payment_sync(payment_id: int, what: str = "") -> None:
    """Bring the order in line with its payment (the ``order`` hook).

    Paid: the order is paid, the listed products' share moves to the projects'
    funds (one ledger transaction, once), the buyer gets a purchase vote.
    Canceled or given up: the order is cancelled, its stock allocation freed.
    Fully refunded: the order is refunded, the split reversed, the vote
    withdrawn."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.purpose != PURPOSE:
        return
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=int(payment.purpose_id))
        before = order.status
        if payment.status == Payment.Status.SUCCEEDED:
            if payments.refundable_cents(payment) == 0:
                if before in {Status.PAID, Status.COLLECTED}:
                    _order_refunded(order, payment)
            elif before == Status.PENDING:
                _order_paid(order, payment)
        elif (
            payment.status
            in {
                Payment.Status.CANCELED,
                Payment.Status.GIVEN_UP,
                Payment.Status.FAILED,
            }
            and before == Status.PENDING
            and order_payment(order) == payment
        ):
            _release_stock(order)
            order.set_status(Status.CANCELLED)
            _event(order, "cancelled", payment=payment.pk, reason=payment.status)


def _order_paid(order, payment: Payment) -> None:
    from . import tasks, votes

    shares = order_shares(order)
    lines = _sale_lines(shares, payment.amount_cents)
    if lines:
        ledger_post(
            kind="sale",
            source_type="order",
            source_id=order.pk,
            lines=lines,
            memo=f"order {order.number}",
        )
    order.set_status(Status.PAID)
    _event(order, "paid", payment=payment.pk)
    votes.order_votes_grant(order=order, shares=shares)
    transaction.on_commit(lambda: tasks.order_receipt_render_task.delay(order.pk))


def _order_refunded(order, payment: Payment) -> None:
    from . import votes

    lines = _sale_lines(order_shares(order), payment.amount_cents)
    if lines:
        ledger_post(
            kind="sale_reversal",
            source_type="order",
            source_id=order.pk,
            lines=[Line(line.account, -line.amount_cents) for line in lines],
            memo=f"order {order.number} refunded",
        )
    order.set_status(Status.REFUNDED)
    _event(order, "refunded", payment=payment.pk)
    votes.order_votes_withdraw(order=order)


def order_collect(*, order, by) -> None:
    """Staff hand a paid order over at pickup: its stock is consumed."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Status.PAID:
            raise OrderStateError(_("Only a paid order can be handed over."))
        for line in _stock_tracked_lines(locked):
            line.stockrecord.consume_allocation(line.quantity)
        locked.set_status(Status.COLLECTED)
        _event(locked, "collected", by=by.pk, at=timezone.now().isoformat())


def order_cancel_unpaid(*, order, by=None) -> None:
    """Cancel an order nobody paid (pickup never happened, card never paid)."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Status.PENDING:
            raise OrderStateError(_("Only an unpaid order can be cancelled."))
        payment = order_payment(locked)
        if payment is not None and payment.status == Payment.Status.SUCCEEDED:
            raise OrderStateError(_("This order is paid: refund it instead."))
        if payment is not None and payment.status in {
            Payment.Status.PENDING,
            Payment.Status.ACTION_REQUIRED,
        }:
            payments.payment_cancel(payment=payment, reason="order cancelled")
        _release_stock(locked)
        locked.set_status(Status.CANCELLED)
        _event(locked, "cancelled", by=getattr(by, "pk", None))
