from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import DetailView
from oscar.core.loading import get_class, get_model

from .models import OrderReceipt

Order = get_model("order", "Order")
OscarOrderLineView = get_class("customer.views", "OrderLineView")
OscarCategoryView = get_class("catalogue.views", "ProductCategoryView")
OscarWishListView = get_class("wishlists.views", "WishListView")
WishList = get_model("wishlists", "WishList")


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


@method_decorator(login_required, name="dispatch")
class OrderLineView(OscarOrderLineView):
    """Oscar's "order this line again" (its order page posts here), with two
    holes closed: a GET has no template of Oscar's to show (it was a 500), and
    a line that is not of the buyer's order is a 404 (it was a 500 too)."""

    http_method_names = ["post"]

    def get_object(self, queryset=None):
        order = get_object_or_404(
            Order, user=self.request.user, number=self.kwargs["order_number"]
        )
        return get_object_or_404(order.lines, id=self.kwargs["line_id"])

    def post(self, request, *args, **kwargs):
        line = self.get_object()
        if request.POST.get("action") != "reorder":
            # Oscar's answer to another action is a page it has no template for.
            messages.error(request, _("Choose what to do with the line."))
            return redirect("customer:order", self.kwargs["order_number"])
        self.do_reorder(line)
        return self.response


class ProductCategoryView(OscarCategoryView):
    """Oscar's category page, for GET only: the POST it inherits from the
    search view skips loading the category (a 500)."""

    http_method_names = ["get", "head", "options"]


class WishListView(OscarWishListView):
    """A wish list by its key. One that the person may not see is a 404 (Oscar
    said 403: the key exists); a shared one asks people logged out to log in
    (Oscar's redirect took ``LOGIN_URL`` for a path, ours is a URL name)."""

    def dispatch(self, request, *args, **kwargs):
        wishlist = self.get_object()
        if wishlist.is_allowed_to_see(request.user):
            return DetailView.dispatch(self, request, *args, **kwargs)
        if wishlist.visibility == WishList.SHARED and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404
