"""Whatever removes someone's access, the next message on their open socket is refused.

Every test here loses the push that would close the socket (`no_push`, as when the channel layer's
database restarts), so only the check each message makes from the database can refuse it: the
socket answers "no access", closes (4403), and nothing is saved or sent to a model.
"""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import OperationalError, connection

from accounts.models import User
from accounts.sessions import end_all_sessions
from chat.models import Message
from docuchat.asgi import application
from docuchat.testing import Cast, socket_headers
from tenants import team
from tenants.consumers import CLOSE_FORBIDDEN, tenant_group
from tenants.deletion import delete_tenant
from tenants.models import Membership
from tenants.tests.revocation import CLOSED, REFUSED, admin_form, ask_after, browser, headers_of

pytestmark = pytest.mark.django_db(transaction=True)


def refused(reply: tuple[str, dict]) -> bool:
    frame, after = reply
    return REFUSED in frame and after == CLOSED and not Message.objects.exists()


def membership(cast: Cast, user: User) -> Membership:
    return Membership.objects.select_related("tenant", "user").get(tenant=cast.acme, user=user)


def admin_client() -> object:
    return browser(User.objects.create_superuser("root@docuchat.test", "a long admin password"))


def test_it_refuses_a_user_deactivated_in_django_admin(cast: Cast, no_push: list[str]) -> None:
    admin = admin_client()
    url = f"/admin/accounts/user/{cast.member.pk}/change/"

    def deactivate() -> None:
        data = admin_form(admin, url)
        data.pop("is_active")
        assert admin.post(url, data).status_code == 302
        assert not User.objects.get(pk=cast.member.pk).is_active

    assert refused(ask_after(socket_headers(cast.member), deactivate))


def test_it_refuses_a_membership_deleted_with_model_delete(cast: Cast, no_push: list[str]) -> None:
    assert refused(ask_after(socket_headers(cast.member), lambda: membership(cast, cast.member).delete()))


def test_it_refuses_a_membership_deleted_in_django_admin(cast: Cast, no_push: list[str]) -> None:
    admin = admin_client()
    url = f"/admin/tenants/membership/{membership(cast, cast.member).pk}/delete/"
    assert refused(ask_after(socket_headers(cast.member), lambda: admin.post(url, {"post": "yes"})))


def test_it_refuses_a_member_removed_by_the_team_functions(cast: Cast, no_push: list[str]) -> None:
    def remove() -> None:
        team.remove_member(membership(cast, cast.owner), membership(cast, cast.member))

    assert refused(ask_after(socket_headers(cast.member), remove))


def test_it_refuses_everyone_once_the_workspace_is_deleted(cast: Cast, no_push: list[str]) -> None:
    assert refused(ask_after(socket_headers(cast.owner), lambda: delete_tenant(cast.acme, actor=cast.owner)))


def test_it_refuses_a_browser_after_log_out_of_all_sessions(cast: Cast, no_push: list[str]) -> None:
    laptop, phone = browser(cast.member), browser(cast.member)
    assert refused(ask_after(headers_of(phone), lambda: laptop.post("/account/sessions/end/")))


def test_it_refuses_a_browser_that_logged_out(cast: Cast, no_push: list[str]) -> None:
    phone = browser(cast.member)
    assert refused(ask_after(headers_of(phone), lambda: phone.post("/logout/")))


def test_it_refuses_after_end_all_sessions_called_directly(cast: Cast, no_push: list[str]) -> None:
    user = User.objects.get(pk=cast.member.pk)
    assert refused(ask_after(socket_headers(cast.member), lambda: end_all_sessions(user)))


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_it_refuses_after_a_database_restart_lost_the_push(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The channel layer cannot push (its database connection died) and every connection of the
    server was cut: the team page still removes the member, and the next message is refused."""

    async def dead(*args: object, **kwargs: object) -> None:
        raise OperationalError("the connection was closed by the server")

    monkeypatch.setattr(InMemoryChannelLayer, "group_send", dead)
    owner = browser(cast.owner)
    target = membership(cast, cast.member)
    test_pid = backend_pid()  # this test's own connection, which asserts at the end

    def restart_then_remove() -> None:
        with connection.cursor() as cursor:  # what a restart does to the server's connections
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND pid <> %s",
                [test_pid],
            )
        response = owner.post(f"/t/acme/members/{target.public_id}/remove/")
        assert response.status_code == 302  # the lost push is logged, not an error page

    assert refused(ask_after(socket_headers(cast.member), restart_then_remove))


def test_it_allows_the_next_message_of_someone_whose_access_stayed(cast: Cast, no_push: list[str]) -> None:
    frame, _ = ask_after(socket_headers(cast.owner), lambda: membership(cast, cast.member).delete())
    assert REFUSED not in frame and "data-status" in frame


def test_it_stops_pushing_workspace_events_to_a_removed_member(
    cast: Cast, no_push: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A socket that only receives (document progress) asks again before passing a push on."""
    monkeypatch.setattr("tenants.consumers.PUSH_RECHECK_SECONDS", 0.0)
    headers = socket_headers(cast.member)

    async def scenario() -> dict:
        ws = WebsocketCommunicator(application, "/ws/t/acme/documents/", headers=headers)
        assert (await ws.connect())[0]
        await database_sync_to_async(lambda: membership(cast, cast.member).delete())()
        event = {"type": "document.update", "html": "<tr id='doc-secret'>Board minutes</tr>"}
        await get_channel_layer().group_send(tenant_group(cast.acme.pk), event)
        return await ws.receive_output(timeout=3)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
