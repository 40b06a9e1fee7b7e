"""Background tasks of the usage app (django.tasks, on the django-tasks-db queue)."""

from django.tasks import task


@task()
def email_budget_warning(tenant_id: int) -> str:
    """Email a workspace's owners that it has used 80% of its monthly budget.

    Enqueued by quotas.warn_if_near_limit once it has claimed the period (once per period), so
    that no metered call, such as a chat answer on one of the chat's database threads, waits on
    an SMTP server. A workspace deleted meanwhile gets nothing.
    """
    from tenants.models import Tenant
    from usage import quotas

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return "workspace gone"
    quotas.email_owners(tenant, quotas.status(tenant))
    return "sent"
