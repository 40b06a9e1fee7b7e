from django.apps import AppConfig


class DocuchatConfig(AppConfig):
    name = "docuchat"
    verbose_name = "DocuChat"
