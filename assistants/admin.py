from django.contrib import admin

from assistants.models import Assistant, InstructionBlock


class InstructionBlockInline(admin.TabularInline):
    model = InstructionBlock
    extra = 0
    fields = ["position", "text", "enabled"]


@admin.register(Assistant)
class AssistantAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "is_default", "widget_enabled", "model", "created"]
    list_filter = ["is_default", "widget_enabled", "tenant"]
    search_fields = ["name", "tenant__slug", "tenant__name"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]
    filter_horizontal = ["documents"]
    readonly_fields = ["public_id", "is_default", "created"]
    inlines = [InstructionBlockInline]
