from django.urls import path

from assistants.views import analytics, inbox, manage

app_name = "assistants"

A = "assistants/<uuid:assistant_id>/"
BLOCK = "assistants/instructions/<uuid:block_id>/"

urlpatterns = [
    path("assistants/", manage.index, name="index"),
    path("assistants/new/", manage.create, name="create"),
    path(A, manage.edit, name="edit"),
    path(A + "delete/", manage.delete, name="delete"),
    path(A + "instructions/", manage.add_block, name="add_block"),
    path(A + "analytics/", analytics.analytics, name="analytics"),
    path(BLOCK + "edit/", manage.edit_block, name="edit_block"),
    path(BLOCK + "toggle/", manage.toggle_block, name="toggle_block"),
    path(BLOCK + "move/", manage.move_block, name="move_block"),
    path(BLOCK + "delete/", manage.delete_block, name="delete_block"),
    path("conversations/", inbox.conversations, name="conversations"),
    path("conversations/export.csv", inbox.export_csv, name="export"),
    path("conversations/<uuid:conversation_id>/", inbox.transcript, name="transcript"),
]
