from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"

    def ready(self) -> None:
        from usage import signals  # noqa: F401  (registers the receivers)
