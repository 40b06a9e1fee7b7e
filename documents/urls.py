from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    # GET: the Documents page (its rows alone for htmx). POST: upload one or more PDFs.
    path("", views.index, name="list"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/file/", views.download, name="file"),
    path("<uuid:public_id>/reindex/", views.reindex, name="reindex"),
    path("<uuid:public_id>/delete/", views.delete, name="delete"),
]
