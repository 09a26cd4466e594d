from django.apps import apps
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

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
    path("admin/", admin.site.urls),
    path("shop/", include("marketplace.urls", namespace="marketplace")),
    path("shop/", include(apps.get_app_config("oscar").urls[0])),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
