from django.apps import AppConfig


class AssistantsConfig(AppConfig):
    name = "assistants"

    def ready(self) -> None:
        from assistants import signals  # noqa: F401  (connects the receivers)
        from assistants.directory import register

        register()
