from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"

    def ready(self) -> None:
        from tenants import overview, signals  # noqa: F401  (signals connects the receivers)

        overview.register(
            overview.Panel("members", "tenants/overview_members.html", 40, overview.members_panel)
        )
