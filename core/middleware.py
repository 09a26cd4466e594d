"""Security headers of every response: Content-Security-Policy (on HTML),
Permissions-Policy. Django's SecurityMiddleware adds the rest (HSTS, nosniff,
Referrer-Policy, Cross-Origin-Opener-Policy) from the settings.

The policy allows scripts from us and from Stripe.js only; an inline
``<script>`` runs only with this request's nonce (``{{ csp_nonce }}``, from
``core.context_processors.csp``). Style attributes are allowed
(``style-src-attr``): Oscar's templates hide forms with them and Bootstrap's
and Stripe's scripts set them; they cannot run script nor read the page,
while ``<style>`` elements, which can, stay ours only.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings

STRIPE_JS = "https://js.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def stripe_sources() -> dict[str, list[str]]:
    """The Stripe origins each directive needs, from STRIPE_JS_URL and
    STRIPE_API_BASE: Stripe's documented set for the real Stripe.js, the
    emulator's origin in development."""
    js = _origin(settings.STRIPE_JS_URL)
    api = _origin(settings.STRIPE_API_BASE)
    sources = {"script": [js], "frame": [js], "connect": [api], "img": []}
    if js == STRIPE_JS:
        sources["script"].append("https://*.js.stripe.com")
        sources["frame"] += ["https://*.js.stripe.com", "https://hooks.stripe.com"]
        sources["img"].append("https://*.stripe.com")
    return {name: [s for s in values if s] for name, values in sources.items()}


def content_security_policy(nonce: str) -> str:
    stripe = stripe_sources()

    def sources(*items):
        seen: list[str] = []
        for item in items:
            if item not in seen:
                seen.append(item)
        return " ".join(seen)

    directives = [
        ("default-src", "'self'"),
        (
            "script-src",
            sources(
                "'self'",
                f"'nonce-{nonce}'",
                *stripe["script"],
                *settings.CSP_EXTRA_SCRIPT_SRC,
            ),
        ),
        ("style-src", "'self'"),
        ("style-src-attr", "'unsafe-inline'"),
        (
            "img-src",
            sources("'self'", "data:", *stripe["img"], *settings.CSP_EXTRA_IMG_SRC),
        ),
        ("font-src", "'self'"),
        (
            "connect-src",
            sources("'self'", *stripe["connect"], *settings.CSP_EXTRA_CONNECT_SRC),
        ),
        ("frame-src", sources(*stripe["frame"], *settings.CSP_EXTRA_FRAME_SRC)),
        ("object-src", "'none'"),
        ("base-uri", "'self'"),
        ("form-action", "'self'"),
        ("frame-ancestors", "'none'"),
    ]
    if settings.CSP_REPORT_URI:
        directives.append(("report-uri", settings.CSP_REPORT_URI))
    return "; ".join(f"{name} {value}" for name, value in directives if value)


def permissions_policy() -> str:
    stripe = " ".join(f'"{origin}"' for origin in stripe_sources()["frame"][:1])
    return ", ".join(
        [
            "camera=()",
            "microphone=()",
            "geolocation=()",
            "usb=()",
            f"payment=(self {stripe})" if stripe else "payment=(self)",
        ]
    )


class SecurityHeadersMiddleware:
    """Give the request its CSP nonce; add the headers to the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        # DEBUG's error pages (Django's technical 404 and 500) are styled and
        # scripted inline: left without a policy so a developer can read them.
        debug_page = settings.DEBUG and response.status_code in {404, 500}
        if response.get("Content-Type", "").startswith("text/html") and not debug_page:
            response.headers.setdefault(
                "Content-Security-Policy", content_security_policy(request.csp_nonce)
            )
        response.headers.setdefault("Permissions-Policy", permissions_policy())
        return response
