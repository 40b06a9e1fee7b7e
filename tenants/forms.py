from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from tenants.models import RESERVED_SLUGS, AuditEntry, Membership, Tenant
from tenants.permissions import grantable_roles

SYSTEM = "system"  # the actor filter's value for entries with no actor (operators, the system)


def validate_new_slug(slug: str) -> str:
    """A clear message for every way a workspace address can be unusable."""
    if slug != slugify(slug) or not slug:
        raise ValidationError("Use lowercase letters, digits and hyphens only.")
    if len(slug) < 2:
        raise ValidationError("The address needs at least 2 characters.")
    if slug in RESERVED_SLUGS:
        raise ValidationError(f"“{slug}” is reserved. Choose another address.")
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError(f"The address “{slug}” is taken. Choose another.")
    return slug


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=120, label="Workspace name")
    slug = forms.CharField(
        max_length=50,
        required=False,
        label="Address",
        help_text="Lowercase letters, digits and hyphens. Leave empty to derive it from the name.",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        name = data.get("name") or ""
        slug = (data.get("slug") or slugify(name))[:50]
        try:
            data["slug"] = validate_new_slug(slug)
        except ValidationError as exc:
            self.add_error("slug", exc)
        return data


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Offer only the roles this person may grant; any other role is refused (403) by the
        # invitation service, not passed off as a form error.
        self.fields["role"].widget.choices = grantable_roles(actor)
        self.fields["email"].widget.attrs.update(placeholder="colleague@example.com", autocomplete="off")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices, error_messages={
        "invalid_choice": "Choose owner, admin or member.",
        "required": "Choose owner, admin or member.",
    })  # fmt: skip


class PlainNewlinesField(forms.CharField):
    """Browsers send a newline as CRLF but count it as one character: store (and count) LF."""

    def to_python(self, value: Any) -> str:
        return super().to_python(value).replace("\r\n", "\n")


class SettingsForm(forms.ModelForm):
    """The workspace itself. How its assistants answer is set on each assistant (assistants app)."""

    class Meta:
        model = Tenant
        fields = ["name"]
        labels = {"name": "Workspace name"}
        error_messages = {"name": {"required": "The workspace needs a name."}}

    def changes(self) -> dict[str, dict[str, str]]:
        """{field: {"old": ..., "new": ...}} for each field the form changed."""
        return {
            field: {"old": self.initial.get(field) or "", "new": self.cleaned_data.get(field) or ""}
            for field in self.changed_data
            if (self.initial.get(field) or "") != (self.cleaned_data.get(field) or "")
        }


class DeleteWorkspaceForm(forms.Form):
    confirm = forms.CharField(label="Type the workspace address to confirm", max_length=50)

    def __init__(self, *args: Any, slug: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slug = slug
        self.fields["confirm"].widget.attrs.update(autocomplete="off", placeholder=slug)

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"].strip() != self.slug:
            raise ValidationError(f"Type “{self.slug}” exactly to delete this workspace.")
        return self.slug


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, label="Action")
    actor = forms.ChoiceField(required=False, label="Who")

    def __init__(self, *args: Any, actors: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "All actions"), *AuditEntry.Action.choices]
        self.fields["actor"].choices = [("", "Everyone")] + [(a or SYSTEM, a or "System") for a in actors]
