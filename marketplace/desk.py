"""The pickup desk: a community's staff take the money of orders paid at
pickup, a second operator confirms it, and the goods are handed over."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from participation.models import Community
from participation.permissions import can_facilitate, can_manage_enterprise
from payments import services as payments
from payments.exceptions import PaymentError
from payments.models import Payment

from . import services
from .exceptions import ShopError

Order = get_model("order", "Order")

ACTIONS = {"record", "confirm", "collect", "cancel"}
OPEN = [services.Status.PENDING, services.Status.PAID]


def _staff_community(request, slug: str) -> Community:
    community = get_object_or_404(Community, slug=slug)
    if not (
        can_facilitate(request.user, community)
        or can_manage_enterprise(request.user, community)
    ):
        raise Http404
    return community


def _community_orders(community: Community):
    return Order.objects.filter(lines__partner__shop__community=community).distinct()


@login_required
def desk(request, slug: str):
    community = _staff_community(request, slug)
    if request.method == "POST":
        return _act(request, community)
    orders = list(
        _community_orders(community)
        .filter(status__in=OPEN)
        .select_related("user")
        .prefetch_related(
            Prefetch("lines", to_attr="desk_lines"),
        )
        .order_by("date_placed")[:200]
    )
    money = {}
    for payment in Payment.objects.filter(
        purpose=services.PURPOSE, purpose_id__in=[str(o.pk) for o in orders]
    ).order_by("pk"):
        money[int(payment.purpose_id)] = payment  # the latest wins
    for order in orders:
        order.desk_payment = money.get(order.pk)
    return render(
        request,
        "marketplace/desk.html",
        {
            "community": community,
            "to_pay": [o for o in orders if o.status == services.Status.PENDING],
            "to_collect": [o for o in orders if o.status == services.Status.PAID],
        },
    )


def _act(request, community: Community):
    action = request.POST.get("action")
    order = (
        _community_orders(community).filter(pk=request.POST.get("order") or 0).first()
    )
    if action not in ACTIONS or order is None:
        messages.error(request, _("Choose an order of this desk and an action."))
        return redirect("marketplace:desk", slug=community.slug)
    try:
        if action == "record":
            method = request.POST.get("method") or Payment.Method.CASH
            if method not in {Payment.Method.CASH, Payment.Method.MARKET}:
                method = Payment.Method.CASH
            services.order_pickup_payment_record(
                order=order, recorded_by=request.user, method=method
            )
            messages.success(
                request,
                _("Order %(number)s: payment recorded, a second person confirms it.")
                % {"number": order.number},
            )
        elif action == "confirm":
            payment = services.order_payment(order)
            if payment is None:
                raise ShopError(_("No payment to confirm for this order."))
            payments.offline_confirm(payment=payment, confirmed_by=request.user)
            messages.success(
                request, _("Order %(number)s is paid.") % {"number": order.number}
            )
        elif action == "collect":
            services.order_collect(order=order, by=request.user)
            messages.success(
                request,
                _("Order %(number)s handed over.") % {"number": order.number},
            )
        else:
            services.order_cancel_unpaid(order=order, by=request.user)
            messages.success(
                request,
                _("Order %(number)s cancelled: its products are back in stock.")
                % {"number": order.number},
            )
    except (ShopError, PaymentError) as error:
        messages.error(request, str(error))
    return redirect("marketplace:desk", slug=community.slug)
