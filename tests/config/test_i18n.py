import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"


def test_the_italian_catalogue_translates_every_message():
    catalogue = polib.pofile(str(LOCALE / "it/LC_MESSAGES/django.po"))

    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_compiled_catalogue_matches_its_source(language):
    source = polib.pofile(str(LOCALE / f"{language}/LC_MESSAGES/django.po"))
    compiled = polib.mofile(str(LOCALE / f"{language}/LC_MESSAGES/django.mo"))

    translated = {
        (e.msgctxt, e.msgid): e.msgstr
        for e in source.translated_entries()
        if not e.msgid_plural
    }
    in_mo = {
        (e.msgctxt, e.msgid): e.msgstr
        for e in compiled
        if e.msgid and not e.msgid_plural
    }

    assert in_mo == translated, "run `make messages` and commit the .mo files"


@pytest.mark.django_db
def test_the_language_switch_turns_the_site_to_english_and_back(client):
    italian = client.get(reverse("site-home")).content.decode()

    client.get(reverse("language"), {"language": "en", "next": "/"})
    english = client.get(reverse("site-home")).content.decode()
    client.get(reverse("language"), {"language": "it", "next": "/"})
    italian_again = client.get(reverse("site-home")).content.decode()

    assert "Decidere insieme, finanziare insieme" in italian
    assert '<html lang="en">' in english and "Decide together, fund together" in english
    assert "Decidere insieme, finanziare insieme" in italian_again


@pytest.mark.django_db
def test_the_language_menu_is_a_get_form_without_a_csrf_token(client):
    page = client.get(reverse("site-home")).content.decode()
    form = re.search(r'<form class="lang-form"[^>]*>.*?</form>', page, re.S).group(0)

    assert f'action="{reverse("language")}"' in form and 'method="get"' in form
    assert "csrfmiddlewaretoken" not in form
    assert 'name="next" type="hidden" value="/"' in form


@pytest.mark.django_db
def test_the_language_switch_goes_back_to_the_page_it_came_from(client):
    response = client.get(
        reverse("language"), {"language": "en", "next": "/campaigns/?page=2"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/campaigns/?page=2"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_the_language_switch_never_leaves_the_site(client, target):
    response = client.get(reverse("language"), {"language": "en", "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["", "fr", "xx", "en-GB<script>"])
def test_an_unknown_language_is_refused_and_sets_nothing(client, language):
    response = client.get(
        reverse("language"),
        {"language": language, "next": "/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "Unknown language" in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
