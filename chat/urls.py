from django.urls import path

from chat import saved, views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:session_id>/", views.session, name="session"),
    path("<uuid:session_id>/rename/", views.rename, name="rename"),
    path("<uuid:session_id>/delete/", views.delete, name="delete"),
    path("messages/<uuid:message_id>/feedback/", views.feedback, name="feedback"),
    path("messages/<uuid:message_id>/save/", saved.save_answer, name="save_answer"),
    path("saved/", saved.saved, name="saved"),
    path("saved/<uuid:saved_id>/delete/", saved.delete_saved, name="delete_saved"),
]
