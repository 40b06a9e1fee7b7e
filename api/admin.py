from django.contrib import admin

from api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made, rotated and revoked on the API keys page (audited); here operators see them
    and set a key's rate limit, origins and monthly budget. The secret is never stored."""

    list_display = ["name", "prefix", "tenant", "scopes", "revoked", "last_used", "created"]
    list_filter = ["tenant"]
    search_fields = ["name", "prefix", "tenant__slug"]
    list_select_related = ["tenant"]
    fields = [
        "name", "tenant", "prefix", "scopes", "assistant", "rate_per_minute", "allowed_origins",
        "monthly_tokens", "monthly_cost", "expires", "revoked", "previous_valid_until", "last_used",
        "created_by", "created",
    ]  # fmt: skip
    readonly_fields = [
        "tenant", "prefix", "scopes", "assistant", "revoked", "previous_valid_until", "last_used",
        "created_by", "created",
    ]  # fmt: skip

    def has_add_permission(self, request: object) -> bool:
        return False  # the secret must be shown to whoever makes the key: the page or the command
