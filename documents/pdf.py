"""Render a Django template to PDF with WeasyPrint.

The URL fetcher serves only what a document carries inside itself and what we
ship: ``data:`` URIs (RFC 2397, decoded here) and our own static files
(``static:`` URLs resolved by Django's staticfiles finders). Everything else is
refused: no network, no ``file://`` (not even into the static directory), no
other scheme, no redirect. WeasyPrint logs a refused resource and renders the
document without it.
"""

import base64
import binascii
import contextlib
import functools
import gc
import mimetypes
import os
import re
import threading
from collections.abc import Iterator, Sequence
from urllib.parse import unquote, unquote_to_bytes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

STATIC_SCHEME = "static"
DATA_SCHEME = "data"
BASE_URL = "static:/"

# type/subtype as in RFC 2045 (tokens), and the one parameter WeasyPrint reads.
MEDIA_TYPE_RE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+")
CHARSET_RE = re.compile(r"charset=\"?([A-Za-z0-9_.:+-]+)\"?", re.IGNORECASE)
BASE64_WHITESPACE_RE = re.compile(rb"[\t\n\f\r ]+")


def _refuse(url: str, reason: str):
    return URLFetchingError(f"refused to fetch {url[:80]!r}: {reason}")


class StaticOnlyFetcher(URLFetcher):
    """Serve ``data:`` URIs and ``static:`` files; refuse every other URL.

    ``fetch`` raises ``URLFetchingError`` for a refused or missing resource,
    which WeasyPrint logs before going on without it. Nothing here opens a
    socket or a file outside the staticfiles finders' results.
    """

    def fetch(self, url, headers=None):
        scheme, colon, rest = url.partition(":")
        if not colon:
            raise _refuse(url, "not an absolute URL")
        scheme = scheme.lower()
        if scheme == DATA_SCHEME:
            return self._fetch_data(url, rest)
        if scheme == STATIC_SCHEME:
            return self._fetch_static(url, rest)
        raise _refuse(url, "only data: and static: URLs are served")

    def _fetch_data(self, url: str, rest: str) -> URLFetcherResponse:
        header, comma, payload = rest.partition(",")
        if not comma:
            raise _refuse(url, "malformed data: URI (no comma)")
        params = [part.strip() for part in unquote(header).split(";")]
        is_base64 = len(params) > 1 and params[-1].lower() == "base64"
        if is_base64:
            params.pop()
        media_type = params[0].lower() or "text/plain"
        if not MEDIA_TYPE_RE.fullmatch(media_type):
            raise _refuse(url, "malformed media type in data: URI")
        charset = next(
            (m[1] for p in params[1:] if (m := CHARSET_RE.fullmatch(p))), None
        )
        if charset is None and not params[0]:
            charset = "US-ASCII"  # the RFC 2397 default for "data:,..."

        body = unquote_to_bytes(payload)
        if is_base64:
            body = BASE64_WHITESPACE_RE.sub(b"", body)
            body += b"=" * (-len(body) % 4)
            try:
                body = base64.b64decode(body, validate=True)
            except binascii.Error as error:
                raise _refuse(url, f"invalid base64 in data: URI ({error})") from None

        content_type = f"{media_type}; charset={charset}" if charset else media_type
        return URLFetcherResponse(
            url, body=body, headers={"Content-Type": content_type}
        )

    def _fetch_static(self, url: str, rest: str) -> URLFetcherResponse:
        # WeasyPrint %-encodes URLs before fetching; decode before checking so
        # that "%2e%2e" is caught like "..".
        relative = unquote(re.split(r"[?#]", rest, maxsplit=1)[0]).lstrip("/")
        if not relative or "\\" in relative or "\x00" in relative:
            raise _refuse(url, "not a static file path")
        if ".." in relative.split("/"):
            raise _refuse(url, "static path leaves the static directories")
        try:
            path = finders.find(relative)
        except SuspiciousFileOperation:
            raise _refuse(url, "static path leaves the static directories") from None
        if not path or not os.path.isfile(path):
            raise URLFetchingError(f"no static file {url[:80]!r}")
        with open(path, "rb") as handle:
            body = handle.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        return URLFetcherResponse(
            url, body=body, headers={"Content-Type": content_type}
        )


def render_pdf_string(html: str, *, stylesheets: Sequence[str] = ()) -> bytes:
    """Render an HTML string to PDF, fetching only through ``StaticOnlyFetcher``.

    ``stylesheets`` are static paths (``"css/receipt.css"``) applied to the
    document; each is parsed once per process (a quarter of a receipt's
    rendering time), again on every render when DEBUG is on. The system's
    fonts are loaded once per thread (see ``_font_config``), and the garbage
    collector waits until the document is written (see ``_collector_paused``).
    """
    sheets = [_stylesheet(path) for path in stylesheets]
    font_config = _font_config()
    try:
        with _collector_paused():
            return HTML(
                string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()
            ).write_pdf(stylesheets=sheets, font_config=font_config)
    finally:
        if font_config.added_font_faces:
            # Fonts a document declared are its own: the next one starts clean.
            del _fonts.config


def render_pdf(
    template_name: str, context: dict, *, stylesheets: Sequence[str] = ()
) -> bytes:
    return render_pdf_string(
        render_to_string(template_name, context), stylesheets=stylesheets
    )


def _stylesheet(path: str) -> CSS:
    if settings.DEBUG:
        return _parse_stylesheet(path)
    return _parsed_stylesheet(path)


def _parse_stylesheet(path: str) -> CSS:
    return CSS(url=f"{STATIC_SCHEME}:{path}", url_fetcher=StaticOnlyFetcher())


_parsed_stylesheet = functools.lru_cache(maxsize=16)(_parse_stylesheet)


class ReusableFontConfiguration(FontConfiguration):
    """The system's fonts as Fontconfig and Pango load them, kept from one
    document to the next; it notes when a document adds fonts of its own
    (``@font-face``), after which it is not reused."""

    added_font_faces = False

    def add_font_face(self, rule_descriptors, url_fetcher):
        self.added_font_faces = True
        return super().add_font_face(rule_descriptors, url_fetcher)


_fonts = threading.local()


def _font_config() -> ReusableFontConfiguration:
    """This thread's font configuration. Building one (Fontconfig reading the
    system's fonts, Pango opening them again as the first lines are laid out)
    is about a fifth of a receipt's time; Pango's objects are not shared
    between threads, hence one per thread."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = ReusableFontConfiguration()
    return config


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a document is laid out and written,
    then one collection of the young objects it left.

    A receipt allocates a few hundred thousand objects (boxes, styles, text
    layouts) that live until the PDF is written: the collector's passes over
    them, and over everything older they get promoted next to, took a sixth of
    the time and found almost nothing to free. A render that finds the
    collector off (another thread's render, or its caller) leaves it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect(0)
