from typing import Any

from django import forms
from django.db.models import QuerySet

from documents.models import Document
from evaluation import importing
from evaluation.models import MAX_QUESTION_CHARS


class QuestionForm(forms.Form):
    question = forms.CharField(
        max_length=MAX_QUESTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "How do I reset the pump's error code?"}),
        error_messages={
            "required": "Write the question.",
            "max_length": "At most %(limit_value)d characters.",
        },
    )
    document = forms.ModelChoiceField(
        queryset=Document.objects.none(),
        to_field_name="public_id",  # opaque ids in the page, as in URLs
        empty_label="Choose a document…",
        error_messages={
            "required": "Choose the document with the answer.",
            "invalid_choice": "Choose one of the documents.",
        },
    )
    pages = forms.CharField(
        max_length=200,
        help_text="Where the answer is, as the PDF viewer numbers pages: 12, or 12, 13, or 12-14.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "12"}),
        error_messages={"required": "Give the page or pages with the answer."},
    )
    label = forms.CharField(
        max_length=importing.MAX_LABEL_CHARS,
        required=False,
        help_text="Optional: a group to score separately, such as faq or paraphrase.",
    )

    def __init__(self, *args: Any, documents: QuerySet[Document], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents

    def clean_question(self) -> str:
        try:
            return importing.clean_question(self.cleaned_data["question"])
        except importing.Invalid as exc:
            raise forms.ValidationError(str(exc).capitalize()) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        document, pages = data.get("document"), data.get("pages")
        if document is not None and pages:
            try:
                data["pages"] = importing.parse_pages(pages, document.page_count)
            except importing.Invalid as exc:
                self.add_error("pages", str(exc).capitalize())
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or JSONL file",
        help_text=(
            "CSV with the columns question, document, pages (and optionally label); or JSONL, one "
            '{"question": …, "document": …, "pages": [12]} a line. The document is its file name or title.'
        ),
        error_messages={"required": "Choose a file to import."},
    )
