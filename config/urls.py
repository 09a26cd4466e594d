from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from core.media import public_media_urlpatterns

from .views import HomeView

admin.site.site_header = "Civic marketplace"

urlpatterns = [
    path("", HomeView.as_view(), name="site-home"),
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
