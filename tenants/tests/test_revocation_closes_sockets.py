"""On top of the per-message check, open sockets close at once when access goes by any path:
Django admin, Model.delete(), deactivation, and a plain logout (that browser's sockets only)."""

import pytest

from accounts.models import User
from docuchat.testing import Cast, socket_headers
from tenants.models import Membership
from tenants.tests.revocation import CLOSED, admin_form, browser, closed_by_push, headers_of, still_open

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_closes_the_sockets_of_a_user_deactivated_in_django_admin(cast: Cast) -> None:
    admin = browser(User.objects.create_superuser("root@docuchat.test", "a long admin password"))
    url = f"/admin/accounts/user/{cast.member.pk}/change/"

    def deactivate() -> None:
        data = admin_form(admin, url)
        data.pop("is_active")
        assert admin.post(url, data).status_code == 302

    assert closed_by_push(socket_headers(cast.member), deactivate) == CLOSED


def test_it_closes_the_sockets_of_a_user_saved_inactive(cast: Cast) -> None:
    def deactivate() -> None:
        user = User.objects.get(pk=cast.member.pk)
        user.is_active = False
        user.save()

    assert closed_by_push(socket_headers(cast.member), deactivate) == CLOSED


def test_it_closes_the_sockets_of_a_membership_deleted_with_model_delete(cast: Cast) -> None:
    def delete() -> None:
        Membership.objects.get(tenant=cast.acme, user=cast.member).delete()

    assert closed_by_push(socket_headers(cast.member), delete) == CLOSED


def test_it_closes_the_sockets_of_a_membership_deleted_in_django_admin(cast: Cast) -> None:
    admin = browser(User.objects.create_superuser("root@docuchat.test", "a long admin password"))
    pk = Membership.objects.get(tenant=cast.acme, user=cast.member).pk

    def delete() -> None:
        assert admin.post(f"/admin/tenants/membership/{pk}/delete/", {"post": "yes"}).status_code == 302

    assert closed_by_push(socket_headers(cast.member), delete) == CLOSED


def test_it_closes_the_sockets_of_a_browser_that_logs_out_and_no_other(cast: Cast) -> None:
    laptop, phone, tablet = browser(cast.member), browser(cast.member), browser(cast.member)

    assert still_open(headers_of(laptop), lambda: phone.post("/logout/"))
    assert closed_by_push(headers_of(tablet), lambda: tablet.post("/logout/")) == CLOSED


def test_it_keeps_the_sockets_of_an_active_user_whose_profile_is_saved(cast: Cast) -> None:
    def rename() -> None:
        user = User.objects.get(pk=cast.member.pk)
        user.display_name = "Renamed"
        user.save()

    assert still_open(socket_headers(cast.member), rename)
