"""The API's views: JSON for GET and HEAD, an ``Allow`` list for OPTIONS, and
a JSON error for anything else. They parse the request and call
``endpoints``; what a row holds is the dataset's business."""

import re
from urllib.parse import urlencode

from django.http import JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from ..datasets import INT
from ..formats import JsonEncoder
from . import schema
from .endpoints import (
    DEFAULT_LIMIT,
    ENDPOINTS,
    MAX_ID,
    MAX_LIMIT,
    MAX_PAGE,
    ApiError,
    Endpoint,
    bad_parameter,
    community_get,
    is_slug,
    not_found,
    page_read,
    row_get,
)

_DIGITS = re.compile(r"[0-9]{1,19}")


def api_response(data, *, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data,
        status=status,
        safe=False,
        encoder=JsonEncoder,  # dates and times as the JSON export writes them
        json_dumps_params={"ensure_ascii": False},
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=60" if status == 200 else "no-cache"
    return response


def error_response(error: ApiError) -> JsonResponse:
    return api_response(
        {"error": error.code, "detail": error.message}, status=error.status
    )


def _whole_number(request, name: str, *, default: int, maximum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if _DIGITS.fullmatch(raw) is None or not 1 <= int(raw) <= maximum:
        raise bad_parameter(
            _("“%(name)s” must be a whole number from 1 to %(maximum)d.")
            % {"name": name, "maximum": maximum}
        )
    return int(raw)


def _filter_value(request, endpoint: Endpoint, name: str):
    if endpoint.column(name).type == INT:
        return _whole_number(request, name, default=0, maximum=MAX_ID)
    value = request.GET[name]
    if not is_slug(value):
        raise bad_parameter(
            _("“%(name)s” must be a slug (letters, digits, - and _).") % {"name": name}
        )
    return value


@method_decorator(csrf_exempt, name="dispatch")  # nothing here writes
class ApiView(View):
    http_method_names = ["get", "head", "options"]

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except ApiError as error:
            return error_response(error)

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = error_response(
            ApiError(
                405,
                "method_not_allowed",
                _("This API is read-only: use GET, HEAD or OPTIONS."),
            )
        )
        response["Allow"] = ", ".join(self._allowed_methods())
        return response

    def options(self, request, *args, **kwargs):
        response = super().options(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = response["Allow"]
        response["Access-Control-Max-Age"] = "86400"
        return response


class ListView(ApiView):
    """A page of a dataset's rows: ``?community=``, the endpoint's filters,
    ``?limit=`` (1 to 1000, 100 by default) and ``?page=`` (from 1)."""

    endpoint: Endpoint | None = None

    def get(self, request):
        endpoint = self.endpoint
        limit = _whole_number(
            request, "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT
        )
        page = _whole_number(request, "page", default=1, maximum=MAX_PAGE)
        filters = {
            name: _filter_value(request, endpoint, name)
            for name in endpoint.filters
            if name in request.GET
        }
        slug = request.GET.get("community")
        if slug is not None and not is_slug(slug):
            raise bad_parameter(_("“community” must be a community's slug."))
        community = community_get(slug) if slug is not None else None
        rows, more = page_read(
            endpoint, community=community, filters=filters, page=page, limit=limit
        )
        if page > 1 and not rows:
            raise not_found(_("Page %(page)d is past the last page.") % {"page": page})
        return api_response(
            {
                "next": self._page_url(page + 1, limit) if more else None,
                "previous": self._page_url(page - 1, limit) if page > 1 else None,
                "results": rows,
            }
        )

    def _page_url(self, page: int, limit: int) -> str:
        query = self.request.GET
        params = [
            (name, query[name])
            for name in ("community", *self.endpoint.filters)
            if name in query
        ]
        if limit != DEFAULT_LIMIT:
            params.append(("limit", limit))
        if page > 1:
            params.append(("page", page))
        suffix = "?" + urlencode(params) if params else ""
        return self.request.build_absolute_uri(self.request.path + suffix)


class DetailView(ApiView):
    """One row, named by the endpoint's key columns in the path."""

    endpoint: Endpoint | None = None

    def get(self, request, **key):
        community = community_get(key["community"]) if "community" in key else None
        return api_response(row_get(self.endpoint, community=community, key=key))


class OpenApiView(ApiView):
    def get(self, request):
        return api_response(schema.openapi_document())


@csrf_exempt
def not_found_view(request, path=""):
    return error_response(not_found(_("There is no such address in the API.")))


class DocsView(ApiView, TemplateView):
    """The human page: every endpoint, its parameters and its columns (HTML;
    other methods than GET, HEAD and OPTIONS get the same JSON 405)."""

    template_name = "opendata/api.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["endpoints"] = [
            {
                "endpoint": endpoint,
                "dataset": endpoint.dataset,
                "list_path": reverse(f"api:{endpoint.slug}-list"),
                "detail_path": (
                    schema.path_template(f"api:{endpoint.slug}-detail", endpoint.key)
                    if endpoint.key
                    else None
                ),
                "filters": [endpoint.column(name) for name in endpoint.filters],
            }
            for endpoint in ENDPOINTS.values()
        ]
        context["schema_url"] = reverse("api:openapi")
        context["example_url"] = self.request.build_absolute_uri(
            reverse("api:processes-list") + "?limit=2"
        )
        context["default_limit"] = DEFAULT_LIMIT
        context["max_limit"] = MAX_LIMIT
        return context
