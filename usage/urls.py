from django.urls import path

from usage import views

app_name = "usage"

urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export_csv, name="export"),
    path("statements/", views.statements, name="statements"),
    path("statements/<str:month>/", views.statement, name="statement"),
]
