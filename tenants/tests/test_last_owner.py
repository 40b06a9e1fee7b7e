import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.test import Client

from accounts.models import User
from docuchat.testing import make_cast
from tenants import team as service
from tenants.models import Membership
from tenants.tests.conftest import Team


@pytest.mark.django_db
def test_it_never_demotes_the_last_owner(client: Client, team: Team) -> None:
    client.force_login(team.cast.owner)
    response = client.post(f"/t/acme/members/{team.owner.public_id}/role/", {"role": "admin"})
    assert response.status_code == 409
    assert "owner@acme.test is the last owner of Acme" in response.content.decode()
    assert Membership.objects.get(pk=team.owner.pk).role == "owner"


@pytest.mark.django_db
def test_it_never_removes_the_last_owner_nor_lets_them_leave(client: Client, team: Team) -> None:
    client.force_login(team.cast.owner)
    for url in (f"/t/acme/members/{team.owner.public_id}/remove/", "/t/acme/members/leave/"):
        response = client.post(url)
        assert response.status_code == 409, url
        assert "last owner" in response.content.decode()
    assert Membership.objects.get(pk=team.owner.pk).role == "owner"


@pytest.mark.django_db
def test_it_refuses_the_last_owner_leaving_from_the_account_page(client: Client, team: Team) -> None:
    client.force_login(team.cast.owner)
    response = client.post("/account/leave/", {"tenant": "acme"}, follow=True)
    assert "You are the last owner of Acme" in response.content.decode()
    assert Membership.objects.filter(pk=team.owner.pk).exists()


@pytest.mark.django_db
def test_it_lets_one_of_two_owners_step_down(client: Client, team: Team) -> None:
    team.admin.role = "owner"
    team.admin.save()
    client.force_login(team.cast.owner)
    assert client.post(f"/t/acme/members/{team.owner.public_id}/role/", {"role": "member"}).status_code == 302
    assert Membership.objects.get(pk=team.owner.pk).role == "member"
    # now the other one is the last owner, and cannot demote themselves
    admin = Membership.objects.get(pk=team.admin.pk)
    with pytest.raises(service.TeamError, match=r"admin@acme\.test is the last owner"):
        service.change_role(admin, admin, "admin")


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_concurrent_demotions_succeed() -> None:
    """Both owners step down at the same time; alone, each would be allowed. The row lock makes
    the second wait, then see that only one owner is left, and refuse: one owner always remains."""
    cast = make_cast()
    second = Membership.objects.create(
        tenant=cast.acme, user=User.objects.for_email("second@acme.test"), role="owner"
    )
    first = Membership.objects.get(tenant=cast.acme, user=cast.owner)
    outcome: dict[str, object] = {}
    started = threading.Event()

    def demote_first_in_another_thread() -> None:
        try:
            started.set()
            me = Membership.objects.get(pk=second.pk)
            service.change_role(me, me, "admin")
            outcome["thread"] = "changed"
        except service.TeamError as exc:
            outcome["thread"] = str(exc)
        finally:
            close_old_connections()
            connection.close()

    with transaction.atomic():
        # This transaction steps `first` down and holds the owners' row locks while the other
        # thread tries to step `second` down.
        service.change_role(first, first, "admin")
        thread = threading.Thread(target=demote_first_in_another_thread)
        thread.start()
        started.wait(5)
        thread.join(1.0)
        assert thread.is_alive(), "the second demotion should wait for the first one's lock"
    thread.join(10)
    assert "last owner" in str(outcome["thread"])
    roles = dict(Membership.objects.filter(tenant=cast.acme).values_list("user__email", "role"))
    assert roles["owner@acme.test"] == "admin"
    assert roles["second@acme.test"] == "owner"
    assert "second@acme.test is the last owner" in str(outcome["thread"])
