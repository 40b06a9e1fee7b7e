from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from tenants.models import RESERVED_SLUGS, Tenant


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
