import pytest
from django.test import Client

from docuchat.testing import Cast
from tenants.models import Membership


@pytest.fixture
def owner(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


@pytest.fixture
def admin_user(cast: Cast):
    from accounts.models import User

    user = User.objects.for_email("admin@acme.test")
    Membership.objects.create(tenant=cast.acme, user=user, role=Membership.Role.ADMIN)
    return user
