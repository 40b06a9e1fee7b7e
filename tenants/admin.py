from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tenants.deletion import delete_tenant
from tenants.models import AuditEntry, Invitation, Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created", "member_count"]
    search_fields = ["name", "slug"]
    list_filter = ["created"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    @admin.display(description="Members")
    def member_count(self, obj: Tenant) -> int:
        return obj.memberships.count()

    def delete_model(self, request: HttpRequest, obj: Tenant) -> None:
        delete_tenant(obj)  # files, anonymised usage: the same as the settings page and the command

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            delete_tenant(tenant)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__email", "tenant__name", "tenant__slug"]
    autocomplete_fields = ["user", "tenant"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable and searchable, never added, edited or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created", "tenant", "actor_email", "action", "target"]
    list_filter = ["action", "created", "tenant"]
    search_fields = ["actor_email", "target", "tenant__slug", "tenant__name"]
    date_hierarchy = "created"
    list_select_related = ["tenant"]
    readonly_fields = ["tenant", "actor", "actor_email", "action", "target", "details", "created"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations are managed by each workspace's owners; the token itself is never stored."""

    list_display = ["email", "tenant", "role", "invited_by", "created", "expires", "accepted", "revoked"]
    list_filter = ["role", "tenant"]
    search_fields = ["email", "tenant__slug", "tenant__name"]
    list_select_related = ["tenant", "invited_by"]
    exclude = ["token_hash"]
