from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:session_id>/", views.session, name="session"),
    path("<uuid:session_id>/rename/", views.rename, name="rename"),
    path("<uuid:session_id>/delete/", views.delete, name="delete"),
    path("messages/<uuid:message_id>/feedback/", views.feedback, name="feedback"),
]
