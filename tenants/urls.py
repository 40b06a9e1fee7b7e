from django.urls import path

from tenants.views import audit, invitations, members, workspace, workspace_settings

app_name = "tenants"

T = "t/<slug:tenant_slug>/"
MEMBER = T + "members/<uuid:member_id>/"
INVITATION = T + "members/invitations/<uuid:invitation_id>/"

urlpatterns = [
    path("", workspace.home, name="home"),
    path("new/", workspace.create, name="create"),
    path("invite/", invitations.landing, name="invitation_landing"),
    path("invite/<str:token>/", invitations.follow, name="invitation"),
    path(T, workspace.dashboard, name="dashboard"),
    path(T + "members/", members.members, name="members"),
    path(T + "members/invite/", members.invite, name="invite"),
    path(T + "members/leave/", members.leave, name="leave"),
    path(INVITATION + "resend/", members.resend_invitation, name="resend_invitation"),
    path(INVITATION + "revoke/", members.revoke_invitation, name="revoke_invitation"),
    path(MEMBER + "role/", members.change_role, name="change_role"),
    path(MEMBER + "remove/", members.remove, name="remove_member"),
    path(MEMBER + "transfer/", members.transfer, name="transfer_ownership"),
    path(T + "settings/", workspace_settings.workspace_settings, name="settings"),
    path(T + "settings/delete/", workspace_settings.delete_workspace, name="delete_workspace"),
    path(T + "audit/", audit.audit_log, name="audit"),
]
