from django.contrib import admin
from django.http import HttpRequest

from tenants.audit import Action, record
from usage.models import Quota, UsageRecord


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    list_display = [
        "created",
        "tenant_slug",
        "user",
        "kind",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "cost",
    ]
    list_filter = ["kind", "model", "created"]
    search_fields = ["tenant_slug", "user__email", "model"]
    date_hierarchy = "created"
    list_select_related = ["user"]
    readonly_fields = [f.name for f in UsageRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # usage is written by metering only

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = [
        "tenant",
        "monthly_tokens",
        "monthly_cost",
        "member_daily_tokens",
        "warned_period",
        "updated",
    ]
    search_fields = ["tenant__name", "tenant__slug"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["warned_period"]

    def save_model(self, request: HttpRequest, obj: Quota, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changed = {f: str(getattr(obj, f)) for f in getattr(form, "changed_data", [])}
        record(obj.tenant, request.user, Action.QUOTA_CHANGED, obj.tenant.slug, after=changed)
