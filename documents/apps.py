from django.apps import AppConfig

from docuchat.lib.processes import is_worker_process


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from documents import checks, overview, signals  # noqa: F401  (receivers, and the system check)
        from tenants.overview import Panel, register

        register(Panel("documents", "documents/overview.html", 10, overview.panel))

        if is_worker_process():
            from documents.recovery import start_sweeper

            start_sweeper()
