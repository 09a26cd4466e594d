from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from core.front_cache import front_cacheable
from participation.selectors import community_list_public, process_list_public


@method_decorator(front_cacheable, name="dispatch")
class HomeView(TemplateView):
    """The front door: communities now; processes, campaigns and shop as they land."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["communities"] = community_list_public()
        context["processes"] = process_list_public()
        return context


@never_cache
def language_switch(request):
    """The language menu of every page: ``?language=en&next=/path/``.

    A GET form, so that the page carrying it holds no CSRF token and can be
    the same for every anonymous visitor (``core.front_cache``). It writes
    only the language cookie, as Django's own switch does, and goes back to
    ``next`` when that is a page of this site."""
    language = request.GET.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(
            _("Unknown language: choose one from the menu."),
            content_type="text/plain; charset=utf-8",
        )
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
