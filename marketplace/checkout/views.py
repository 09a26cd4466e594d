"""Oscar's checkout with our payments: pay by card (the payments app's pay
page, Stripe.js) or pay at pickup (staff record it, a second operator
confirms). The order is placed unpaid, with its stock allocated by one
conditional UPDATE (``marketplace.partner.models``); it becomes paid only when
the payments app says so."""

from django import forms
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from oscar.apps.checkout import views as oscar_views
from oscar.core.loading import get_class

from core.ratelimit import rate_limited
from marketplace import services
from marketplace.partner.models import InsufficientStock

UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")
UnableToTakePayment = get_class("payment.exceptions", "UnableToTakePayment")


class PaymentMethodForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How do you pay?"),
        choices=[
            (services.Method.CARD, _("By card, now")),
            (services.Method.PICKUP, _("At pickup (cash or card at the desk)")),
        ],
        widget=forms.RadioSelect,
    )


class PaymentMethodView(oscar_views.PaymentMethodView):
    template_name = "oscar/checkout/payment_method.html"
    success_url = "checkout:preview"

    def get(self, request, *args, **kwargs):
        initial = {"method": self.checkout_session.payment_method()}
        return self.render_to_response(
            self.get_context_data(form=PaymentMethodForm(initial=initial))
        )

    def post(self, request, *args, **kwargs):
        form = PaymentMethodForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        self.checkout_session.pay_by(form.cleaned_data["method"])
        return redirect(self.success_url)


@rate_limited("checkout")
class PaymentDetailsView(oscar_views.PaymentDetailsView):
    def get(self, request, *args, **kwargs):
        if not self.preview:
            # Nothing to type here: the method was chosen, the card is typed
            # on the pay page once the order exists.
            return redirect("checkout:preview")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["payment_method"] = self.checkout_session.payment_method()
        return context

    def handle_payment(self, order_number, total, **kwargs):
        if self.checkout_session.payment_method() not in {
            services.Method.CARD,
            services.Method.PICKUP,
        }:
            raise UnableToTakePayment(_("Choose how you pay."))

    def handle_order_placement(
        self,
        order_number,
        user,
        basket,
        shipping_address,
        shipping_method,
        shipping_charge,
        billing_address,
        order_total,
        surcharges=None,
        **kwargs,
    ):
        """Place the order and open its payment in one transaction: stock that
        ran out meanwhile refuses the whole order, nothing is written."""
        try:
            with transaction.atomic():
                order = self.place_order(
                    order_number=order_number,
                    user=user,
                    basket=basket,
                    shipping_address=shipping_address,
                    shipping_method=shipping_method,
                    shipping_charge=shipping_charge,
                    order_total=order_total,
                    billing_address=billing_address,
                    surcharges=surcharges,
                    **kwargs,
                )
                services.order_payment_open(
                    order=order, method=self.checkout_session.payment_method()
                )
                basket.submit()
        except InsufficientStock as error:
            raise UnableToPlaceOrder(str(error)) from error
        return self.handle_successful_order(order)


class ThankYouView(oscar_views.ThankYouView):
    """The order's summary, with the way to pay it: the pay page for a card
    order not paid yet, the pickup instructions otherwise."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = context["order"]
        payment = services.order_payment(order)
        context["order_payment"] = payment
        context["pay_url"] = services.order_pay_url(order, payment)
        if order.status in {services.Status.PAID, services.Status.COLLECTED}:
            context["purchase_vote_url"] = reverse("participation:purchase-votes")
        context["pay_at_pickup"] = (
            order.status == services.Status.PENDING and payment is None
        )
        return context
