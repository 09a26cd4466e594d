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
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from payments import services as payments
from payments.ledger import Line, account_get, ledger_post
from payments.models import Account, Payment

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


class Method:
    CARD = "card"
    PICKUP = "pickup"  # pay at pickup: cash or card at the farm's desk


def to_cents(amount: Decimal) -> int:
    """Oscar's Decimal prices into our integer cents (the only crossing)."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _event(order, kind: str, **detail) -> None:
    OrderEvent.objects.create(order=order, kind=kind, detail=detail)


def order_community(order):
    """The community the order's partners belong to (the first line's)."""
    partner_id = order.lines.values_list("partner_id", flat=True).first()
    shop = (
        ShopPartner.objects.select_related("community")
        .filter(partner_id=partner_id)
        .first()
    )
    return shop.community if shop else None


def sales_account_code(community) -> str:
    return f"shop_sales:{community.pk}" if community else "shop_sales:shop"


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
    community = order_community(order)
    return payments.payment_create(
        purpose=PURPOSE,
        purpose_id=order.pk,
        amount_cents=to_cents(order.total_incl_tax),
        credit_account=sales_account_code(community),
        currency=order.currency,
        description=_("Order %(number)s") % {"number": order.number},
        payer_email=order.email or (order.user.email if order.user_id else ""),
    )


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
        community = order_community(locked)
        payment = payments.offline_record(
            purpose=PURPOSE,
            purpose_id=locked.pk,
            amount_cents=to_cents(locked.total_incl_tax),
            credit_account=sales_account_code(community),
            method=method,
            recorded_by=recorded_by,
            place=_("pickup"),
            reference=reference or locked.number,
            description=_("Order %(number)s") % {"number": locked.number},
        )
        _event(locked, "pickup_payment_recorded", payment=payment.pk)
    return payment


def _sale_lines(order, community) -> list[Line]:
    """The listed products' share of each line, from the shop's sales to the
    projects' funds (one line per project), plus the sales side."""
    listings = {
        listing.product_id: listing
        for listing in ProductListing.objects.filter(
            product_id__in=order.lines.values("product_id")
        )
    }
    per_project: dict[int, int] = {}
    for line in order.lines.all():
        listing = listings.get(line.product_id)
        if listing is None:
            continue
        share = to_cents(line.line_price_incl_tax) * listing.share_percent // 100
        if share:
            per_project[listing.project_id] = (
                per_project.get(listing.project_id, 0) + share
            )
    if not per_project:
        return []
    sales = account_get(sales_account_code(community), kind=Account.Kind.SHOP_SALES)
    lines = [Line(sales, sum(per_project.values()))]
    for project_id, cents in sorted(per_project.items()):
        fund = account_get(f"project_fund:{project_id}", kind=Account.Kind.PROJECT_FUND)
        lines.append(Line(fund, -cents))
    return lines


def _release_stock(order) -> None:
    for line in order.lines.select_related("stockrecord", "product"):
        if line.stockrecord_id and line.product.get_product_class().track_stock:
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
        community = order_community(order)
        before = order.status
        if payment.status == Payment.Status.SUCCEEDED:
            if payments.refundable_cents(payment) == 0:
                if before in {Status.PAID, Status.COLLECTED}:
                    _order_refunded(order, community, payment)
            elif before == Status.PENDING:
                _order_paid(order, community, payment)
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


def _order_paid(order, community, payment: Payment) -> None:
    from . import votes

    lines = _sale_lines(order, community)
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
    votes.order_vote_grant(
        order=order, community=community, amount_cents=payment.amount_cents
    )


def _order_refunded(order, community, payment: Payment) -> None:
    from . import votes

    lines = _sale_lines(order, community)
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
    votes.order_vote_withdraw(order=order)


def order_collect(*, order, by) -> None:
    """Staff hand a paid order over at pickup: its stock is consumed."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Status.PAID:
            raise OrderStateError(_("Only a paid order can be handed over."))
        for line in locked.lines.select_related("stockrecord", "product"):
            if line.stockrecord_id and line.product.get_product_class().track_stock:
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
