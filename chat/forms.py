from django import forms

TITLE_MESSAGE = "Give the conversation a title of 1 to 120 characters."


class RenameForm(forms.Form):
    title = forms.CharField(
        max_length=120,
        error_messages={"required": TITLE_MESSAGE, "max_length": TITLE_MESSAGE},
    )

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError(TITLE_MESSAGE)
        return title
