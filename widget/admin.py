from django.contrib import admin

from widget.models import Visitor


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    """Read-only: visitors are made by the widget (their token is known only to their browser)."""

    list_display = ["public_id", "tenant", "assistant", "origin", "created"]
    list_filter = ["tenant"]
    search_fields = ["public_id", "origin"]
    readonly_fields = ["public_id", "tenant", "assistant", "origin", "created"]
    exclude = ["token_hash"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
