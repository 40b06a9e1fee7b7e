from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from api.models import Scope
from api.routes.assistants import ORIGIN
from assistants.models import Assistant
from tenants.models import Tenant


class LimitsForm(forms.Form):
    """What can be changed on a key after it is made: its limits, expiry and browser origins."""

    rate_per_minute = forms.IntegerField(
        min_value=1, max_value=100_000, label="Requests per minute", initial=settings.API_KEY_RATE_PER_MINUTE
    )
    allowed_origins = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Browser origins (CORS)",
        help_text="One per line, like https://app.example.com. Empty: no browser page may use the key.",
    )  # fmt: skip
    expires = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        label="Expires on", help_text="Optional. The key stops working when this day begins; empty: never.",
    )  # fmt: skip
    monthly_tokens = forms.IntegerField(
        required=False, min_value=1, label="Monthly token budget",
        help_text="Optional: the most tokens its questions and uploads may use in a calendar month.",
    )  # fmt: skip
    monthly_cost = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
        label="Monthly cost budget (USD)", help_text="Optional. Both budgets are inside the workspace's.",
    )  # fmt: skip

    def clean_allowed_origins(self) -> list[str]:
        origins = [line.strip().rstrip("/") for line in self.cleaned_data["allowed_origins"].splitlines()]
        origins = [o for o in origins if o]
        for origin in origins:
            if not ORIGIN.match(origin):
                raise forms.ValidationError(
                    f"“{origin[:100]}” is not an origin like https://app.example.com."
                )
        return origins

    def clean_expires(self) -> datetime | None:
        day = self.cleaned_data["expires"]
        if day is None:
            return None
        if day <= timezone.localdate():
            raise forms.ValidationError("Choose a day after today.")
        return timezone.make_aware(datetime.combine(day, time.min))


class KeyForm(LimitsForm):
    name = forms.CharField(max_length=80, help_text="To tell it from the others, e.g. “Help desk”.")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[Scope.CHAT],
        error_messages={"required": "Choose at least one scope."},
    )  # fmt: skip
    assistant = forms.ModelChoiceField(
        queryset=Assistant.objects.none(), required=False, empty_label="Any assistant",
        help_text="Limit the key to one assistant (and its documents).",
    )  # fmt: skip

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assistant"].queryset = Assistant.objects.filter(tenant=tenant)


class RotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        min_value=0, max_value=24 * 30, initial=settings.API_KEY_ROTATION_GRACE_HOURS,
        label="Old key keeps working for (hours)",
    )  # fmt: skip
