from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"

    def ready(self) -> None:
        from tenants.overview import Panel, register
        from usage import overview, signals  # noqa: F401  (signals registers the receivers)

        register(Panel("usage", "usage/overview.html", 30, overview.panel))
