from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from core.ratelimit import rate_limited
from participation.exceptions import MembershipClosed
from participation.selectors import user_communities

from .forms import SignUpForm
from .services import user_sign_up


@rate_limited("signup")
class SignUpView(FormView):
    template_name = "accounts/signup.html"
    form_class = SignUpForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("accounts:dashboard")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = user_sign_up(
                email=data["email"],
                display_name=data["display_name"],
                password=data["password1"],
                community=data["community"],
            )
        except MembershipClosed as error:
            form.add_error("community", str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Your account is ready. Log in with %(email)s.") % {"email": user.email},
        )
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'email': user.email})}"
        )


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["communities"] = user_communities(self.request.user)
        return context
