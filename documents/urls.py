from django.urls import path

from documents import index_views, views

app_name = "documents"

urlpatterns = [
    # GET: the Documents page (its rows alone for htmx). POST: upload one or more PDFs.
    path("", views.index, name="list"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/file/", views.download, name="file"),
    path("<uuid:public_id>/reindex/", views.reindex, name="reindex"),
    path("<uuid:public_id>/delete/", views.delete, name="delete"),
    # The workspace's embedding model, and switching it (owners and admins).
    path("search-index/", index_views.search_index, name="search_index"),
    path("search-index/switch/", index_views.switch, name="search_index_switch"),
    path("search-index/cancel/", index_views.cancel, name="search_index_cancel"),
    path("search-index/retry/", index_views.retry, name="search_index_retry"),
]
