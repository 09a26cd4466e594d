import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from participation.models import Membership, Role
from tests.factories import TEST_PASSWORD, CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Nuova.Persona@Example.org",
    "display_name": "Nuova Persona",
    "password1": "orto-sociale-2026",
    "password2": "orto-sociale-2026",
}


def test_sign_up_creates_the_account_and_joins_the_chosen_community(client):
    community = CommunityFactory(open_membership=True)

    response = client.post(
        reverse("accounts:signup"), {**SIGNUP, "community": community.pk}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    user = User.objects.get()
    assert user.email == "nuova.persona@example.org"
    assert user.display_name == "Nuova Persona"
    assert list(Membership.objects.values_list("user", "community", "role")) == [
        (user.pk, community.pk, Role.PARTICIPANT)
    ]


def test_an_email_already_registered_in_another_case_is_refused(client):
    UserFactory(email="nuova.persona@example.org")

    response = client.post(reverse("accounts:signup"), SIGNUP)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Esiste già un account con questa e-mail. Accedi." in body
    assert User.objects.count() == 1


def test_a_closed_community_is_not_offered_and_cannot_be_forced(client):
    prison = CommunityFactory(open_membership=False)

    page = client.get(reverse("accounts:signup"))
    response = client.post(
        reverse("accounts:signup"), {**SIGNUP, "community": prison.pk}
    )

    assert prison.name not in page.content.decode()
    assert response.status_code == 200
    assert not User.objects.exists()
    assert not Membership.objects.exists()


def test_different_passwords_keep_what_was_typed_and_create_nothing(client):
    response = client.post(
        reverse("accounts:signup"), {**SIGNUP, "password2": "other-password-1"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="Nuova Persona"' in body
    assert 'id="id_password2"' in body and 'role="alert"' in body
    assert not User.objects.exists()


def test_login_is_by_email_and_leads_to_the_dashboard(client):
    user = UserFactory(email="facilitatrice@example.org")

    response = client.post(
        reverse("accounts:login"),
        {"username": "facilitatrice@example.org", "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_logout_is_a_post_and_ends_the_session(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_working_link(client):
    user = UserFactory(email="dimentico@example.org")

    client.post(reverse("accounts:password_reset"), {"email": "dimentico@example.org"})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dimentico@example.org"]
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "nuova-password-77", "new_password2": "nuova-password-77"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("nuova-password-77")


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post(
        reverse("accounts:password_reset"), {"email": "nobody@example.org"}
    )

    assert response.status_code == 302
    assert mail.outbox == []


def test_the_login_page_after_sign_up_keeps_a_plus_in_the_email(client):
    response = client.post(
        reverse("accounts:signup"), {**SIGNUP, "email": "anna+shop@example.org"}
    )

    assert response["Location"] == (
        reverse("accounts:login") + "?email=anna%2Bshop%40example.org"
    )
    login = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert 'value="anna+shop@example.org"' in login.content.decode()
