"""The PDF URL fetcher serves data: URIs and our static files, nothing else.

What the fetcher and WeasyPrint touch is watched with a Python audit hook
("open", socket and urllib events), so the tests see real behaviour without
replacing any code.
"""

import base64
import http.client
import io
import logging
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from weasyprint.urls import URLFetchingError

from documents.pdf import StaticOnlyFetcher, render_pdf_string

STATIC_DIR = Path(settings.BASE_DIR) / "static"
RECEIPT_CSS = STATIC_DIR / "css" / "receipt.css"
NETWORK_EVENTS = {"socket.connect", "socket.getaddrinfo", "urllib.Request"}


class ResourceAudit:
    """Records file opens and network attempts while ``active``.

    Audit hooks cannot be removed, so one instance is installed for the whole
    process and switched on only inside the ``audit`` fixture.
    """

    def __init__(self):
        self.active = False
        self.events = []

    def __call__(self, event, args):
        if self.active and (event == "open" or event in NETWORK_EVENTS):
            self.events.append((event, args))

    @property
    def opened(self) -> list[str]:
        return [str(args[0]) for event, args in self.events if event == "open" and args]

    @property
    def network(self) -> list:
        return [(event, args) for event, args in self.events if event != "open"]


_AUDIT = ResourceAudit()
sys.addaudithook(_AUDIT)


@pytest.fixture
def audit():
    _AUDIT.events.clear()
    _AUDIT.active = True
    try:
        yield _AUDIT
    finally:
        _AUDIT.active = False


def png_bytes(width=4, height=3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_data_uri(width=4, height=3) -> str:
    encoded = base64.b64encode(png_bytes(width, height)).decode()
    return f"data:image/png;base64,{encoded}"


# --- the fetcher on its own ---------------------------------------------------


def test_fetcher_decodes_a_base64_data_uri_with_its_media_type(audit):
    response = StaticOnlyFetcher().fetch(png_data_uri())

    assert response.read() == png_bytes()
    assert response.content_type == "image/png"
    assert audit.network == []


def test_fetcher_decodes_a_percent_encoded_data_uri_with_its_charset(audit):
    response = StaticOnlyFetcher().fetch(
        "data:text/css;charset=utf-8,p%20%7B%20color%3A%20red%20%7D%20%2F*%C3%A8*%2F"
    )

    assert response.read() == "p { color: red } /*è*/".encode()
    assert response.content_type == "text/css"
    assert response.charset == "utf-8"
    assert audit.network == []


def test_fetcher_gives_a_data_uri_without_media_type_the_rfc_default():
    response = StaticOnlyFetcher().fetch("data:,A%20note")

    assert response.read() == b"A note"
    assert response.content_type == "text/plain"
    assert response.charset == "US-ASCII"


def test_fetcher_serves_a_static_css_file(audit):
    response = StaticOnlyFetcher().fetch("static:css/receipt.css")

    assert response.read() == RECEIPT_CSS.read_bytes()
    assert response.content_type == "text/css"
    assert str(RECEIPT_CSS) in audit.opened
    assert audit.network == []


@pytest.mark.parametrize(
    "url",
    [
        "static:../../settings",
        "static:../config/settings.py",
        "static:css/../../config/settings.py",
        "static:%2e%2e/config/settings.py",
        "static:css/missing.css",
        "static:css",
        "file:///etc/passwd",
        RECEIPT_CSS.as_uri(),
        "FILE:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.org",
        # private and link-local addresses (cloud metadata, the LAN, loopback)
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://[fe80::1]/",
        "http://10.0.0.1/receipt.css",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://[::1]:8000/admin/",
        "http://localhost:6379/",
        "https://0x7f000001/",
        "//169.254.169.254/",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "ftp://example.org/receipt.css",
        "javascript:alert(1)",
        "css/receipt.css",
        "data:image/png;base64,@@@@",
        "data:image/png;base64",
    ],
)
def test_fetcher_refuses_everything_else_without_touching_it(audit, url):
    with pytest.raises(URLFetchingError):
        StaticOnlyFetcher().fetch(url)

    assert audit.opened == []
    assert audit.network == []


# --- through a real render ----------------------------------------------------


def pdf_images(pdf: bytes) -> list[tuple[int, int]]:
    """(width, height) of every image in the PDF, from poppler's pdfimages."""
    listing = subprocess.run(
        ["pdfimages", "-list", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    rows = listing.splitlines()[2:]  # a header line and a rule
    return [(int(row.split()[3]), int(row.split()[4])) for row in rows]


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()


def test_render_skips_refused_resources_and_embeds_data_uris(audit, caplog):
    html = f"""<!doctype html>
    <html lang="en"><head><meta charset="utf-8">
      <link rel="stylesheet" href="http://169.254.169.254/">
      <link rel="stylesheet" href="data:text/css,.gone%20%7Bdisplay%3Anone%7D">
    </head><body>
      <p>Visible paragraph</p>
      <p class="gone">Hidden paragraph</p>
      <img src="file:///etc/hostname" alt="">
      <img src="{png_data_uri(4, 3)}" alt="">
    </body></html>"""

    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf = render_pdf_string(html)

    assert pdf.startswith(b"%PDF-")
    assert pdf_images(pdf) == [(4, 3)]  # the data: image, and only it
    text = pdf_text(pdf)
    assert "Visible paragraph" in text
    assert "Hidden paragraph" not in text  # the data: stylesheet applied
    logged = caplog.text
    assert "file:///etc/hostname" in logged
    assert "http://169.254.169.254/" in logged
    assert audit.network == []
    assert not any(path.startswith("/etc/hostname") for path in audit.opened)


def test_a_stylesheet_given_by_path_is_applied_and_parsed_once(settings):
    from documents import pdf as documents_pdf

    settings.DEBUG = False
    documents_pdf._parsed_stylesheet.cache_clear()
    html = "<html><body><h1>Ricevuta di prova</h1></body></html>"
    receipt_css = ["css/receipt.css"]  # its page footer: title, "page / pages"

    plain = pdf_text(render_pdf_string(html))
    first = pdf_text(render_pdf_string(html, stylesheets=receipt_css))
    again = pdf_text(render_pdf_string(html, stylesheets=receipt_css))

    assert plain.count("Ricevuta di prova") == 1 and "1/1" not in plain
    for styled in (first, again):
        assert styled.count("Ricevuta di prova") == 2 and "1/1" in styled
    info = documents_pdf._parsed_stylesheet.cache_info()
    assert (info.misses, info.hits) == (1, 1)


class _RedirectingServer(ThreadingHTTPServer):
    """A local server that answers every request with a redirect to a static
    file and counts the requests it gets: a fetcher that followed links or
    redirects would show up here."""

    hits = 0


class _RedirectHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.hits += 1
        self.send_response(302)
        self.send_header("Location", "static:css/receipt.css")
        self.end_headers()

    def log_message(self, *args):
        """Quiet: the test counts requests, it does not print them."""


@pytest.fixture
def redirecting_server():
    server = _RedirectingServer(("127.0.0.1", 0), _RedirectHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_document_pointing_at_a_redirect_never_reaches_it(
    audit, redirecting_server, caplog
):
    port = redirecting_server.server_address[1]
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
    <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
    </head><body><p>Receipt</p>
    <img src="http://127.0.0.1:{port}/logo.png" alt="">
    <img src="http://169.254.169.254/latest/meta-data/" alt=""></body></html>"""

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf_string(html)

    assert pdf.startswith(b"%PDF")
    assert "Receipt" in pdf_text(pdf)
    assert redirecting_server.hits == 0
    assert audit.network == []
    # The server does count a client that asks (so zero hits means no fetch).
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/probe")
    assert connection.getresponse().status == 302
    connection.close()
    assert redirecting_server.hits == 1


# --- what a render keeps from one document to the next ------------------------


def test_renders_in_one_thread_share_one_font_configuration():
    from documents import pdf as documents_pdf

    html = "<html><body><p>Ricevuta</p></body></html>"
    render_pdf_string(html)
    config = documents_pdf._font_config()
    render_pdf_string(html)

    assert documents_pdf._font_config() is config
    seen_by_thread = []
    thread = threading.Thread(
        target=lambda: seen_by_thread.append(documents_pdf._font_config())
    )
    thread.start()
    thread.join()
    assert seen_by_thread[0] is not config  # Pango's objects stay in their thread


def test_fonts_a_document_declares_are_not_kept_for_the_next_one():
    from documents import pdf as documents_pdf

    before = documents_pdf._font_config()
    html = """<html><head><style>
      @font-face { font-family: "Own"; src: local("DejaVu Sans"); }
      p { font-family: "Own"; }
    </style></head><body><p>Ricevuta</p></body></html>"""

    pdf = render_pdf_string(html)

    assert "Ricevuta" in pdf_text(pdf)
    assert before.added_font_faces
    after = documents_pdf._font_config()
    assert after is not before and not after.added_font_faces


def test_the_garbage_collector_is_on_again_after_a_render_even_a_failed_one():
    import gc

    assert gc.isenabled()
    render_pdf_string("<html><body><p>Ricevuta</p></body></html>")
    assert gc.isenabled()

    with pytest.raises(TypeError):
        render_pdf_string(None)  # no document at all
    assert gc.isenabled()


def test_a_render_leaves_the_garbage_collector_off_if_it_was_off():
    import gc

    gc.disable()
    try:
        render_pdf_string("<html><body><p>Ricevuta</p></body></html>")
        assert not gc.isenabled()
    finally:
        gc.enable()
