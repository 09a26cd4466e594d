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

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("site-home")).content.decode()
    client.post(reverse("set_language"), {"language": "it", "next": "/"})
    italian_again = client.get(reverse("site-home")).content.decode()

    assert "Decidere insieme, finanziare insieme" in italian
    assert '<html lang="en">' in english and "Decide together, fund together" in english
    assert "Decidere insieme, finanziare insieme" in italian_again
