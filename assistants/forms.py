"""The Assistants page's forms: each bad value gets a sentence that says what to write instead."""

import re
from typing import Any

from django import forms
from django.conf import settings

from assistants.models import (
    BLOCK_CHARS,
    MAX_BLOCKS,
    MAX_SUGGESTIONS,
    SUGGESTION_CHARS,
    Assistant,
)
from assistants.origins import MAX_ORIGINS, parse_origins
from chat.generation import is_offline
from documents.models import Document
from tenants.models import Tenant

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LIMIT_MAX = 100_000

FIELDS = [
    "name", "description", "all_documents", "documents", "model", "greeting", "suggestions",
    "not_covered", "contact_url", "visitors_open_pages", "widget_enabled", "allowed_origins",
    "visitor_daily_messages", "conversation_messages", "ip_minute_messages", "monthly_tokens",
    "monthly_cost", "title", "accent_color", "position", "theme",
]  # fmt: skip


class LinesField(forms.CharField):
    """A textarea of one value a line, held as a list."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        if "\x00" in text:  # the field's own check sees the list, not the text
            raise forms.ValidationError("This text contains a NUL character; remove it.")
        return [line.strip() for line in text.replace("\r\n", "\n").split("\n")]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return [v for v in (initial or []) if v] != [v for v in self.to_python(data) if v]


class AssistantForm(forms.ModelForm):
    all_documents = forms.TypedChoiceField(
        label="Documents it answers from",
        choices=[("true", "All of the workspace's documents"), ("false", "Only the documents chosen below")],
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
    )
    documents = forms.ModelMultipleChoiceField(
        queryset=Document.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    model = forms.ChoiceField(label="Chat model", required=False)
    suggestions = LinesField(
        label="Suggested questions",
        required=False,
        help_text=f"Up to {MAX_SUGGESTIONS}, one a line; visitors see them under the greeting.",
    )
    allowed_origins = LinesField(
        label="Allowed origins",
        required=False,
        help_text="The websites that may embed the widget, one a line, like https://shop.example "
        "(scheme and host, and a port if not the usual one). Empty: the widget is off.",
    )

    class Meta:
        model = Assistant
        fields = FIELDS
        labels = {
            "description": "Short description",
            "not_covered": "When the documents do not cover a question, say",
            "contact_url": "Contact link (optional)",
            "visitors_open_pages": "Website visitors may open the cited PDF pages",
            "widget_enabled": "The website widget is on",
            "visitor_daily_messages": "Messages per visitor per day",
            "conversation_messages": "Messages per conversation",
            "ip_minute_messages": "Messages per IP address per minute",
            "monthly_tokens": "Monthly token budget (widget)",
            "monthly_cost": "Monthly cost budget in USD (widget)",
            "title": "Widget title",
            "accent_color": "Accent colour",
            "theme": "Light or dark",
        }
        help_texts = {
            "not_covered": "Empty: DocuChat's own sentence. No model is asked for such a question.",
            "visitors_open_pages": "Otherwise they see the quoted snippets only.",
            "widget_enabled": "Switch it off to stop every website conversation at once.",
            "monthly_tokens": "Inside the workspace's budget. Empty: no budget of its own.",
            "monthly_cost": "Empty: no budget of its own.",
            "title": "Empty: the assistant's name.",
        }
        widgets = {
            "greeting": forms.Textarea(attrs={"rows": 2}),
            "not_covered": forms.Textarea(attrs={"rows": 2}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "position": forms.RadioSelect,
            "theme": forms.RadioSelect,
        }

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.before = {name: self._saved(name) for name in self.Meta.fields}  # for changes()
        self.fields["documents"].queryset = Document.objects.filter(tenant=tenant).order_by("title")
        self.fields["documents"].label_from_instance = lambda d: d.title
        current = self.instance.model if self.instance.pk else ""
        if is_offline():  # no model answers: offering gpt-4o-mini would promise one
            self.fields["model"].choices = [("", "None: answers quote passages")]
            if current:
                self.fields["model"].choices.append((current, f"{current} (once a model is configured)"))
        else:
            default = f"The server's default ({settings.OPENAI_MODEL})"
            self.fields["model"].choices = [("", default), *((m, m) for m in settings.ALLOWED_MODELS)]
            if current and current not in settings.ALLOWED_MODELS:
                self.fields["model"].choices.append((current, f"{current} (no longer allowed)"))
        if not self.is_bound:
            self.initial["all_documents"] = "true" if self.instance.all_documents else "false"
        for name in ("visitor_daily_messages", "conversation_messages", "ip_minute_messages"):
            self.fields[name].widget.attrs.update(min=1, max=LIMIT_MAX)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the assistant a name.")
        taken = Assistant.objects.filter(tenant=self.tenant, name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"This workspace already has an assistant named “{name}”.")
        return name

    def clean_model(self) -> str:
        model = self.cleaned_data["model"]
        if model and model not in settings.ALLOWED_MODELS and model != self.instance.model:
            raise forms.ValidationError("That model is not available here. Choose one from the list.")
        return model

    def clean_suggestions(self) -> list[str]:
        found = [s for s in self.cleaned_data["suggestions"] if s]
        if len(found) > MAX_SUGGESTIONS:
            raise forms.ValidationError(
                f"Give at most {MAX_SUGGESTIONS} suggested questions; there are {len(found)}."
            )
        for number, text in enumerate(found, 1):
            if len(text) > SUGGESTION_CHARS:
                raise forms.ValidationError(
                    f"Question {number} is longer than {SUGGESTION_CHARS} characters ({len(text)})."
                )
        return found

    def clean_allowed_origins(self) -> list[str]:
        lines = self.cleaned_data["allowed_origins"]
        if sum(1 for line in lines if line) > MAX_ORIGINS * 2:
            raise forms.ValidationError(f"List at most {MAX_ORIGINS} origins.")
        return parse_origins(lines)

    def clean_accent_color(self) -> str:
        colour = self.cleaned_data["accent_color"].strip()
        if not COLOUR.match(colour):
            raise forms.ValidationError("Write the colour as # and six hex digits, like #2563eb.")
        return colour.lower()

    def clean_monthly_cost(self) -> Any:
        cost = self.cleaned_data["monthly_cost"]
        if cost is not None and cost < 0:
            raise forms.ValidationError("A budget cannot be negative.")
        return cost

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("all_documents") is False and not data.get("documents"):
            self.add_error("documents", "Choose at least one document, or let it answer from all of them.")
        for name in ("visitor_daily_messages", "conversation_messages", "ip_minute_messages"):
            value = data.get(name)
            if value is not None and not 1 <= value <= LIMIT_MAX:
                self.add_error(name, f"Use a number from 1 to {LIMIT_MAX:,}.")
        return data

    def _saved(self, name: str) -> Any:
        if name == "documents":
            return sorted(self.instance.documents.values_list("pk", flat=True)) if self.instance.pk else []
        return getattr(self.instance, name)

    def changes(self) -> list[str]:
        """The labels of the fields whose saved value this form changes (after cleaning: "#FF8800"
        over "#ff8800" is no change), for the audit log."""
        changed = []
        for name, old in self.before.items():
            new = self.cleaned_data.get(name, old)
            if name == "documents":
                new = sorted(d.pk for d in new)
            if new != old:
                changed.append(str(self.fields[name].label or name))
        return changed


class BlockForm(forms.Form):
    text = forms.CharField(
        label="Instruction",
        max_length=BLOCK_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": BLOCK_CHARS}),
        error_messages={
            "required": "Write the instruction first.",
            "max_length": f"An instruction block holds at most {BLOCK_CHARS} characters; "
            "this one has %(show_value)d. Split it into two blocks.",
        },
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write the instruction first.")
        if "\x00" in text:
            raise forms.ValidationError("The instruction contains a NUL character; remove it.")
        return text


TOO_MANY_BLOCKS = f"An assistant has at most {MAX_BLOCKS} instruction blocks: merge or delete some first."
