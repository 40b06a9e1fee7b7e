from django.apps import AppConfig

from docuchat.lib.processes import is_worker_process


class DocuchatConfig(AppConfig):
    name = "docuchat"
    verbose_name = "DocuChat"

    def ready(self) -> None:
        if is_worker_process():
            from docuchat import heartbeat

            heartbeat.start()
