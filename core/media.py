"""Uploaded files: which may be served to anyone, and by whom.

``MEDIA_ROOT`` holds two kinds of files. Images shown on public pages
(campaign and proposal images, the shop's product images and their
thumbnails) may be served to anyone, under ``PUBLIC_MEDIA_PREFIXES``.
Everything else there (pledge and order receipts, expense receipts) is
private: each is served only by its own view after a permission check, and no
URL maps to it directly.

In production the proxy serves the public folders (deploy/nginx/civic.conf);
``SERVE_PUBLIC_MEDIA`` lets Django serve them itself (development, or a
deployment without a proxy). Either way a private file has no public URL.
"""

from django.conf import settings
from django.http import Http404
from django.urls import re_path
from django.views.static import serve


def is_public_media(path: str) -> bool:
    parts = path.split("/")
    if not path or ".." in parts or "\\" in path or path.startswith("/"):
        return False
    return any(
        path == prefix or (prefix.endswith("/") and path.startswith(prefix))
        for prefix in settings.PUBLIC_MEDIA_PREFIXES
    )


def public_media(request, path: str):
    if not settings.SERVE_PUBLIC_MEDIA or not is_public_media(path):
        raise Http404(path)
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def public_media_urlpatterns() -> list:
    prefix = settings.MEDIA_URL.lstrip("/")
    return [re_path(rf"^{prefix}(?P<path>.+)$", public_media, name="public-media")]
