from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path("account/leave/", views.leave_workspace, name="leave_workspace"),
    path("account/sessions/end/", views.end_sessions, name="end_sessions"),
]
