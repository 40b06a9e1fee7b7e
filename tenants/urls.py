from django.urls import path

from tenants import views

app_name = "tenants"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.create, name="create"),
    path("t/<slug:tenant_slug>/", views.dashboard, name="dashboard"),
    path("t/<slug:tenant_slug>/members/", views.members, name="members"),
]
