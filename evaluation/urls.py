from django.urls import path

from evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("questions/", views.add_question, name="add_question"),
    path("questions/import/", views.import_questions, name="import_questions"),
    path("questions/<uuid:question_id>/delete/", views.delete_question, name="delete_question"),
    path("runs/", views.start_run, name="start_run"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run"),
]
