"""Public, read-only exports: no login, public communities only."""

from django.core.validators import slug_re
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from participation.models import Community

from . import formats
from .datasets import DATASETS

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}


def requested_community(request) -> Community | None:
    """The ``?community=<slug>`` filter: a public community, or 404 (a private
    community and one that does not exist look the same)."""
    slug = request.GET.get("community", "").strip()
    if not slug:
        return None
    # What is not a slug names no community (and a NUL byte would make
    # PostgreSQL fail the query).
    if not slug_re.match(slug):
        raise Http404(slug)
    return get_object_or_404(Community, slug=slug, is_public=True)


class IndexView(TemplateView):
    template_name = "opendata/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        community = requested_community(self.request)
        query = f"?community={community.slug}" if community else ""
        context["community"] = community
        context["communities"] = Community.objects.filter(is_public=True).order_by(
            "name"
        )
        context["datasets"] = [
            {
                "dataset": dataset,
                "csv_url": reverse("opendata:csv", args=[dataset.slug]) + query,
                "json_url": reverse("opendata:json", args=[dataset.slug]) + query,
            }
            for dataset in DATASETS.values()
        ]
        context["licence"] = formats.LICENCE
        context["licence_url"] = formats.LICENCE_URL
        return context


class DatasetView(View):
    fmt = "csv"

    def get(self, request, dataset: str):
        try:
            spec = DATASETS[dataset]
        except KeyError:
            raise Http404(dataset) from None
        community = requested_community(request)
        rows = spec.rows(community)
        if self.fmt == "csv":
            content = formats.csv_stream(spec, rows)
        else:
            meta = formats.json_meta(
                spec,
                source=request.build_absolute_uri(),
                community=community.slug if community else None,
            )
            content = formats.json_stream(spec, rows, meta=meta)
        response = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in content),
            content_type=CONTENT_TYPES[self.fmt],
        )
        name = f"{spec.slug}-{community.slug}" if community else spec.slug
        response["Content-Disposition"] = f'inline; filename="{name}.{self.fmt}"'
        response["Access-Control-Allow-Origin"] = "*"
        response["X-Content-Type-Options"] = "nosniff"
        return response
