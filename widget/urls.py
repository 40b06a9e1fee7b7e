from django.urls import path

from widget import views

app_name = "widget"

urlpatterns = [
    path("embed/<uuid:assistant_id>.js", views.embed_script, name="embed"),
    path("widget/<uuid:assistant_id>/", views.frame, name="frame"),
    path("widget/<uuid:assistant_id>/pages/<str:signed>/", views.pages, name="pages"),
]
