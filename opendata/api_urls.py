"""``/api/v1/``: the read-only open-data API (see ``opendata.api``)."""

from django.urls import path, re_path

from .api import views
from .api.endpoints import ENDPOINTS

app_name = "api"

urlpatterns = [
    path("", views.DocsView.as_view(), name="index"),
    path("openapi.json", views.OpenApiView.as_view(), name="openapi"),
]
for endpoint in ENDPOINTS.values():
    urlpatterns.append(
        path(
            f"{endpoint.slug}/",
            views.ListView.as_view(endpoint=endpoint),
            name=f"{endpoint.slug}-list",
        )
    )
    if endpoint.key:
        segments = "/".join(f"<str:{name}>" for name in endpoint.key)
        urlpatterns.append(
            path(
                f"{endpoint.slug}/{segments}/",
                views.DetailView.as_view(endpoint=endpoint),
                name=f"{endpoint.slug}-detail",
            )
        )
# Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
urlpatterns.append(re_path(r"^(?P<path>.*)$", views.not_found_view))
