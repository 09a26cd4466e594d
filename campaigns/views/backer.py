"""The backer's pages: pledge, pay by card, follow the pledge, receipts."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from core.ratelimit import rate_limited
from payments.exceptions import PaymentError
from payments.services import pay_link_token
from payments.services import payment_refresh as refresh_payment
from rewards.exceptions import RewardError
from rewards.models import RewardTier

from .. import selectors, services
from ..exceptions import CampaignError, PledgeBelowMinimum
from ..forms import PledgeForm, amount_initial
from ..models import Pledge
from .base import CampaignMixin, LoginRequiredMixin, pledge_get

P = Pledge.Status
# The statuses from which ``services.pledge_cancel`` lets a backer withdraw.
WITHDRAWABLE = {P.PENDING, P.COMMITTED}


def _can_withdraw(pledge: Pledge) -> bool:
    return pledge.status in WITHDRAWABLE and pledge.campaign.is_open


def _pay_url(pledge: Pledge) -> str:
    if pledge.status != P.ACTION_REQUIRED or pledge.payment_id is None:
        return ""
    return reverse("payments:pay", args=[pay_link_token(pledge.payment)])


@rate_limited("pledge")
class PledgeCreateView(LoginRequiredMixin, CampaignMixin, FormView):
    """``?tier=<id>`` picks a reward; no tier is a pledge without reward."""

    template_name = "campaigns/pledge_form.html"
    form_class = PledgeForm

    def dispatch(self, request, *args, **kwargs):
        self._tier_param = request.GET.get("tier", "")
        return super().dispatch(request, *args, **kwargs)

    def get_tier(self) -> RewardTier | None:
        if not hasattr(self, "_tier"):
            value = self._tier_param
            if not value:
                self._tier = None
            elif not value.isdigit():
                raise Http404
            else:
                self._tier = get_object_or_404(self.campaign.tiers, pk=int(value))
        return self._tier

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "campaign": self.campaign,
            "tier": self.get_tier(),
        }

    def get_initial(self):
        tier = self.get_tier()
        return {"amount": amount_initial(tier.min_pledge_cents)} if tier else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(tier=self.get_tier(), is_open=self.campaign.is_open)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            pledge = services.pledge_create(
                campaign=self.campaign,
                amount_cents=data["amount"],
                backer=self.request.user,
                tier=self.get_tier(),
                anonymous=data["anonymous"],
                shipping=form.shipping(),
                language=self.request.LANGUAGE_CODE,
                **(form.donor() if form.donation else {}),
            )
        except PledgeBelowMinimum as error:
            form.add_error("amount", str(error))
            return self.form_invalid(form)
        except (CampaignError, RewardError) as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        return redirect("campaigns:pledge-pay", pk=pledge.pk)


@rate_limited("pay", methods=("GET", "POST"))
@method_decorator(never_cache, name="dispatch")
class PledgePayView(LoginRequiredMixin, View):
    """The card form (Stripe.js). It never marks anything paid: the webhook does."""

    def get(self, request, pk):
        pledge = pledge_get(request, pk)
        if pledge.status != P.PENDING:
            return redirect("campaigns:pledge", pk=pledge.pk)
        try:
            intent = services.pledge_payment_start(pledge=pledge)
        except CampaignError as error:
            messages.error(request, str(error))
            return redirect("campaigns:pledge", pk=pledge.pk)
        return render(
            request,
            "campaigns/pledge_pay.html",
            {
                "pledge": pledge,
                "campaign": pledge.campaign,
                "mode": intent["mode"],
                "client_secret": intent["client_secret"],
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "stripe_js": settings.STRIPE_JS_URL,
                "done_url": reverse("campaigns:pledge", args=[pledge.pk]),
            },
        )


class PledgeDetailView(LoginRequiredMixin, TemplateView):
    template_name = "campaigns/pledge_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pledge = pledge_get(self.request, kwargs["pk"])
        if pledge.status == P.PENDING and pledge.payment_id:
            # Back from the card form: ask Stripe (never the browser) where the
            # card stands, in case its webhook is late or never comes.
            refresh_payment(payment=pledge.payment)
            pledge = pledge_get(self.request, kwargs["pk"])
        context.update(
            pledge=pledge,
            campaign=pledge.campaign,
            claim=getattr(pledge, "reward_claim", None),
            receipts=list(pledge.receipts.all()),
            pending=pledge.status == P.PENDING,
            pay_url=_pay_url(pledge),
            can_withdraw=_can_withdraw(pledge),
        )
        return context


class PledgeWithdrawView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        pledge = pledge_get(request, pk)
        try:
            services.pledge_cancel(pledge=pledge, by=request.user)
        except CampaignError as error:
            messages.error(request, str(error))
        except PaymentError:
            messages.error(
                request,
                _("The payment is being processed: try again in a few minutes."),
            )
        else:
            messages.success(
                request, _("Your pledge is withdrawn: nothing will be charged.")
            )
        return redirect("campaigns:pledge", pk=pledge.pk)


class ReceiptDownloadView(LoginRequiredMixin, View):
    """The stored PDF, for the backer or a facilitator of the community."""

    def get(self, request, pk, receipt_id):
        pledge = pledge_get(request, pk, facilitators=True)
        # A donation receipt's row may still wait for its PDF.
        receipt = get_object_or_404(pledge.receipts.issued(), pk=receipt_id)
        try:
            handle = receipt.file.open("rb")
        except FileNotFoundError as error:
            raise Http404 from error
        name = f"{receipt.get_kind_display()} {receipt.number or pledge.pk}"
        return FileResponse(
            handle,
            content_type="application/pdf",
            as_attachment=True,
            filename=_filename(name),
        )


def _filename(label: str) -> str:
    from django.utils.text import slugify

    return f"{slugify(label) or 'receipt'}.pdf"


class MyPledgesView(LoginRequiredMixin, TemplateView):
    template_name = "campaigns/my_pledges.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pledges = list(selectors.pledges_of(self.request.user))
        for pledge in pledges:
            pledge.claim = getattr(pledge, "reward_claim", None)
            pledge.pay_url = _pay_url(pledge)
        context.update(
            pledges=pledges,
            needs_action=[p for p in pledges if p.pay_url],
        )
        return context
