from django.apps import AppConfig


class LegacyConfig(AppConfig):
    """The DocuChat v1 API, kept working for the original backend's clients (docs/v1-api.md)."""

    name = "legacy"
    verbose_name = "DocuChat v1 API"

    def ready(self) -> None:
        from legacy import logs

        logs.install()  # the server's log lines never hold a /ws/chat?token=...
