"""Staff screens: payments, their history, refunds, offline money, the queue."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .exceptions import PaymentError
from .forms import OfflinePaymentForm, PaymentFilterForm, RefundForm
from .models import Payment


@staff_member_required
def payment_list(request):
    form = PaymentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(selectors.payment_list(**filters), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "payments/staff/payment_list.html",
        {
            "form": form,
            "page": page,
            "queue_count": selectors.action_required_queue().count(),
        },
    )


@staff_member_required
def action_required(request):
    return render(
        request,
        "payments/staff/action_required.html",
        {"payments": selectors.action_required_queue()},
    )


@staff_member_required
def payment_detail(request, pk):
    payment = get_object_or_404(Payment, pk=pk)
    return render(
        request,
        "payments/staff/payment_detail.html",
        {
            "payment": payment,
            # The payment's creation is shown from its row; older payments
            # also kept it as an event.
            "events": payment.events.exclude(kind="created"),
            "refunds": payment.refunds.all(),
            "transactions": selectors.payment_ledger(payment),
            "refundable": services.refundable_cents(payment),
            "refund_form": RefundForm(),
        },
    )


@staff_member_required
@require_POST
def payment_refund(request, pk):
    payment = get_object_or_404(Payment, pk=pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
    else:
        try:
            services.refund_create(
                payment=payment,
                amount_cents=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                requested_by=request.user,
            )
        except PaymentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Refund recorded."))
    return redirect("payments:staff-payment", pk=pk)


@staff_member_required
@require_POST
def payment_confirm(request, pk):
    payment = get_object_or_404(Payment, pk=pk)
    try:
        services.offline_confirm(payment=payment, confirmed_by=request.user)
    except PaymentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Payment confirmed: it now counts."))
    return redirect("payments:staff-payment", pk=pk)


@staff_member_required
def offline_new(request):
    form = OfflinePaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.offline_record(
                purpose=data["purpose"],
                purpose_id=data["purpose_id"],
                amount_cents=data["amount"],
                credit_account=data["credit_account"],
                method=data["method"],
                place=data["place"],
                reference=data["reference"],
                recorded_by=request.user,
            )
        except PaymentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Recorded. A second operator must confirm it before it counts."),
            )
            return redirect("payments:staff-payment", pk=payment.pk)
    return render(request, "payments/staff/offline_form.html", {"form": form})
