from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from oscar.core.loading import get_model

from .models import OrderReceipt

Order = get_model("order", "Order")


@require_GET
@login_required
def order_receipt_download(request, number: str):
    """The order's receipt PDF, for its buyer and staff; 404 for anyone else
    (whether the order exists is not said)."""
    order = Order.objects.filter(number=number).first()
    if order is None or not (request.user.is_staff or order.user_id == request.user.pk):
        raise Http404
    receipt = OrderReceipt.objects.filter(order=order).first()
    if receipt is None or not receipt.file:
        messages.info(
            request,
            _(
                "The receipt of order %(number)s is not ready: it is issued once "
                "the order is paid, and e-mailed to you."
            )
            % {"number": order.number},
        )
        return render(request, "404.html", status=404)
    return FileResponse(
        receipt.file.open("rb"),
        content_type="application/pdf",
        filename=f"order-{order.number}.pdf",
    )
