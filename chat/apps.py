from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from chat import overview
        from tenants.overview import Panel, register

        register(Panel("chat", "chat/overview.html", 20, overview.panel))
