from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from oscar.core.loading import get_class

from campaigns.views.public import campaign_manage_link
from core import fragments
from core.media import public_media_urlpatterns
from core.ratelimit import rate_limited

from .views import HomeView, language_switch

admin.site.site_header = "Civic marketplace"
# The admin's and the shop dashboard's login forms count with the site's own
# (core.ratelimit): one password cannot be tried through another door.
admin.site.login = rate_limited("login", field="username")(admin.site.login)
rate_limited("login", field="username")(get_class("dashboard.views", "LoginView"))

urlpatterns = [
    path("", HomeView.as_view(), name="site-home"),
    path("language/", language_switch, name="language"),
    # The visitor's own parts of shared pages (core.fragments).
    path("fragments/nav/", fragments.nav, name="fragment-nav"),
    path(
        "fragments/campaigns/<slug:slug>/manage-link/",
        campaign_manage_link,
        name="fragment-campaign-manage-link",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("communities/", include("participation.urls")),
    path("campaigns/", include("campaigns.urls", namespace="campaigns")),
    path("accountability/", include("accountability.urls", namespace="accountability")),
    path("payments/", include("payments.urls")),
    path("open-data/", include("opendata.urls", namespace="opendata")),
    path("api/v1/", include("opendata.api_urls", namespace="api")),
    path("admin/", admin.site.urls),
    path("shop/", include("marketplace.urls", namespace="marketplace")),
    path("shop/", include(apps.get_app_config("oscar").urls[0])),
]

# Public uploads only (core.media): receipts are served by their own views.
urlpatterns += public_media_urlpatterns()
