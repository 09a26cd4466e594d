"""Only public images have a URL under /media/; receipts never do."""

import pytest


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.SERVE_PUBLIC_MEDIA = True
    for relative, body in {
        "campaigns/2026/12/banco.png": b"\x89PNG public",
        "cache/ab/cd/thumb.jpg": b"thumb",
        "receipts/2026/pledge-1.pdf": b"%PDF private",
        "receipts/orders/order-1.pdf": b"%PDF private",
        "accountability/receipts/7/receipt-1.pdf": b"%PDF private",
    }.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return tmp_path


def test_a_campaign_image_is_served(client, media):
    response = client.get("/media/campaigns/2026/12/banco.png")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG public"


def test_a_thumbnail_is_served(client, media):
    assert client.get("/media/cache/ab/cd/thumb.jpg").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media/receipts/2026/pledge-1.pdf",
        "/media/receipts/orders/order-1.pdf",
        "/media/accountability/receipts/7/receipt-1.pdf",
        "/media/campaigns/../receipts/2026/pledge-1.pdf",
        "/media/campaigns/%2e%2e/receipts/2026/pledge-1.pdf",
        "/media/campaigns/2026/12/missing.png",
        "/media/campaigns/",
    ],
)
def test_private_files_and_tricks_have_no_url(client, media, path):
    assert client.get(path).status_code == 404


def test_nothing_is_served_when_the_proxy_serves_media(client, media, settings):
    settings.SERVE_PUBLIC_MEDIA = False

    assert client.get("/media/campaigns/2026/12/banco.png").status_code == 404
