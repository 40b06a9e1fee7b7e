import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from api import keys
from api.models import ApiKey, digest
from api.tests.conftest import KeyClient, MakeKey
from docuchat.testing import Cast
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db
USAGE = "/api/v1/usage"


def test_it_stores_only_the_hash_of_a_recognisable_key(cast: Cast) -> None:
    issued = keys.create(cast.acme, cast.owner, "Help desk", ["chat"])
    key = ApiKey.objects.get()
    assert issued.secret.startswith("dck_") and len(issued.secret) > 40
    assert key.secret_hash == digest(issued.secret) and issued.secret not in str(
        ApiKey.objects.values().get()
    )
    assert key.prefix == issued.secret[:12]


def test_it_refuses_unknown_scopes_and_empty_names(cast: Cast) -> None:
    with pytest.raises(keys.KeyRefused, match="Unknown scope 'admin'"):
        keys.create(cast.acme, None, "x", ["admin"])
    with pytest.raises(keys.KeyRefused, match="name"):
        keys.create(cast.acme, None, "  ", ["chat"])
    assert not ApiKey.objects.exists()


def test_it_audits_creation_rotation_and_revocation(cast: Cast) -> None:
    issued = keys.create(cast.acme, cast.owner, "CI", ["documents:write"])
    keys.rotate(issued.key, cast.owner, 2)
    keys.revoke(issued.key, cast.owner)
    actions = list(AuditEntry.objects.filter(tenant=cast.acme).order_by("id").values_list("action", "target"))
    assert actions == [("api_key.created", "CI"), ("api_key.rotated", "CI"), ("api_key.revoked", "CI")]


def test_it_keeps_the_old_secret_working_only_for_the_grace_period(cast: Cast) -> None:
    old = keys.create(cast.acme, None, "CI", ["usage:read"])
    new = keys.rotate(old.key, None, grace_hours=3)
    assert KeyClient(new.secret).get(USAGE).status_code == 200
    assert KeyClient(old.secret).get(USAGE).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=3, seconds=1)):
        assert KeyClient(old.secret).get(USAGE).status_code == 401
        assert KeyClient(new.secret).get(USAGE).status_code == 200


def test_it_answers_401_for_revoked_expired_wrong_and_missing_keys(cast: Cast, make_key: MakeKey) -> None:
    revoked = keys.create(cast.acme, None, "old", ["usage:read"])
    keys.revoke(revoked.key, None)
    expired = make_key(cast.acme, expires=timezone.now() - timedelta(seconds=1))
    for secret in (revoked.secret, expired, "dck_wrong", "sk-not-ours", ""):
        response = KeyClient(secret).get(USAGE)
        assert response.status_code == 401, secret
        assert set(response.json()) == {"code", "message"}


def test_it_looks_a_key_and_its_workspace_up_in_one_query(cast: Cast, django_assert_num_queries: Any) -> None:
    issued = keys.create(cast.acme, None, "CI", ["chat", "usage:read"], allowed_origins=["https://a.example"])
    ApiKey.objects.filter(pk=issued.key.pk).update(last_used=timezone.now())
    with django_assert_num_queries(1):
        key = keys.authenticate(issued.secret)
        assert key is not None
        assert key.tenant.slug == cast.acme.slug
    assert key.scopes == ["chat", "usage:read"] and key.allowed_origins == ["https://a.example"]
    assert keys.still_usable(key.pk) == key
    assert keys.authenticate("dck_" + "x" * 40) is None


def test_it_records_when_a_key_was_last_used(cast: Cast, make_key: MakeKey) -> None:
    secret = make_key(cast.acme)
    assert ApiKey.objects.get().last_used is None
    KeyClient(secret).get(USAGE)
    assert ApiKey.objects.get().last_used is not None


def test_it_prints_the_key_on_the_last_line_of_create_api_key(cast: Cast) -> None:
    out = io.StringIO()
    call_command("create_api_key", "acme", "--name", "Script", "--scopes", "chat,documents:read", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get()
    assert key.scopes == ["chat", "documents:read"] and key.tenant == cast.acme
    assert KeyClient(secret).get("/api/v1/documents").status_code == 200


def test_it_limits_requests_per_key(cast: Cast, make_key: MakeKey) -> None:
    client = KeyClient(make_key(cast.acme, rate_per_minute=2))
    assert [client.get(USAGE).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(USAGE).json()["code"] == "rate_limited"
    assert KeyClient(make_key(cast.acme)).get(USAGE).status_code == 200  # another key: its own limit


class TestKeysPage:
    url = "/t/acme/api-keys/"

    def test_it_shows_a_new_key_once_to_an_owner(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.owner)
        page = client.post(self.url, {"name": "Help desk", "scopes": ["chat"], "rate_per_minute": 60})
        key = ApiKey.objects.get()
        assert page.status_code == 200 and "data-secret" in page.text
        secret = page.text.split("data-secret>")[1].split("<")[0]
        assert digest(secret) == key.secret_hash
        assert "data-secret" not in client.get(self.url).text  # never again
        assert key.created_by == cast.owner

    def test_it_rotates_and_revokes(self, cast: Cast) -> None:
        issued = keys.create(cast.acme, None, "CI", ["usage:read"])
        client = Client()
        client.force_login(cast.owner)
        page = client.post(f"{self.url}{issued.key.public_id}/rotate/", {"grace_hours": 0})
        new = page.text.split("data-secret>")[1].split("<")[0]
        assert KeyClient(new).get(USAGE).status_code == 200
        assert KeyClient(issued.secret).get(USAGE).status_code == 401  # no grace asked for
        client.post(f"{self.url}{issued.key.public_id}/revoke/")
        assert KeyClient(new).get(USAGE).status_code == 401

    def test_it_sets_an_expiry_and_a_budget_and_shows_them(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.owner)
        tomorrow = timezone.localdate() + timedelta(days=1)
        form = {
            "name": "Temp", "scopes": ["usage:read"], "rate_per_minute": 30, "expires": str(tomorrow),
            "monthly_tokens": 50000, "monthly_cost": "2.50",
        }  # fmt: skip
        page = client.post(self.url, form)
        secret = page.text.split("data-secret>")[1].split("<")[0]
        key = ApiKey.objects.get()
        assert key.expires is not None and timezone.localtime(key.expires).date() == tomorrow
        assert (key.rate_per_minute, key.monthly_tokens, str(key.monthly_cost)) == (30, 50000, "2.50")
        listing = client.get(self.url).text
        assert f"{tomorrow:%Y-%m-%d} 00:00" in listing
        assert "30 requests/min; 50000 tokens/month; $2.50/month" in listing
        assert KeyClient(secret).get(USAGE).status_code == 200
        with time_machine.travel(key.expires + timedelta(seconds=1)):
            response = KeyClient(secret).get(USAGE)
            assert response.status_code == 401 and response.json()["code"] == "invalid_key"
            assert "expired" in client.get(self.url).text
        entry = AuditEntry.objects.get(action="api_key.created")
        assert entry.details["expires"].startswith(str(tomorrow)) and entry.details["monthly_tokens"] == 50000

    def test_it_refuses_an_expiry_in_the_past(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.owner)
        form = {
            "name": "Old",
            "scopes": ["chat"],
            "rate_per_minute": 60,
            "expires": str(timezone.localdate()),
        }
        page = client.post(self.url, form)
        assert page.status_code == 400 and "Choose a day after today." in page.text
        assert not ApiKey.objects.exists()

    def test_it_shows_who_created_rotated_and_revoked_keys(self, cast: Cast) -> None:
        issued = keys.create(cast.acme, cast.owner, "CI", ["usage:read"])
        keys.rotate(issued.key, cast.member, 1)  # an actor of the log, not a permission check
        keys.revoke(issued.key, cast.owner)
        keys.create(cast.globex, cast.other, "Globex secret key", ["chat"])
        client = Client()
        client.force_login(cast.owner)
        page = client.get(self.url).text
        history = page.split('id="key-history"')[1]
        assert history.count('data-action="api_key.') == 3
        for label in ("API key created", "API key rotated", "API key revoked", cast.member.email):
            assert label in history
        assert "Globex secret key" not in page

    def test_it_refuses_members_and_hides_keys_from_other_workspaces(self, cast: Cast) -> None:
        issued = keys.create(cast.acme, None, "CI", ["usage:read"])
        member = Client()
        member.force_login(cast.member)
        assert member.get(self.url).status_code == 403
        assert (
            member.post(self.url, {"name": "x", "scopes": ["chat"], "rate_per_minute": 1}).status_code == 403
        )
        other = Client()
        other.force_login(cast.other)
        assert other.get(self.url).status_code == 404
        assert other.post(f"/t/globex/api-keys/{issued.key.public_id}/revoke/").status_code == 404
        assert ApiKey.objects.get().revoked is None and ApiKey.objects.count() == 1


def test_the_usage_page_shows_a_keys_usage_on_its_own_line(cast: Cast) -> None:
    from usage import metering
    from usage.models import UsageRecord

    issued = keys.create(cast.acme, None, "Help desk", ["chat"])
    metering.record(cast.acme, None, UsageRecord.Kind.CHAT, "gpt-4o-mini", 1200, 34, api_key_id=issued.key.pk)
    metering.record(cast.acme, cast.member, UsageRecord.Kind.CHAT, "gpt-4o-mini", 10, 1)
    client = Client()
    client.force_login(cast.owner)
    page = client.get("/t/acme/usage/").text
    assert f"API key: Help desk <code>{issued.key.prefix}…</code>" in page
    assert "member@acme.test" in page


def test_the_conversations_inbox_labels_an_api_keys_conversations(cast: Cast) -> None:
    from chat.models import ChatSession

    issued = keys.create(cast.acme, None, "Help desk", ["chat"])
    ours = ChatSession.objects.create(tenant=cast.acme, api_key=issued.key, title="Asked by the help desk")
    theirs_key = keys.create(cast.globex, None, "Globex bot", ["chat"]).key
    theirs = ChatSession.objects.create(tenant=cast.globex, api_key=theirs_key, title="Globex API chat")
    owner = Client()
    owner.force_login(cast.owner)
    listing = owner.get("/t/acme/conversations/").text
    assert "Asked by the help desk" in listing and "API key: Help desk" in listing
    assert "Globex" not in listing
    transcript = owner.get(f"/t/acme/conversations/{ours.public_id}/").text
    assert f"API key: Help desk <code>{issued.key.prefix}…</code>" in transcript
    assert owner.get(f"/t/acme/conversations/{theirs.public_id}/").status_code == 404


class TestChangingLimits:
    url = "/t/acme/api-keys/"

    def test_it_changes_a_keys_limits_expiry_and_origins_audited(self, cast: Cast) -> None:
        issued = keys.create(cast.acme, cast.owner, "CI", ["usage:read"], allowed_origins=["https://a.test"])
        client = Client()
        client.force_login(cast.owner)
        page = client.get(self.url).text
        assert 'value="60"' in page and "https://a.test\n</textarea>" in page  # the form shows what it has
        tomorrow = timezone.localdate() + timedelta(days=1)
        form = {
            "rate_per_minute": 5, "expires": str(tomorrow), "monthly_tokens": "", "monthly_cost": "1.25",
            "allowed_origins": "https://a.test\nhttps://b.test/",
        }  # fmt: skip
        page = client.post(f"{self.url}{issued.key.public_id}/limits/", form, follow=True).text
        assert "Changed CI&#x27;s limits" in page
        key = ApiKey.objects.get()
        assert (key.rate_per_minute, key.monthly_tokens, str(key.monthly_cost)) == (5, None, "1.25")
        assert key.allowed_origins == ["https://a.test", "https://b.test"]
        assert timezone.localtime(key.expires).date() == tomorrow
        entry = AuditEntry.objects.get(action="api_key.changed")
        assert entry.actor == cast.owner and entry.details["rate_per_minute"] == "60 → 5"
        assert set(entry.details) == {"key", "rate_per_minute", "expires", "monthly_cost", "allowed_origins"}
        with time_machine.travel(key.expires + timedelta(seconds=1)):
            assert KeyClient(issued.secret).get(USAGE).status_code == 401

    def test_it_refuses_bad_limits_and_changes_nothing(self, cast: Cast) -> None:
        issued = keys.create(cast.acme, None, "CI", ["usage:read"])
        client = Client()
        client.force_login(cast.owner)
        bad = {"rate_per_minute": 0, "allowed_origins": ""}
        page = client.post(f"{self.url}{issued.key.public_id}/limits/", bad, follow=True).text
        assert "CI was not changed: Requests per minute:" in page
        past = {"rate_per_minute": 10, "expires": str(timezone.localdate()), "allowed_origins": ""}
        page = client.post(f"{self.url}{issued.key.public_id}/limits/", past, follow=True).text
        assert "Choose a day after today." in page
        assert ApiKey.objects.get().rate_per_minute == 60 and ApiKey.objects.get().expires is None
        assert not AuditEntry.objects.filter(action="api_key.changed").exists()

    def test_only_managers_of_the_keys_workspace_change_it(self, cast: Cast) -> None:
        issued = keys.create(cast.acme, None, "CI", ["usage:read"])
        form = {"rate_per_minute": 1, "allowed_origins": ""}
        member = Client()
        member.force_login(cast.member)
        assert member.post(f"{self.url}{issued.key.public_id}/limits/", form).status_code == 403
        other = Client()
        other.force_login(cast.other)
        assert other.post(f"/t/globex/api-keys/{issued.key.public_id}/limits/", form).status_code == 404
        assert ApiKey.objects.get().rate_per_minute == 60
