"""No page the public can see shows the real name of a pseudonymous participant."""

import re
from collections import deque
from urllib.parse import urldefrag, urlparse

import pytest
from django.urls import reverse

from demo.seed import CONSORTIUM_SLUG, PRISON_SLUG, seed_demo
from participation.models import Participant
from tests.factories import UserFactory

LINK = re.compile(r'href="([^"]+)"')
NOT_OURS = ("/static/", "/media/", "/admin/", "/shop/", "/i18n/")


def _crawl(client, start="/", limit=200) -> dict[str, str]:
    pages, queue = {}, deque([start])
    while queue and len(pages) < limit:
        url = queue.popleft()
        if url in pages:
            continue
        response = client.get(url)
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        pages[url] = body.decode() if response.status_code == 200 else ""
        for link in LINK.findall(pages[url]):
            link = urldefrag(link)[0]
            parsed = urlparse(link)
            if parsed.netloc or not link.startswith("/") or link.startswith(NOT_OURS):
                continue
            if link not in pages:
                queue.append(link)
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["it", "en"])
def test_a_crawl_of_the_public_demo_finds_no_real_name(client, language):
    seed_demo()
    client.cookies["django_language"] = language
    legal_names = set(
        Participant.objects.exclude(legal_name="").values_list("legal_name", flat=True)
    )
    assert len(legal_names) > 10

    pages = _crawl(client)

    assert reverse("participation:community-detail", args=[PRISON_SLUG]) in pages
    assert reverse("participation:community-detail", args=[CONSORTIUM_SLUG]) in pages
    for url, body in pages.items():
        leaked = [name for name in legal_names if name in body]
        assert leaked == [], f"{url} shows {leaked}"


@pytest.mark.django_db
def test_a_logged_in_customer_sees_no_real_name_either(client):
    seed_demo()
    client.force_login(UserFactory())
    legal_names = set(Participant.objects.values_list("legal_name", flat=True))

    pages = _crawl(client, start=reverse("accounts:dashboard"))
    pages.update(_crawl(client))

    assert len(pages) >= 4
    for url, body in pages.items():
        assert not [name for name in legal_names if name in body], url
