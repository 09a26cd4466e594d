"""Render a Django template to PDF with WeasyPrint.

The URL fetcher serves only our own static files (``static:`` URLs resolved by
Django's staticfiles finders): no network, no other file, no redirect.
"""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

STATIC_SCHEME = "static:"


class StaticOnlyFetcher(URLFetcher):
    def fetch(self, url, headers=None):
        if not url.startswith(STATIC_SCHEME):
            raise URLFetchingError(f"refused to fetch {url[:80]!r}: only static files")
        path = finders.find(url[len(STATIC_SCHEME) :].lstrip("/"))
        if not path:
            raise URLFetchingError(f"no static file {url!r}")
        with open(path, "rb") as handle:
            body = handle.read()
        css = path.endswith(".css")
        content_type = "text/css" if css else "application/octet-stream"
        return URLFetcherResponse(
            url, body=body, headers={"Content-Type": content_type}
        )


def render_pdf(template_name: str, context: dict) -> bytes:
    html = render_to_string(template_name, context)
    return HTML(
        string=html, base_url="static:/", url_fetcher=StaticOnlyFetcher()
    ).write_pdf()
